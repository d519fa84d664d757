import { Agent } from 'undici';
import { HEADERS, parseRetryAfter, signBody } from '@accord/contracts';
import type { TargetPolicy } from '@accord/core';
import { ForbiddenTargetError, safeConnector } from './safe-connector';

export type WebhookResult = { ok: true } | { ok: false; error: string; retryAfterMs?: number };

/**
 * POSTs announcements (the stuck webhook), signed like participant calls,
 * through the safe-target connector. Never throws: every failure is a
 * result the outbox retries.
 */
export class WebhookSender {
  private readonly agent: Agent;
  private readonly origin: string;
  private readonly path: string;

  constructor(
    url: string,
    private readonly options: { policy: TargetPolicy; signingSecret?: string; timeoutMs?: number },
  ) {
    this.agent = new Agent({ connections: 4, keepAliveTimeout: 10_000, connect: safeConnector(options.policy) });
    const parsed = new URL(url);
    this.origin = parsed.origin;
    this.path = `${parsed.pathname}${parsed.search}`;
  }

  async send(payload: unknown): Promise<WebhookResult> {
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.options.signingSecret) headers[HEADERS.signature] = signBody(this.options.signingSecret, body, Date.now());
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    try {
      const response = await this.agent.request({
        origin: this.origin,
        path: this.path,
        method: 'POST',
        headers,
        body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      await response.body.dump();
      if (response.statusCode >= 200 && response.statusCode < 300) return { ok: true };
      const retryAfter = response.headers['retry-after'];
      return {
        ok: false,
        error: `HTTP ${response.statusCode}`,
        retryAfterMs: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, Date.now()),
      };
    } catch (error) {
      if (error instanceof ForbiddenTargetError || (error as Error).cause instanceof ForbiddenTargetError) {
        return { ok: false, error: 'forbidden target' };
      }
      const code = (error as { code?: unknown }).code;
      return { ok: false, error: `connection failed: ${typeof code === 'string' ? code : 'UNKNOWN'}` };
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
