import type { Logger } from 'pino';
import { ACCORD_ATTRIBUTES, SAGA_STATUS, isTerminal, type CallRef, type TransactionStatus } from '@accord/contracts';
import { EngineHooks } from '@accord/engine';
import type { TransactionRecord } from '@accord/persistence';
import { transactionFields } from './log-fields';
import { INLINE_DEFINITION, type AccordMetrics } from './metrics.registry';

export class TelemetryHooks extends EngineHooks {
  constructor(
    private readonly metrics: AccordMetrics,
    private readonly logger: Logger,
  ) {
    super();
  }

  statusChanged(record: TransactionRecord, from: TransactionStatus, to: TransactionStatus, step?: string): void {
    const labels = { definition: definitionLabel(record), type: record.type };
    if (isTerminal(to)) this.metrics.finished.inc({ ...labels, outcome: to });
    const stuck = to === SAGA_STATUS.STUCK;
    if (stuck) this.metrics.becameStuck.inc(labels);
    const fields = { ...transactionFields(record, step === undefined ? undefined : { step }), from, to };
    if (stuck) this.logger.warn(fields, `transaction ${to}`);
    else this.logger.debug(fields, `transaction ${to}`);
  }

  enqueueFailed(record: TransactionRecord, error: unknown): void {
    this.metrics.enqueueFailures.inc();
    this.logger.warn({ ...transactionFields(record), err: error }, 'enqueue failed; the sweeper will retry');
  }

  attemptFinished(call: CallRef, outcome: string, latencySeconds: number): void {
    this.metrics.attemptDuration.observe({ phase: call.phase, outcome }, latencySeconds);
    if (call.attempt > 1) this.metrics.retries.inc({ phase: call.phase });
  }

  transactionStarted(record: TransactionRecord): void {
    this.metrics.started.inc({ definition: definitionLabel(record), type: record.type });
    this.logger.debug({ ...transactionFields(record), [ACCORD_ATTRIBUTES.transactionType]: record.type }, 'transaction started');
  }

  announcementSent(topic: string, delivered: boolean): void {
    this.metrics.announcements.inc({ topic, outcome: delivered ? 'delivered' : 'failed' });
    if (!delivered) this.logger.warn({ topic }, 'announcement not delivered; it is retried with backoff');
  }

  localFailure(record: TransactionRecord, call: CallRef, code: string): void {
    this.metrics.localFailures.inc({ code });
    this.logger.error(
      { ...transactionFields(record, call), code },
      'could not make a participant call: out of a local resource; the call is retried without charging the participant',
    );
  }

  racesRepeated(record: TransactionRecord, races: number): void {
    this.metrics.transitionRaces.inc();
    this.logger.warn({ ...transactionFields(record), races }, 'transition keeps losing version races; backing off');
  }
}

function definitionLabel(record: TransactionRecord): string {
  return record.definitionName ?? INLINE_DEFINITION;
}
