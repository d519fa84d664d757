import type { Pool } from 'pg';

/** Configuration of AccordParticipantModule. */
export interface AccordParticipantModuleOptions {
  /** The participant's own database: the barrier table lives there, and each
   * call's business writes run in a transaction on one of its clients. The
   * module does not end it. */
  pool: Pool;
  /** The coordinator's `SIGNING_SECRET`. When set, every call must carry a
   * valid `X-Accord-Signature` (answered 401 otherwise), and the app must be
   * created with `{ rawBody: true }`. Default: unset, calls are not checked. */
  signingSecret?: string;
  /** How far a signature's timestamp may be from this host's clock. Default 300 s. */
  toleranceSeconds?: number;
}

/** Injection token of the module's options. */
export const ACCORD_PARTICIPANT_OPTIONS = Symbol('ACCORD_PARTICIPANT_OPTIONS');
