/**
 * What the bench's drivers share: where the build is, the provisioning of
 * Postgres and Redis, child processes, and CPU and Redis counters read from
 * the machine (Linux /proc, INFO).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import IORedis from 'ioredis';
import { Client } from 'pg';
import { Pool as HttpPool } from 'undici';

/** The repository: the nearest directory above this file with a package.json. */
export const ROOT = (() => {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (dir === path.dirname(dir)) throw new Error(`no package.json above ${__dirname}`);
  }
})();

/** The coordinator's build (npm run build). */
export const DIST = path.join(ROOT, 'dist');


export const num = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
};


/** BENCH_COORDINATOR_ENV (KEY=VALUE,…): more settings for the measured coordinator. */
export function coordinatorEnvFromBench(): Record<string, string> {
  return Object.fromEntries(
    (process.env.BENCH_COORDINATOR_ENV ?? '')
      .split(',')
      .filter((kv) => kv.includes('='))
      .map((kv) => [kv.slice(0, kv.indexOf('=')).trim(), kv.slice(kv.indexOf('=') + 1).trim()]),
  );
}

// Compiled to CommonJS, a plain import() would become require(); the .mjs
// must be loaded as an ES module, and only code TypeScript does not see keeps it.
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- a constant body: the one way to keep import() from becoming require()
export const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<unknown>;

export interface ProvisionModule {
  provision: (opts: { quiet: boolean }) => Promise<{ databaseUrl: string; redisUrl: string }>;
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const CLK_TCK = 100;

/** utime + stime of a process (+ cutime + cstime of its reaped children), in ms (Linux /proc). */
export function processCpuMs(pid: number | undefined, children = false): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(fields[11]) + Number(fields[12]);
    const reaped = children ? Number(fields[13]) + Number(fields[14]) : 0;
    return ((own + reaped) * 1000) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** CPU ms of every process called `name` (e.g. every Postgres backend), with
 * the reaped children of each (backends that exited count in the
 * postmaster's cutime/cstime). */
export function cpuMsOfProcesses(name: 'postgres' | 'redis-server'): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== name) continue;
      total += processCpuMs(Number(entry), true);
    } catch {
      // gone
    }
  }
  return total;
}


/** Commands the Redis server has processed since it started (all clients). */
export async function redisCommands(redisUrl: string): Promise<number> {
  const redis = new IORedis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const info = await redis.info('stats');
    return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? NaN);
  } finally {
    redis.disconnect();
  }
}


export interface Child {
  process: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function startChild(script: string, env: Record<string, string>, nodeArgs: string[] = []): Child {
  const child = spawn(process.execPath, [...nodeArgs, script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-256 * 1024);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  return { process: child, output: () => output, exited, stop };
}

export async function waitFor<T>(what: string, child: Child, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (child.process.exitCode !== null) throw new Error(`${what} exited with ${child.process.exitCode}:\n${child.output()}`);
    if (Date.now() > deadline) throw new Error(`${what} did not come up:\n${child.output()}`);
    await sleep(10);
  }
}

export async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<number> {
  const redis = new IORedis(redisUrl, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `{${prefix}}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** A built coordinator a bench drives, and its client. */
export interface BenchCoordinator {
  child: Child;
  /** One request; its status and body text. */
  request: (method: 'GET' | 'POST', pathname: string, body?: unknown) => Promise<{ status: number; text: string }>;
  /** Resolves once it answers ready. */
  ready: (timeoutMs?: number) => Promise<void>;
  stop: () => Promise<void>;
}

/** Starts the built coordinator on a random local port, in development mode
 * with no credentials, logging warnings only; `env` adds its database,
 * Redis, queue prefix and whatever else the bench sets. `open`: the
 * requests the client may have open at once. */
export function startBenchCoordinator(env: Record<string, string>, open: number, nodeArgs: string[] = []): BenchCoordinator {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = startChild(path.join(DIST, 'apps', 'coordinator', 'main.js'), {
    NODE_ENV: 'development', PORT: String(port), HOST: '127.0.0.1', ADMIN_TOKEN: '', SIGNING_SECRET: '', LOG_LEVEL: 'warn', ...env,
  }, nodeArgs);
  const http = new HttpPool(`http://127.0.0.1:${port}`, { connections: open + 8, pipelining: 1 });
  const request = async (method: 'GET' | 'POST', pathname: string, body?: unknown) => {
    const res = await http.request({
      path: pathname, method, headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.statusCode, text: await res.body.text() };
  };
  return {
    child,
    request,
    ready: async (timeoutMs = 30_000) => {
      await waitFor('coordinator', child, () => request('GET', '/health/ready').then((r) => (r.status === 200 ? true : undefined), () => undefined), timeoutMs);
    },
    stop: async () => {
      await http.close();
      await child.stop();
    },
  };
}
