import type { TransactionStatus } from '@accord/contracts';
import type { TransactionRecord } from '@accord/persistence';

/** Side channels of the engine (metrics, logs), kept out of its logic. */
export abstract class EngineHooks {
  abstract statusChanged(record: TransactionRecord, from: TransactionStatus, to: TransactionStatus): void;
  abstract enqueueFailed(transactionId: string, error: unknown): void;
  abstract attemptFinished(phase: string, outcome: string, latencySeconds: number): void;
  abstract transactionStarted(type: string): void;
  /** An outbox announcement was sent (`delivered`: the receiver answered 2xx). */
  abstract announcementSent(topic: string, delivered: boolean): void;
  /** This process could not make a call (`code`: EMFILE, ENOMEM, …). */
  abstract localFailure(phase: string, code: string): void;
  /** A transition lost `races` version races in a row (to other replicas). */
  abstract racesRepeated(transactionId: string, races: number): void;
}
