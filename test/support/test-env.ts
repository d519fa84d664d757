/**
 * Per-test resources for the "services" tests, namespaced by the run id that
 * global-setup chose: global-teardown removes everything created here.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Client } from 'pg';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this test through the jest "services" project (global-setup)`);
  return value;
}

const runId = (): string => required('ACCORD_TEST_RUN');
const sanitize = (label: string): string => label.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 24) || 'x';

/** Creates an empty database `accord_<run>_<label>_<rand>` and returns its URL. */
export async function createTestDatabase(label: string): Promise<string> {
  const adminUrl = required('ACCORD_TEST_PG_URL');
  const name = `accord_${runId()}_${sanitize(label)}_${randomBytes(4).toString('hex')}`;
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** QUEUE_PREFIX for one test: `accord_<run>_<label>` (the app adds the `{…}` hash tag). */
export function queuePrefixFor(label: string): string {
  return `accord_${runId()}_${sanitize(label)}`;
}

export function redisUrl(): string {
  return required('REDIS_URL');
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Drops a database made by createTestDatabase, closing whatever is still connected to it.
 * A pg Pool's end() resolves before its sockets have closed, and a backend that FORCE
 * terminates then answers the closing client with 57P01, which the pool emits as an
 * unhandled 'error' into whichever test runs next: so the drop first waits up to three seconds
 * for the backends of callers that did close to go by themselves.
 */
export async function dropTestDatabase(databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const admin = new Client({ connectionString: required('ACCORD_TEST_PG_URL') });
  await admin.connect();
  try {
    for (let waited = 0; waited < 3000; waited += 50) {
      const { rows } = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
      if (rows[0].n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Fresh transaction ids `<prefix>-<time>-<n>`, so tests never share rows. */
export function transactionIds(prefix: string): () => string {
  let counter = 0;
  return () => `${prefix}-${Date.now().toString(36)}-${++counter}`;
}
