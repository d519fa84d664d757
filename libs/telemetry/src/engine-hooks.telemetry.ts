import type { Logger } from 'pino';
import { isSettled, SAGA_STATUS, type TransactionStatus } from '@accord/contracts';
import { EngineHooks } from '@accord/engine';
import type { TransactionRecord } from '@accord/persistence';
import type { AccordMetrics } from './metrics.registry';


export class TelemetryHooks extends EngineHooks {
  constructor(
    private readonly metrics: AccordMetrics,
    private readonly logger: Logger,
  ) {
    super();
  }

  statusChanged(record: TransactionRecord, from: TransactionStatus, to: TransactionStatus): void {
    if (isSettled(to)) this.metrics.finished.inc({ type: record.type, outcome: to });
    const level = to === SAGA_STATUS.STUCK ? 'warn' : 'debug';
    this.logger[level]({ 'accord.transaction.id': record.id, from, to }, `transaction ${to}`);
  }

  enqueueFailed(transactionId: string, error: unknown): void {
    this.metrics.enqueueFailures.inc();
    this.logger.warn({ 'accord.transaction.id': transactionId, err: error }, 'enqueue failed; the sweeper will retry');
  }

  attemptFinished(phase: string, outcome: string, latencySeconds: number): void {
    this.metrics.attemptDuration.observe({ phase, outcome }, latencySeconds);
  }

  transactionStarted(type: string): void {
    this.metrics.started.inc({ type });
  }

  announcementSent(topic: string, delivered: boolean): void {
    this.metrics.announcements.inc({ topic, outcome: delivered ? 'delivered' : 'failed' });
    if (!delivered) this.logger.warn({ topic }, 'announcement not delivered; it is retried with backoff');
  }

  localFailure(phase: string, code: string): void {
    this.metrics.localFailures.inc({ code });
    this.logger.error({ 'accord.step.phase': phase, code }, 'could not make a participant call: out of a local resource; the call is retried without charging the participant');
  }

  racesRepeated(transactionId: string, races: number): void {
    this.metrics.transitionRaces.inc();
    this.logger.warn({ 'accord.transaction.id': transactionId, races }, 'transition keeps losing version races; backing off');
  }
}
