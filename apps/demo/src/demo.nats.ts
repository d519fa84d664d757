import { accessSync, constants } from 'node:fs';
import { createConnection } from 'node:net';
import { delimiter, join } from 'node:path';
import type { DemoProcesses } from './demo.processes';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost']);

const HOW_TO_INSTALL =
  'nats-server is not installed: install it (Debian/Ubuntu: `apt-get install nats-server`; macOS: `brew install nats-server`; ' +
  'or a binary from https://github.com/nats-io/nats-server/releases), or point NATS_URL at a running NATS server';

/**
 * The NATS the shop's inventory and the coordinator talk through: the server
 * answering at `url` if there is one, otherwise a nats-server the demo
 * starts on that local port as one of its processes (it holds no state, so
 * it stops with the demo).
 */
export async function ensureNats(url: string, processes: DemoProcesses): Promise<'found' | 'started'> {
  if (await answersNats(url)) return 'found';
  const { hostname, port } = new URL(url);
  if (!LOCAL_HOSTS.has(hostname)) throw new Error(`NATS does not answer at ${url}, which is not local to start one there: fix NATS_URL`);
  const server = findOnPath('nats-server');
  if (!server) throw new Error(`NATS does not answer at ${url} and ${HOW_TO_INSTALL}`);
  processes.start('nats', server, ['-a', '127.0.0.1', '-p', port || '4222'], process.env);
  await processes.untilReady('nats', () => answersNats(url), 10_000);
  return 'started';
}

/** A NATS server greets every connection with an `INFO {…}` line. */
export function answersNats(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port || 4222) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (chunk) => done(chunk.toString('utf8').startsWith('INFO')));
  });
}

/** Debian installs nats-server in /usr/sbin, which is not on every user's PATH. */
function findOnPath(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/bin'];
  for (const dir of dirs.filter(Boolean)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}
