/**
 * What the private, throw-away servers of the tests (nats-server,
 * redis-server, postgres) share: one child process at a time, its output
 * kept for assertion messages, started and awaited until it answers, killed
 * and awaited until it exited.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ServerProcessOptions {
  /** For messages: `nats-server on port 4223`. */
  name: string;
  command: string;
  args: string[];
  spawn?: SpawnOptions;
  /** Whether the server answers yet; must not throw. */
  ready(): Promise<boolean>;
  readyTimeoutMs: number;
  /** How to kill a server that did not come up in time. Default SIGKILL. */
  giveUpSignal?: NodeJS.Signals;
}

export interface ServerProcess {
  /** The current child process (a new one after each start). */
  readonly process: ChildProcess;
  /** Spawns the server and resolves once `ready` says so. */
  start(): Promise<void>;
  /** Sends `signal` if it still runs, and resolves once it exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** The last 32 KiB of its output. */
  logs(): string;
}

const LOG_KEPT = 32 * 1024;

export function serverProcess(options: ServerProcessOptions): ServerProcess {
  let logs = '';
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  const start = async (): Promise<void> => {
    const proc = spawn(options.command, options.args, { ...options.spawn, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer): void => {
      logs = (logs + chunk.toString('utf8')).slice(-LOG_KEPT);
    };
    proc.stdout.on('data', keep);
    proc.stderr.on('data', keep);
    let spawnError: Error | null = null;
    proc.on('error', (error) => {
      spawnError = error;
    });
    child = proc;
    exited = new Promise<void>((done) => proc.once('exit', () => done()));
    for (const deadline = Date.now() + options.readyTimeoutMs; ; await sleep(50)) {
      if (spawnError) throw new Error(`${options.name} could not start: ${(spawnError as Error).message}`);
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`${options.name} exited (${proc.signalCode ?? proc.exitCode}) before it answered:\n${logs}`);
      }
      if (await options.ready()) return;
      if (Date.now() > deadline) {
        proc.kill(options.giveUpSignal ?? 'SIGKILL');
        throw new Error(`${options.name} did not answer within ${options.readyTimeoutMs} ms:\n${logs}`);
      }
    }
  };

  return {
    get process() {
      if (!child) throw new Error(`${options.name} was never started`);
      return child;
    },
    start,
    async kill(signal) {
      if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
    logs: () => logs,
  };
}
