import type { Pool } from 'pg';
import type { Barrier } from '../barrier';

/** Configuration of AccordParticipantModule: the participant's own database,
 * as a pg Pool or as a ready Barrier (e.g. `new Barrier(typeormDatabase(dataSource))`). */
export type AccordParticipantModuleOptions = (
  | {
      /** The barrier table lives there, and each call's business writes run
       * in a transaction on one of its clients (`ctx.client`). The module
       * does not end it. */
      pool: Pool;
      barrier?: never;
    }
  | {
      /** A barrier on any database binding; the routes get its session. */
      barrier: Barrier<object>;
      pool?: never;
    }
) & {
  /** The coordinator's `SIGNING_SECRET`. When set, every call must carry a
   * valid `X-Accord-Signature` (answered 401 otherwise), and the app must be
   * created with `{ rawBody: true }`. Default: unset, calls are not checked. */
  signingSecret?: string;
  /** How far a signature's timestamp may be from this host's clock. Default 300 s. */
  toleranceSeconds?: number;
};

/** Injection token of the module's options. */
export const ACCORD_PARTICIPANT_OPTIONS = Symbol('ACCORD_PARTICIPANT_OPTIONS');
