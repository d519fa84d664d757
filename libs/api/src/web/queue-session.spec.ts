import { QueueSessions } from './queue-session';

describe(QueueSessions.name, () => {
  const token = 'accord_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG';

  it('opens what it sealed, also on another replica with the same ADMIN_TOKEN', () => {
    const sealed = new QueueSessions('admin-token-of-the-deployment').seal(token);
    expect(sealed).not.toContain(token);
    expect(new QueueSessions('admin-token-of-the-deployment').open(sealed)).toBe(token);
  });

  it('refuses a session sealed under another ADMIN_TOKEN', () => {
    const sealed = new QueueSessions('one-admin-token').seal(token);
    expect(new QueueSessions('another-admin-token').open(sealed)).toBeNull();
  });

  it('refuses an altered session, whichever byte changed', () => {
    const sessions = new QueueSessions('admin-token-of-the-deployment');
    const raw = Buffer.from(sessions.seal(token), 'base64url');
    for (let i = 0; i < raw.length; i++) {
      const altered = Buffer.from(raw);
      altered[i] ^= 0x01;
      expect(sessions.open(altered.toString('base64url'))).toBeNull();
    }
  });

  it('refuses a session once it expired', () => {
    let now = 1_000_000;
    const sessions = new QueueSessions('admin-token-of-the-deployment', 60_000, () => now);
    const sealed = sessions.seal(token);
    now += 59_999;
    expect(sessions.open(sealed)).toBe(token);
    now += 1;
    expect(sessions.open(sealed)).toBeNull();
  });

  it('refuses what is not a session at all', () => {
    const sessions = new QueueSessions('admin-token-of-the-deployment');
    for (const junk of ['', 'x', token, 'A'.repeat(200), '%%%', Buffer.alloc(40).toString('base64url')]) expect(sessions.open(junk)).toBeNull();
  });
});
