import type { TransactionRecord } from '@accord/persistence';

/** Side channels of the engine (metrics, logs), kept out of its logic. */
export abstract class EngineHooks {
  abstract statusChanged(record: TransactionRecord, from: string, to: string): void;
  abstract enqueueFailed(transactionId: string, error: unknown): void;
  abstract attemptFinished(phase: string, outcome: string, latencySeconds: number): void;
  abstract transactionStarted(type: string): void;
}
