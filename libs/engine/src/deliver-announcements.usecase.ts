import { backoffDelay, type RetryPolicy } from '@accord/core';
import type { OutboxStore } from '@accord/persistence';
import type { WebhookSender } from '@accord/transport';
import type { EngineHooks } from './engine.hooks';

/** Retried until a 2xx, however long that takes: an announcement is never dropped. */
const REDELIVERY: RetryPolicy = { maxAttempts: Number.MAX_SAFE_INTEGER, initialDelayMs: 1000, maxDelayMs: 300_000, multiplier: 2, jitter: true };

const BATCH = 50;

/**
 * Delivers due outbox rows (the stuck webhook): run periodically on every
 * replica. At least once: a row is marked delivered only after a 2xx, and a
 * crash in between lets another replica deliver it again after the lease.
 */
export class DeliverAnnouncements {
  /** `leaseMs`: how long a replica may take to deliver what it took before
   * another may take it again (longer than one delivery may last). */
  constructor(
    private readonly outbox: OutboxStore,
    private readonly sender: Pick<WebhookSender, 'send'>,
    private readonly leaseMs: number,
    private readonly hooks: EngineHooks,
  ) {}

  /** One round; answers how many rows it delivered. */
  async execute(): Promise<number> {
    let delivered = 0;
    for (const item of await this.outbox.take(BATCH, this.leaseMs)) {
      const result = await this.sender.send(item.payload);
      this.hooks.announcementSent(item.topic, result.ok);
      if (result.ok) {
        await this.outbox.delivered(item.id);
        delivered++;
      } else {
        await this.outbox.failed(item.id, result.error, backoffDelay(REDELIVERY, item.attempts, Math.random(), result.retryAfterMs));
      }
    }
    return delivered;
  }
}
