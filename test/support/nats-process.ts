/**
 * A private, throw-away nats-server as a child process, for tests that kill
 * or restart the broker under a running coordinator without touching the
 * shared one.
 *
 *   const nats = await startNats();   // nats.url = nats://127.0.0.1:<port>
 *   await nats.kill();                // SIGKILL
 *   await nats.restart();             // same port
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './test-env';

export interface NatsProcess {
  /** `nats://127.0.0.1:<port>`, the same across restarts. */
  readonly url: string;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts a new server on the same port; kills the old one first if it still runs. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  logs(): string;
}

const NATS_SERVER = process.env.NATS_SERVER_BIN ?? 'nats-server';
const READY_TIMEOUT_MS = 10_000;

export async function startNats(): Promise<NatsProcess> {
  const probe = spawnSync(NATS_SERVER, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(`nats-server is not available (${probe.error?.message ?? `exit ${probe.status}`}): install it or set NATS_SERVER_BIN`);
  }
  const port = await freePort();
  let logs = '';
  let child: ChildProcess;
  let exited: Promise<void>;

  const spawnServer = async (): Promise<void> => {
    const proc = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer): void => {
      logs = (logs + chunk.toString('utf8')).slice(-32 * 1024);
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    proc.on('error', keep.bind(null, Buffer.from('spawn error\n')));
    child = proc;
    exited = new Promise<void>((done) => proc.once('exit', () => done()));
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await answersInfo(port))) {
      if (proc.exitCode !== null || Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`nats-server on port ${port} did not come up:\n${logs}`);
      }
      await sleep(50);
    }
  };

  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };

  await spawnServer();
  return {
    url: `nats://127.0.0.1:${port}`,
    kill,
    async restart() {
      await kill('SIGKILL');
      await spawnServer();
    },
    stop: () => kill('SIGKILL'),
    logs: () => logs,
  };
}

/** A NATS server greets every connection with an `INFO {…}` line. */
function answersInfo(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('data', (chunk) => done(chunk.toString('utf8').startsWith('INFO')));
  });
}
