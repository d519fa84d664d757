import { ConfigError, loadConfig } from './config.schema';

describe(loadConfig.name, () => {
  it('reads PARTICIPANT_ALLOW into allow-list entries, and leaves it unset when empty', () => {
    const config = loadConfig({ PARTICIPANT_ALLOW: '*.svc.cluster.local, 10.0.0.0/8:443' });
    expect(config.PARTICIPANT_ALLOW?.map((e) => e.text)).toEqual(['*.svc.cluster.local', '10.0.0.0/8:443']);
    expect(loadConfig({ PARTICIPANT_ALLOW: '' }).PARTICIPANT_ALLOW).toBeUndefined();
  });

  it('stops start-up on a bad PARTICIPANT_ALLOW entry, naming it', () => {
    expect(() => loadConfig({ PARTICIPANT_ALLOW: 'inventory,10.0.0.0/40' })).toThrow(ConfigError);
    expect(() => loadConfig({ PARTICIPANT_ALLOW: 'inventory,10.0.0.0/40' })).toThrow(
      'PARTICIPANT_ALLOW: bad entry "10.0.0.0/40": not a CIDR range',
    );
  });

  it('reads RATE_LIMIT_PER_MINUTE as a positive integer', () => {
    expect(loadConfig({ RATE_LIMIT_PER_MINUTE: '600' }).RATE_LIMIT_PER_MINUTE).toBe(600);
    expect(loadConfig({}).RATE_LIMIT_PER_MINUTE).toBeUndefined();
    expect(() => loadConfig({ RATE_LIMIT_PER_MINUTE: '0' })).toThrow(/RATE_LIMIT_PER_MINUTE/);
    expect(() => loadConfig({ RATE_LIMIT_PER_MINUTE: 'lots' })).toThrow(/RATE_LIMIT_PER_MINUTE/);
  });

  it('reads the broker URLs, a comma-separated NATS_URL as a list, and refuses other schemes', () => {
    const config = loadConfig({ NATS_URL: 'nats://a:4222, nats://b:4222', RABBITMQ_URL: 'amqp://guest:guest@mq:5672' });
    expect(config.NATS_URL).toEqual(['nats://a:4222', 'nats://b:4222']);
    expect(config.RABBITMQ_URL).toEqual(['amqp://guest:guest@mq:5672']);
    expect(loadConfig({}).NATS_URL).toBeUndefined();
    expect(() => loadConfig({ NATS_URL: 'http://a:4222' })).toThrow(/NATS_URL/);
    expect(() => loadConfig({ RABBITMQ_URL: 'redis://mq' })).toThrow(/RABBITMQ_URL/);
    expect(() => loadConfig({ TRANSPORT_REDIS_URL: 'amqp://x' })).toThrow(/TRANSPORT_REDIS_URL/);
  });

  it('refuses START_TRANSPORT without the URL of its broker', () => {
    expect(() => loadConfig({ START_TRANSPORT: 'nats' })).toThrow('START_TRANSPORT: nats needs NATS_URL');
    expect(() => loadConfig({ START_TRANSPORT: 'rmq' })).toThrow('START_TRANSPORT: rmq needs RABBITMQ_URL');
    expect(() => loadConfig({ START_TRANSPORT: 'kafka' })).toThrow(/START_TRANSPORT/);
    expect(loadConfig({ START_TRANSPORT: 'nats', NATS_URL: 'nats://a:4222' }).START_TRANSPORT).toBe('nats');
  });

  it('runs every role by default and accepts only api, worker or all', () => {
    expect(loadConfig({}).ROLE).toBe('all');
    expect(loadConfig({ ROLE: 'worker' }).ROLE).toBe('worker');
    expect(() => loadConfig({ ROLE: 'scheduler' })).toThrow(/ROLE/);
  });
});
