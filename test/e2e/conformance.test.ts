/**
 * The participant conformance kit against two participants: the bank built on
 * the SDK (barrier + signature check: every hazard passes) and a deliberately
 * naive one (applies every call it receives: the hazards fail, as they
 * should). Both through the built command line (the bin shim `npx
 * accord-conformance` runs; its table and exit status) and through
 * `runConformance` (definition mode, asserting on the result rows).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request } from 'undici';
import { runConformance, type ConformanceReport, type ConformanceResult } from '@accord/conformance';
import { startNaiveParticipant, type NaiveParticipant } from '../support/naive-participant';
import { startParticipant, type ParticipantProcess } from '../support/participant-process';
import { createTestDatabase } from '../support/test-env';

const SECRET = 'conformance-secret-0123456789';
const ROOT = resolve(__dirname, '../..');
/** What `npx accord-conformance` runs: the package's declared bin. Read from
 * its manifest, because npm links a workspace bin only if it was built when
 * npm install ran (a fresh clone installs before it builds). */
const BIN = (() => {
  const dir = join(ROOT, 'packages', 'conformance');
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  return join(dir, manifest.bin['accord-conformance']);
})();

/** Every check that must fail on a participant without a barrier and without signature checks. */
const NAIVE_FAILS = [
  'duplicate',
  'concurrent-duplicates',
  'backward-twice',
  'forward-after-backward',
  'unsigned',
  'wrong-signature',
  'stale-signature',
  'tampered-body',
  'unsigned-backward',
];

let bank: ParticipantProcess | undefined;
let naive: NaiveParticipant | undefined;
let workDir: string | undefined;

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The command line as `npx accord-conformance` runs it (the package's built bin). Async,
 * so the in-process naive participant keeps answering. */
function cli(args: string[]): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolveRun) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolveRun({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

function sagaDefinition(url: string) {
  return {
    name: 'conformance-transfer',
    type: 'saga',
    steps: [
      {
        name: 'debit',
        input: { account: '{{input.from}}', amount: '{{input.amount}}' },
        action: { url: `${url}/debit` },
        compensation: { url: `${url}/debit/undo` },
      },
      {
        name: 'credit',
        input: { account: '{{input.to}}', amount: '{{input.amount}}' },
        action: { url: `${url}/credit` },
        compensation: { url: `${url}/credit/undo` },
      },
    ],
  };
}

function tccDefinition(url: string) {
  const branch = (name: string, account: string) => ({
    name,
    dependsOn: [],
    input: { account, amount: '{{input.amount}}' },
    try: { url: `${url}/tcc/${name}/try` },
    confirm: { url: `${url}/tcc/${name}/confirm` },
    cancel: { url: `${url}/tcc/${name}/cancel` },
  });
  return { name: 'conformance-tcc-transfer', type: 'tcc', steps: [branch('debit', '{{input.from}}'), branch('credit', '{{input.to}}')] };
}

const TRANSFER_INPUT = { from: 'alice', to: 'bob', amount: 5 };

const failures = (results: ConformanceResult[]) => results.filter((r) => r.outcome === 'fail');

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('conformance_bank');
  bank = await startParticipant('bank', { DATABASE_URL: databaseUrl, BANK_SIGNING_SECRET: SECRET });
  const seeded = await request(`${bank.url}/_seed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ accounts: { alice: 1_000_000, bob: 1_000_000 } }),
  });
  await seeded.body.dump();
  expect(seeded.statusCode).toBe(204);
  naive = await startNaiveParticipant();
  workDir = await mkdtemp(join(tmpdir(), 'accord-conformance-'));
}, 60_000);

afterAll(async () => {
  await bank?.stop().catch(() => undefined);
  await naive?.close().catch(() => undefined);
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('the accord-conformance command', () => {
  it('passes every hazard of the SDK bank (saga and TCC base URLs, signing on) and exits 0', async () => {
    const run = await cli(['--secret', SECRET, '--input', '{"account":"alice","amount":3}', `${bank!.url}/debit`, `${bank!.url}/tcc/debit`]);
    console.log(`accord-conformance against the SDK bank (exit ${run.code}, ${run.ms} ms):\n${run.stdout}${run.stderr}`);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/\|\s*FAIL\s*$/m);
    for (const title of [
      'duplicate action',
      '10 concurrent duplicate actions',
      'compensation before action',
      'action after compensation',
      'duplicate try',
      'confirm twice',
      'cancel without try',
      'try after cancel',
      'unsigned try',
      'try signed with a wrong secret',
      'try with a stale timestamp (1 h)',
      'unsigned cancel',
    ]) {
      expect(run.stdout).toMatch(new RegExp(`^${title.replace(/[()]/g, '\\$&')}\\s.*\\|\\s*PASS\\s*$`, 'm'));
    }
    expect(run.stdout.match(/CONFORMS$/gm)).toHaveLength(2);
  }, 60_000);

  it('fails the hazards of the naive participant and exits 1', async () => {
    const run = await cli(['--secret', SECRET, '--input', '{"account":"alice","amount":3}', `${naive!.url}/debit`, `${naive!.url}/tcc/debit`]);
    console.log(`accord-conformance against the naive participant (exit ${run.code}, ${run.ms} ms):\n${run.stdout}${run.stderr}`);
    expect(run.code).toBe(1);
    for (const title of [
      'duplicate action',
      '10 concurrent duplicate actions',
      'action after compensation',
      'duplicate try',
      '10 concurrent duplicate tries',
      'confirm twice',
      'try after cancel',
      'unsigned action',
      'action signed with a wrong secret',
      'unsigned cancel',
    ]) {
      expect(run.stdout).toMatch(new RegExp(`^${title}\\s.*\\|\\s*FAIL\\s*$`, 'm'));
    }
    // What a naive participant does get right: answering at all, and a null compensation's 2xx.
    expect(run.stdout).toMatch(/^first action succeeds\s.*\|\s*PASS\s*$/m);
    expect(run.stdout).toMatch(/^cancel without try\s.*\|\s*PASS\s*$/m);
    expect(run.stdout.match(/DOES NOT CONFORM$/gm)).toHaveLength(2);
  }, 60_000);

  it('reads a definition file and prints JSON with --json', async () => {
    const file = join(workDir!, 'tcc-transfer.json');
    await writeFile(file, JSON.stringify(tccDefinition(bank!.url)));
    const run = await cli(['--json', '--secret', SECRET, '--input', JSON.stringify(TRANSFER_INPUT), file]);
    expect(run.code).toBe(0);
    const parsed = JSON.parse(run.stdout) as { ok: boolean; reports: ConformanceReport[] };
    expect(parsed.ok).toBe(true);
    expect(parsed.reports[0].mode).toBe('definition');
    expect(new Set(parsed.reports[0].results.map((r) => r.step))).toEqual(new Set(['debit', 'credit']));
  }, 60_000);

  it('answers 2 with the usage for a bad command line or an unusable target', async () => {
    expect((await cli([])).code).toBe(2);
    expect((await cli(['--input', '{nope', 'http://127.0.0.1:1'])).code).toBe(2);
    const missing = await cli([join(workDir!, 'missing.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read/);
  }, 30_000);
});

describe('runConformance', () => {
  it('passes every hazard of every step of the SDK bank, saga and TCC definitions, signing on', async () => {
    const started = Date.now();
    const reports = [
      await runConformance(sagaDefinition(bank!.url), { secret: SECRET, input: TRANSFER_INPUT }),
      await runConformance(tccDefinition(bank!.url), { secret: SECRET, input: TRANSFER_INPUT }),
    ];
    console.log(
      `runConformance against the SDK bank, definition mode (${Date.now() - started} ms): ` +
        reports.map((r) => `${r.target}: ${JSON.stringify(r.summary)}`).join('; '),
    );
    for (const report of reports) {
      expect(failures(report.results)).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.summary.skip).toBe(0);
    }
    // Two steps × (6 saga + 6 signing) and two steps × (7 TCC + 6 signing).
    expect(reports.map((r) => r.summary.pass)).toEqual([24, 26]);

    // The duplicate storms left one effect per (transaction, step, phase).
    const effects = (await (await request(`${bank!.url}/_effects`)).body.json()) as Array<{ transactionId: string; step: string; phase: string }>;
    const perCall = new Map<string, number>();
    for (const e of effects) perCall.set(`${e.transactionId}/${e.step}/${e.phase}`, (perCall.get(`${e.transactionId}/${e.step}/${e.phase}`) ?? 0) + 1);
    expect([...perCall].filter(([, n]) => n > 1)).toEqual([]);
    expect(effects.length).toBeGreaterThan(0);
  }, 60_000);

  it('fails the naive participant on exactly the hazards it ignores', async () => {
    const reports = [
      await runConformance(sagaDefinition(naive!.url), { secret: SECRET, input: TRANSFER_INPUT }),
      await runConformance(tccDefinition(naive!.url), { secret: SECRET, input: TRANSFER_INPUT }),
    ];
    for (const report of reports) {
      expect(report.ok).toBe(false);
      for (const step of ['debit', 'credit']) {
        const rows = report.results.filter((r) => r.step === step);
        const failed = new Set(failures(rows).map((r) => r.hazard));
        const expected = report === reports[1] ? [...NAIVE_FAILS, 'confirm-twice'] : NAIVE_FAILS;
        expect([...failed].sort()).toEqual([...expected].sort());
        // What it does right: the first call, a 2xx to the undo of nothing, a signed call.
        expect(rows.filter((r) => r.outcome === 'pass').map((r) => r.hazard).sort()).toEqual(
          ['backward-before-forward', 'first-call', 'signed-after-rejected'].sort(),
        );
      }
    }
  }, 60_000);

  it('without the secret, a signing participant refuses every call and the kit says so', async () => {
    const report = await runConformance(`${bank!.url}/tcc/debit`, { input: { account: 'alice', amount: 1 } });
    const first = report.results.find((r) => r.hazard === 'first-call')!;
    expect(first.outcome).toBe('fail');
    expect(first.observed).toMatch(/^401 /);
    expect(report.results.find((r) => r.hazard === 'signing')?.outcome).toBe('skip');
  }, 30_000);
});
