/**
 * The SDK packages as a user gets them. `npm pack -w packages` packs every
 * workspace under packages/ (from the build; the console is an app, not a
 * package) into a temporary folder; a project outside the
 * repository installs those tarballs with npm, and runs there a participant
 * on @accord/participant (barrier on a Postgres database of its own) and a
 * client on @accord/client against the built coordinator: the saga
 * completes, a replayed call applies once, and `npx accord-conformance`
 * passes against that participant. The project also type-checks a consumer
 * of every entry point, under both module resolutions users have; and
 * requiring @accord/client loads no Nest and no rxjs.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { HEADERS, idempotencyKeyFor, signBody, type ParticipantCall } from '@accord/contracts';
import { Client } from 'pg';
import { request } from 'undici';
import { ADMIN_TOKEN, startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { startParticipantProcess, type ParticipantProcess } from '../support/participant-process';
import { createTestDatabase } from '../support/test-env';

const ROOT = resolve(__dirname, '../..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'installed-project');
const SECRET = 'installed-packages-secret-0123';
const PACKAGES = ['@accord/contracts', '@accord/client', '@accord/participant', '@accord/conformance'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** This environment without the npm_* variables `npm test` sets: a user's
 * npm in their own project must not inherit the repository's workspace. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name))), ...extra };
}

/** Runs a command to its end without blocking this process (the coordinator
 * and the participant keep answering meanwhile). */
function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = userEnv()): Promise<Run> {
  const started = Date.now();
  return new Promise((resolveRun) => {
    execFile(file, args, { cwd, env, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolveRun({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

async function ok(pending: Promise<Run>, what: string): Promise<Run> {
  const done = await pending;
  if (done.code !== 0) throw new Error(`${what} exited ${done.code}:\n${done.stdout}\n${done.stderr}`);
  return done;
}

/** The files that requiring `entry` loads, resolved from `dir` (which holds loaded-modules.cjs). */
async function loadedBy(entry: string, dir: string): Promise<string[]> {
  const { stdout } = await ok(run(process.execPath, [join(dir, 'loaded-modules.cjs'), entry], dir), `require(${entry})`);
  return JSON.parse(stdout) as string[];
}

/** The package a loaded file belongs to (`@nestjs/common`, `zod`), or null outside node_modules. */
function packageOf(file: string): string | null {
  const parts = file.split(sep);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return null;
  return parts[at + 1].startsWith('@') ? `${parts[at + 1]}/${parts[at + 2]}` : parts[at + 1];
}

let work: string;
let project: string;
let databaseUrl: string;
let coordinator: CoordinatorProcess | undefined;
let participant: ParticipantProcess | undefined;
const timings: Record<string, number> = {};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'accord-installed-'));
  project = join(work, 'project');
  const tarballs = join(work, 'tarballs');
  await Promise.all([mkdir(project), mkdir(tarballs)]);

  // What `npm run build` produced; scripts off, so packing never rebuilds under other tests' feet.
  const pack = await ok(
    run('npm', ['pack', '--workspace', 'packages', '--ignore-scripts', '--json', '--pack-destination', tarballs], ROOT),
    'npm pack',
  );
  timings.pack = pack.ms;
  const packed = JSON.parse(pack.stdout) as Array<{ name: string; filename: string }>;
  expect(packed.map((p) => p.name).sort()).toEqual([...PACKAGES].sort());

  // pg and its types at the repository's versions, so they come from npm's cache.
  const version = async (name: string) =>
    (JSON.parse(await readFile(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  const dependencies = Object.fromEntries([
    ...packed.map((p) => [p.name, `file:../tarballs/${p.filename}`]),
    ['pg', await version('pg')],
    ['@types/pg', await version('@types/pg')],
  ]);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'accord-user', private: true, dependencies }, null, 2));
  for (const file of ['participant.cjs', 'client.cjs', 'consumer.ts', 'loaded-modules.cjs']) await cp(join(FIXTURE, file), join(project, file));
  const install = await ok(run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], project), 'npm install');
  timings.install = install.ms;

  databaseUrl = await createTestDatabase('installed_participant');
  const started = Date.now();
  [coordinator, participant] = await Promise.all([
    startCoordinator({ label: 'installed_packages', env: { SIGNING_SECRET: SECRET } }),
    startParticipantProcess(join(project, 'participant.cjs'), {
      cwd: project,
      env: userEnv({ DATABASE_URL: databaseUrl, SIGNING_SECRET: SECRET }),
    }),
  ]);
  timings.start = Date.now() - started;
  await query("INSERT INTO stock (sku, n) VALUES ('A', 1000), ('B', 1000)");
}, 180_000);

afterAll(async () => {
  console.log(`installed packages: ${JSON.stringify(timings)} ms`);
  await participant?.stop().catch(() => undefined);
  await coordinator?.stop().catch(() => undefined);
  if (work) await rm(work, { recursive: true, force: true });
});

/** One statement on the participant's database, as a bystander. */
async function query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('the packages installed from their tarballs', () => {
  it('install only what they declare: the tarballs, their dependencies, no optional framework peer', async () => {
    const lock = JSON.parse(await readFile(join(project, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
    const installed = Object.keys(lock.packages).map((path) => path.replace(/^.*node_modules\//, ''));
    expect(installed).toEqual(expect.arrayContaining([...PACKAGES, 'zod', 'undici']));
    for (const framework of ['@nestjs/common', '@nestjs/microservices', 'rxjs', 'fastify', 'express', 'typeorm']) expect(installed).not.toContain(framework);
  });

  it('run a saga from a client on @accord/client through a participant on @accord/participant', async () => {
    const done = await ok(
      run(process.execPath, ['client.cjs', participant!.url], project, userEnv({ ACCORD_URL: coordinator!.url, ACCORD_TOKEN: ADMIN_TOKEN })),
      'client.cjs',
    );
    timings.client = done.ms;
    const seen = JSON.parse(done.stdout);
    expect(seen.registered).toMatchObject({ created: true, definition: { name: 'order', version: 1 } });
    expect(seen.first).toMatchObject({
      created: true,
      idempotencyKey: 'order-1',
      transaction: {
        status: 'COMPLETED',
        steps: [
          { name: 'take-a', status: 'SUCCEEDED', output: { sku: 'A', moved: -2 } },
          { name: 'take-b', status: 'SUCCEEDED', output: { sku: 'B', moved: -2 } },
        ],
      },
    });
    const id: string = seen.first.transaction.id;
    expect(seen.again).toMatchObject({ created: false, transaction: { id } });
    expect(seen.listed).toEqual([id]);
    expect(seen.attempts.map((a: any) => [a.step, a.phase, a.outcome])).toEqual([
      ['take-a', 'action', 'ok'],
      ['take-b', 'action', 'ok'],
    ]);
    expect(await query('SELECT sku, n FROM stock ORDER BY sku')).toEqual([
      { sku: 'A', n: 998 },
      { sku: 'B', n: 998 },
    ]);

    // The coordinator's first call, delivered again (a retry, a crash replay): the first answer, no second effect.
    const call: ParticipantCall = { transactionId: id, step: 'take-a', phase: 'action', attempt: 2, input: { sku: 'A', qty: 2 } };
    const body = JSON.stringify(call);
    const replay = await request(`${participant!.url}/stock/action`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [HEADERS.idempotencyKey]: idempotencyKeyFor(id, 'take-a', 'action'),
        [HEADERS.signature]: signBody(SECRET, body, Date.now()),
      },
      body,
    });
    expect([replay.statusCode, await replay.body.json()]).toEqual([200, { sku: 'A', moved: -2 }]);
    expect(await query('SELECT step, phase, delta FROM effects WHERE transaction_id = $1 ORDER BY id', [id])).toEqual([
      { step: 'take-a', phase: 'action', delta: -2 },
      { step: 'take-b', phase: 'action', delta: -2 },
    ]);
    expect(await query("SELECT n FROM stock WHERE sku = 'A'")).toEqual([{ n: 998 }]);
  }, 60_000);

  it('pass `npx accord-conformance` against that participant, signing on', async () => {
    const args = ['accord-conformance', '--secret', SECRET, '--input', '{"sku":"A","qty":1}', `${participant!.url}/stock`];
    const done = await run('npx', args, project);
    timings.conformance = done.ms;
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/^duplicate action\s.*\|\s*PASS\s*$/m);
    expect(done.stdout).toMatch(/^action signed with a wrong secret\s.*\|\s*PASS\s*$/m);
    expect(done.stdout).not.toMatch(/\|\s*FAIL\s*$/m);
    expect(done.stdout).toMatch(/CONFORMS$/m);
  }, 60_000);

  it('type-check against their declarations under node16+ and node10 module resolution', async () => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const checks = [
      ['nodenext', 'nodenext'],
      ['node10', 'commonjs'],
    ].map(async ([moduleResolution, module]) => {
      const config = join(project, `tsconfig.${moduleResolution}.json`);
      const compilerOptions = { strict: true, noEmit: true, skipLibCheck: true, target: 'ES2022', lib: ['ES2023'], types: ['node'], module, moduleResolution };
      await writeFile(config, JSON.stringify({ compilerOptions, files: ['consumer.ts'] }));
      return [moduleResolution, await run(process.execPath, [tsc, '-p', config], project)] as const;
    });
    for (const [moduleResolution, done] of await Promise.all(checks)) {
      expect([moduleResolution, done.code, done.stdout]).toEqual([moduleResolution, 0, '']);
    }
  }, 60_000);

  it('load nothing but themselves, @accord/contracts and zod when a user requires @accord/client or the participant root', async () => {
    for (const entry of ['@accord/client', '@accord/participant']) {
      const packages = new Set((await loadedBy(entry, project)).map(packageOf));
      expect([entry, [...packages].sort()]).toEqual([entry, [entry, '@accord/contracts', 'zod'].sort()]);
    }
  });
});

describe('@accord/client in the repository, where Nest and rxjs are installed', () => {
  it('loads no Nest module and no rxjs, while the participant/nest and /microservices subpaths do load Nest', async () => {
    const framework = (files: string[]) => files.map(packageOf).filter((name) => name !== null && /^(@nestjs\/|rxjs$)/.test(name));
    expect(framework(await loadedBy('@accord/client', FIXTURE))).toEqual([]);
    expect(framework(await loadedBy('@accord/participant', FIXTURE))).toEqual([]);
    // The same check sees Nest when it is loaded.
    expect(framework(await loadedBy('@accord/participant/nest', FIXTURE))).toEqual(expect.arrayContaining(['@nestjs/common', 'rxjs']));
    expect(framework(await loadedBy('@accord/participant/nest', FIXTURE))).not.toContain('@nestjs/microservices');
    expect(framework(await loadedBy('@accord/participant/microservices', FIXTURE))).toEqual(
      expect.arrayContaining(['@nestjs/common', '@nestjs/microservices', 'rxjs']),
    );
  });
});
