/**
 * API keys in Postgres: stored as hashes, looked up through a short cache,
 * revoked on one replica and forgotten by the others through NOTIFY, with
 * the TTL as the safety net when a NOTIFY never arrives.
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ApiKeyStore, createDataSource, PgNotifications, runMigrations } from '@accord/persistence';
import { createTestDatabase } from '../support/test-env';

const token = (n: number) => `accord_${String(n).padStart(43, 'x')}`;

describe(ApiKeyStore.name, () => {
  let url: string;
  let db: DataSource;
  const listeners: PgNotifications[] = [];

  beforeAll(async () => {
    url = await createTestDatabase('apikeys');
    db = createDataSource({ url, poolSize: 4 });
    await db.initialize();
    await runMigrations(db);
  });

  afterAll(async () => {
    for (const l of listeners) await l.stop();
    await db.destroy();
  });

  it('stores the SHA-256 of the key, never the key, and audits the creation in the same statement', async () => {
    const store = new ApiKeyStore(db);
    const created = await store.create({ name: 'stored', scopes: ['transactions:read'], token: token(1) }, 'admin-token');
    expect(created).toEqual({ id: expect.any(String), name: 'stored', scopes: ['transactions:read'], createdAt: expect.any(String) });
    const [row] = await db.query(`SELECT row_to_json(k)::text AS json, token_hash FROM api_keys k WHERE id = $1`, [created!.id]);
    expect(row.token_hash).toBe(createHash('sha256').update(token(1)).digest('hex'));
    expect(row.json).not.toContain(token(1));
    const audit = await db.query(`SELECT actor, action, target, details FROM audit WHERE target = $1`, [created!.id]);
    expect(audit).toEqual([{ actor: 'admin-token', action: 'api-key.create', target: created!.id, details: { name: 'stored', scopes: ['transactions:read'] } }]);
  });

  it('refuses a second key in use with the same name, and frees the name once revoked', async () => {
    const store = new ApiKeyStore(db);
    const first = await store.create({ name: 'twice', scopes: ['admin'], token: token(2) }, 'admin-token');
    expect(await store.create({ name: 'twice', scopes: ['admin'], token: token(3) }, 'admin-token')).toBeNull();
    expect(await store.revoke(first!.id, 'admin-token')).toMatchObject({ name: 'twice' });
    expect(await store.revoke(first!.id, 'admin-token')).toBeNull();
    expect(await store.create({ name: 'twice', scopes: ['admin'], token: token(4) }, 'admin-token')).toMatchObject({ name: 'twice' });
    expect((await store.list()).filter((k) => k.name === 'twice')).toHaveLength(1);
  });

  it('answers from the cache for at most the TTL: a revocation it did not hear of takes effect by then', async () => {
    let now = 1_000_000;
    const store = new ApiKeyStore(db, { ttlMs: 1000, now: () => now });
    const key = await store.create({ name: 'cached', scopes: ['transactions:read'], token: token(5) }, 'admin-token');
    expect(await store.findByToken(token(5))).toEqual(key);
    // Revoked behind the store's back (no NOTIFY, no invalidation).
    await db.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [key!.id]);
    now += 999;
    expect(await store.findByToken(token(5))).toEqual(key);
    now += 1;
    expect(await store.findByToken(token(5))).toBeNull();
  });

  it('caches unknown tokens too, without hiding a key created later under another token', async () => {
    let now = 2_000_000;
    const store = new ApiKeyStore(db, { ttlMs: 1000, now: () => now });
    expect(await store.findByToken(token(6))).toBeNull();
    const key = await store.create({ name: 'later', scopes: ['admin'], token: token(7) }, 'admin-token');
    expect(await store.findByToken(token(7))).toEqual(key);
    now += 10;
    expect(await store.findByToken(token(6))).toBeNull();
  });

  it('forgets a key revoked on another replica as soon as the NOTIFY arrives, long before the TTL', async () => {
    const replicas = [new ApiKeyStore(db, { ttlMs: 60_000 }), new ApiKeyStore(db, { ttlMs: 60_000 })];
    for (const store of replicas) {
      const listener = new PgNotifications(url, [store.cacheSubscriber()]);
      await listener.start();
      listeners.push(listener);
    }
    const [a, b] = replicas;
    const key = await a.create({ name: 'replicated', scopes: ['admin'], token: token(8) }, 'admin-token');
    expect(await b.findByToken(token(8))).toEqual(key);
    expect(await a.findByToken(token(8))).toEqual(key);
    const revokedAt = Date.now();
    await a.revoke(key!.id, 'ops');
    expect(await a.findByToken(token(8))).toBeNull();
    while ((await b.findByToken(token(8))) !== null) {
      expect(Date.now() - revokedAt).toBeLessThan(1000);
      await new Promise((r) => setTimeout(r, 5));
    }
  });
});
