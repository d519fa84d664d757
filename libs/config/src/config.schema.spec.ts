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
});
