import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type IORedis from 'ioredis';
import { errorBody } from '@accord/contracts';
import { principalOf } from './authentication.hook';

export interface RateLimitSettings {
  /** `/v1` requests a credential may make per minute. */
  perMinute: number;
  /** The counters live here, so every replica on the same Redis shares them. */
  redis: IORedis;
  /** Key prefix of the counters (replicas of one deployment share it). */
  namespace: string;
}

const WINDOW_MS = 60_000;

/**
 * `RATE_LIMIT_PER_MINUTE` per credential on `/v1`, counted in Redis by
 * @fastify/rate-limit. Installed after the authentication hook, so the
 * counter is the credential's (the API key's id, `admin-token`), and an
 * anonymous request is refused with 401 before it is counted.
 *
 * Fails open: when Redis cannot answer (down, or slower than the client's
 * command timeout), the request goes through uncounted (`skipOnError`). A
 * rate limit protects the API; it must not take it down with Redis, which
 * the API otherwise does without (starts are kept in Postgres).
 */
export async function installRateLimit(fastify: FastifyInstance, settings: RateLimitSettings): Promise<void> {
  await fastify.register(rateLimit, {
    global: false,
    redis: settings.redis,
    nameSpace: settings.namespace,
    skipOnError: true,
    max: settings.perMinute,
    timeWindow: WINDOW_MS,
    keyGenerator: (request) => principalOf(request)?.credential ?? 'anonymous',
  });
  const limit = fastify.createRateLimit();
  fastify.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/v1') || !principalOf(request)) return;
    const result = await limit(request);
    if (result.isAllowed) return;
    void reply.header('x-ratelimit-limit', result.max).header('x-ratelimit-remaining', result.remaining).header('x-ratelimit-reset', result.ttlInSeconds);
    if (!result.isExceeded) return;
    return reply
      .code(429)
      .header('retry-after', Math.max(1, result.ttlInSeconds))
      .send(errorBody('RATE_LIMITED', `more than ${result.max} requests a minute with this credential; retry in ${Math.max(1, result.ttlInSeconds)} s`));
  });
}
