/**
 * A private, throw-away redis-server as a child process, for chaos tests that
 * kill or flush Redis under a running coordinator without touching the shared
 * one. No persistence: a restart comes back empty, like a Redis that lost its
 * data.
 *
 *   const redis = await startRedis();        // redis.url = redis://127.0.0.1:<port>
 *   await redis.kill('SIGKILL');             // every key is gone
 *   await redis.restart();                   // same port, empty
 *   await redis.flushall();
 *   await redis.stop();
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { serverProcess } from './server-process';
import { freePort } from './test-env';

export interface RedisProcess {
  /** `redis://127.0.0.1:<port>` — stays the same across restarts. */
  readonly url: string;
  readonly port: number;
  /** The current child process (a new one after each restart). */
  readonly process: ChildProcess;
  /** Sends `signal` (default SIGKILL) and resolves once the process exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts a fresh (empty) server on the same port; kills the old one first if it still runs. */
  restart(): Promise<void>;
  /** FLUSHALL on the running server. */
  flushall(): Promise<void>;
  /** Sends one command and answers the raw first reply line (`+PONG`, `:12`, …). */
  command(...args: string[]): Promise<string>;
  /** Kills the server for good (safe to call twice). */
  stop(): Promise<void>;
  /** The last 32 KiB of its output, for assertion messages. */
  logs(): string;
}

const READY_TIMEOUT_MS = 10_000;
const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? 'redis-server';

/** Fails with a clear message when redis-server is not installed. */
export function assertRedisServerAvailable(): void {
  const probe = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `redis-server is not available (${probe.error?.message ?? `exit ${probe.status}`}): the chaos tests run a private ` +
        `redis-server process. Install it (apt-get install redis-server; scripts/provision.mjs does this when run as ` +
        `root) or set REDIS_SERVER_BIN to its path.`,
    );
  }
}

export async function startRedis(port?: number): Promise<RedisProcess> {
  assertRedisServerAvailable();
  const chosenPort = port ?? (await freePort());
  const server = serverProcess({
    name: `redis-server on port ${chosenPort}`,
    command: REDIS_SERVER,
    args: ['--port', String(chosenPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir(),
      '--daemonize', 'no', '--loglevel', 'warning'],
    ready: () => send(chosenPort, ['PING']).then((reply) => reply === '+PONG', () => false),
    readyTimeoutMs: READY_TIMEOUT_MS,
  });
  const kill = (signal: NodeJS.Signals = 'SIGKILL') => server.kill(signal);

  await server.start();
  return {
    url: `redis://127.0.0.1:${chosenPort}`,
    port: chosenPort,
    get process() {
      return server.process;
    },
    kill,
    async restart() {
      await kill('SIGKILL');
      await server.start();
    },
    async flushall() {
      const reply = await send(chosenPort, ['FLUSHALL']);
      if (reply !== '+OK') throw new Error(`FLUSHALL answered ${reply}`);
    },
    command: (...args: string[]) => send(chosenPort, args),
    stop: () => kill('SIGKILL'),
    logs: () => server.logs(),
  };
}

/** One RESP command on a fresh connection; resolves with the first reply line. */
function send(port: number, args: string[], timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let buffer = '';
    let done = false;
    const timer = setTimeout(() => finish(new Error(`redis on ${port}: no reply to ${args[0]} within ${timeoutMs} ms`)), timeoutMs);
    function finish(error: Error | null, line?: string): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(line!);
    }
    socket.setEncoding('utf8');
    socket.on('error', (error) => finish(error));
    socket.once('connect', () => {
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    });
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const end = buffer.indexOf('\r\n');
      if (end >= 0) finish(null, buffer.slice(0, end));
    });
  });
}
