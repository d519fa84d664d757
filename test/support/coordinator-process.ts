/** Starts the built coordinator as a real process, and talks to it over HTTP. */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { TransactionView } from '@accord/contracts';
import { servedApiDocument } from './api-document-check';
import { createTestDatabase, freePort, queuePrefixFor, redisUrl } from './test-env';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface CoordinatorOptions {
  label: string;
  /** Reuse a database (a restart after a crash); default: a new one. */
  databaseUrl?: string;
  queuePrefix?: string;
  port?: number;
  env?: Record<string, string>;
  /** Runs it under `prlimit --nofile`, to see it run out of file descriptors. */
  fileLimit?: number;
}

export interface CoordinatorProcess {
  url: string;
  port: number;
  databaseUrl: string;
  queuePrefix: string;
  process: ChildProcess;
  logs(): string;
  /** SIGTERM and wait for the graceful exit. */
  stop(): Promise<void>;
  /** Signal (default SIGKILL) and wait for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const LOG_KEPT = 256 * 1024;

export async function startCoordinator(options: CoordinatorOptions): Promise<CoordinatorProcess> {
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase(options.label));
  const queuePrefix = options.queuePrefix ?? queuePrefixFor(`${options.label}_${Math.random().toString(36).slice(2, 8)}`);
  const port = options.port ?? (await freePort());
  const main = resolve(__dirname, '../../dist/apps/coordinator/main.js');
  const [command, args] = options.fileLimit
    ? ['prlimit', [`--nofile=${options.fileLimit}:${options.fileLimit}`, process.execPath, main]]
    : [process.execPath, [main]];
  const child = spawn(command, args, {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: queuePrefix,
      ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
      SWEEP_INTERVAL_MS: '500',
      SWEEP_GRACE_MS: '1000',
      DATABASE_POOL_SIZE: '10',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  const keep = (chunk: Buffer) => {
    logs = (logs + chunk.toString('utf8')).slice(-LOG_KEPT);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = `http://127.0.0.1:${port}`;
  // A deadline, not a measurement: booting takes a few seconds of CPU, and on
  // a loaded shared machine much longer.
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`coordinator exited with ${child.exitCode}:\n${logs}`);
    try {
      const res = await request(`${url}/health/ready`);
      await res.body.dump();
      if (res.statusCode === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`coordinator did not become ready:\n${logs}`);
    }
    await sleep(100);
  }
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { url, port, databaseUrl, queuePrefix, process: child, logs: () => logs, stop: () => kill('SIGTERM'), kill };
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
}

/** A tiny JSON client for the coordinator's API. Every answer must match
 * the coordinator's OpenAPI document (status, body, headers): one that does
 * not fails the test that received it. */
export class Api {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | null = ADMIN_TOKEN,
  ) {}

  async call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    // Fetched before the request, not after it: a test that drives the
    // coordinator out of sockets must not lose the answer it got to the
    // document fetch that follows. A worker replica serves none: nothing to check.
    const document = await servedApiDocument(this.baseUrl);
    const res = await request(`${this.baseUrl}${path}`, {
      method: method as 'GET',
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.body.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // keep the raw text
    }
    const answer = { status: res.statusCode, body: parsed as T, headers: res.headers };
    const problem = document?.problem(method, path, answer);
    if (problem) throw new Error(`${method} ${path}: the answer does not match the OpenAPI document: ${problem}\n${String(text).slice(0, 2000)}`);
    return answer;
  }

  get<T = any>(path: string) {
    return this.call<T>('GET', path);
  }

  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.call<T>('POST', path, body ?? {}, headers);
  }

  /** Polls until the transaction is terminal or STUCK. */
  async settle(id: string, timeoutMs = 30_000): Promise<TransactionView> {
    const res = await this.get<TransactionView>(`/v1/transactions/${id}?waitMs=${timeoutMs}`);
    // The body was checked against the document's schema for this status.
    if (res.status !== 200) throw new Error(`GET /v1/transactions/${id} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }
}

/**
 * Runs the coordinator, expecting it to refuse to start: resolves with its
 * exit code and output; fails (and kills it) if it comes up instead.
 */
export async function runCoordinatorUntilExit(
  databaseUrl: string,
  env: Record<string, string | undefined>,
): Promise<{ code: number | null; output: string }> {
  const port = await freePort();
  const { ADMIN_TOKEN: _inherited, ...inherited } = process.env;
  const child = spawn(process.execPath, [resolve(__dirname, '../../dist/apps/coordinator/main.js')], {
    env: {
      ...inherited,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: queuePrefixFor('until_exit'),
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  let listening = false;
  while (child.exitCode === null && child.signalCode === null && !listening) {
    try {
      const res = await request(`http://127.0.0.1:${port}/health/live`);
      await res.body.dump();
      listening = true;
    } catch {
      await sleep(50);
    }
  }
  if (listening) child.kill('SIGKILL');
  const code = await exited;
  if (listening) throw new Error(`the coordinator started with ${JSON.stringify(env)}:\n${output}`);
  return { code, output };
}

export const TERMINAL = ['COMPLETED', 'COMPENSATED', 'RESOLVED', 'CONFIRMED', 'CANCELLED', 'STUCK'];
