import type { CallRef, TransactionStatus } from '@accord/contracts';
import type { TransactionRecord } from '@accord/persistence';

/** Side channels of the engine (metrics, logs), kept out of its logic. */
export abstract class EngineHooks {
  /** `step`: the step whose event moved it, when one did. */
  abstract statusChanged(record: TransactionRecord, from: TransactionStatus, to: TransactionStatus, step?: string): void;
  abstract enqueueFailed(record: TransactionRecord, error: unknown): void;
  /** A participant answered (or did not, in time): `outcome` is the classified one. */
  abstract attemptFinished(call: CallRef, outcome: string, latencySeconds: number): void;
  abstract transactionStarted(record: TransactionRecord): void;
  /** An outbox announcement was sent (`delivered`: the receiver answered 2xx). */
  abstract announcementSent(topic: string, delivered: boolean): void;
  /** This process could not make a call (`code`: EMFILE, ENOMEM, …). */
  abstract localFailure(record: TransactionRecord, call: CallRef, code: string): void;
  /** A transition lost `races` version races in a row (to other replicas). */
  abstract racesRepeated(record: TransactionRecord, races: number): void;
}
