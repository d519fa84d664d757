import IORedis, { type RedisOptions } from 'ioredis';

/** BullMQ needs `maxRetriesPerRequest: null` on worker connections; a
 * reconnecting client rides out a Redis restart instead of crashing. */
export function createRedis(url: string, options: RedisOptions = {}): IORedis {
  return new IORedis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    ...options,
  });
}
