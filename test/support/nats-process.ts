/**
 * A private, throw-away nats-server as a child process, for tests that kill
 * or restart the broker under a running coordinator without touching the
 * shared one.
 *
 *   const nats = await startNats();   // nats.url = nats://127.0.0.1:<port>
 *   await nats.kill();                // SIGKILL
 *   await nats.restart();             // same port
 */
import { spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { serverProcess } from './server-process';
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
  const server = serverProcess({
    name: `nats-server on port ${port}`,
    command: NATS_SERVER,
    args: ['-a', '127.0.0.1', '-p', String(port)],
    ready: () => answersInfo(port),
    readyTimeoutMs: READY_TIMEOUT_MS,
  });
  const kill = (signal: NodeJS.Signals = 'SIGKILL') => server.kill(signal);

  await server.start();
  return {
    url: `nats://127.0.0.1:${port}`,
    kill,
    async restart() {
      await kill('SIGKILL');
      await server.start();
    },
    stop: () => kill('SIGKILL'),
    logs: () => server.logs(),
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
