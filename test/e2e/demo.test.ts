/**
 * `npm run demo`'s entry (apps/demo/dist/run.js, what scripts/demo.sh runs
 * after provisioning and building) as a user runs it: it starts a
 * coordinator and the shop's three services as processes, and prints the
 * four outcomes with their console links. Each printed status is the
 * coordinator's own, each link opens that transaction, the shop's tables
 * show what each outcome means, inventory's calls went over NATS (a
 * nats-server the demo started itself, since none answered at its
 * NATS_URL), the README's first saga runs against the demo's participants
 * as pasted (on this run's ports), and Ctrl-C stops every process it
 * started.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, freePort, queuePrefixFor } from '../support/test-env';

jest.setTimeout(240_000);

const RUN = resolve(__dirname, '../../apps/demo/dist/run.js');
const OUTCOME = /^ {2}(.+?) {2,}([op]-[0-9a-f]{4}-\d) {2}(COMPLETED|COMPENSATED|CANCELLED|STUCK) +(http:\/\/\S+\/console\/transactions\/([0-9a-f-]{36}))$/;

interface Attempt {
  step: string;
  phase: string;
  outcome: string;
  statusCode: number | null;
  request: { method: string; url: string };
}

const refuses = (port: number) =>
  new Promise<boolean>((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(false);
    });
    socket.once('error', () => done(true));
  });

describe('npm run demo', () => {
  let demo: ChildProcess;
  let output = '';
  let logDir: string;
  const ports = { coordinator: 0, orders: 0, inventory: 0, payments: 0, nats: 0 };

  beforeAll(async () => {
    for (const name of Object.keys(ports) as (keyof typeof ports)[]) ports[name] = await freePort();
    logDir = await mkdtemp(join(tmpdir(), 'accord-demo-'));
    demo = spawn(process.execPath, [RUN], {
      env: {
        ...process.env,
        PORT: String(ports.coordinator),
        DATABASE_URL: await createTestDatabase('demo'),
        QUEUE_PREFIX: queuePrefixFor('demo'),
        DEMO_ORDERS_PORT: String(ports.orders),
        DEMO_INVENTORY_PORT: String(ports.inventory),
        DEMO_PAYMENTS_PORT: String(ports.payments),
        // A free port: no NATS answers there, so the demo starts its own
        // (and this run is apart from any other on the machine's NATS).
        NATS_URL: `nats://127.0.0.1:${ports.nats}`,
        // Dropped with the run's other databases by the global teardown.
        DEMO_DATABASE_PREFIX: queuePrefixFor('demo_shop'),
        DEMO_LOG_DIR: logDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    demo.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    demo.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise<void>((done, fail) => {
      const poll = setInterval(() => {
        if (output.includes('Ctrl-C stops')) finish(done);
        else if (demo.exitCode !== null) finish(() => fail(new Error(`the demo exited with ${demo.exitCode}:\n${output}`)));
      }, 200);
      const finish = (then: () => void) => {
        clearInterval(poll);
        then();
      };
    });
  });

  afterAll(async () => {
    if (demo.exitCode === null) demo.kill('SIGKILL');
    await rm(logDir, { recursive: true, force: true });
  });

  const outcomes = () =>
    output
      .split('\n')
      .map((line) => OUTCOME.exec(line))
      .filter((match) => match !== null)
      .map(([, title, reference, status, link, id]) => ({ title, reference, status, link, id }));

  it('prints a checkout that completes, one that compensates, a TCC payment that cancels and a stuck one', () => {
    expect(outcomes().map(({ title, status }) => [title, status])).toEqual([
      ['checkout, in stock', 'COMPLETED'],
      ['checkout, out of stock', 'COMPENSATED'],
      ['TCC payment, funds too low', 'CANCELLED'],
      ['checkout, old storefront', 'STUCK'],
    ]);
    expect(output).not.toContain('expected ');
  });

  it('links each outcome to its transaction in the console, whose status the API confirms', async () => {
    for (const { link, id, status } of outcomes()) {
      expect(link).toBe(`http://localhost:${ports.coordinator}/console/transactions/${id}`);
      const page = await fetch(link);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      const view = (await (await fetch(`http://localhost:${ports.coordinator}/v1/transactions/${id}`)).json()) as { status: string };
      expect(view.status).toBe(status);
    }
  });

  it('leaves the shop as the outcomes say: one lamp sold and paid, the rest put back', async () => {
    const get = async (port: number, path: string) => (await fetch(`http://127.0.0.1:${port}${path}`)).json();
    const [completed, compensated, , stuck] = outcomes();
    expect(await get(ports.inventory, '/stock')).toEqual({ lamp: 9, sofa: 0 });
    expect(await get(ports.payments, '/balances')).toEqual({
      wallets: { alice: { balance: 58, held: 0 }, bob: { balance: 10, held: 0 } },
      takings: { pending: 0, settled: 42 },
    });
    expect(await get(ports.orders, '/orders')).toEqual({
      [completed.reference]: 'PAID',
      [compensated.reference]: 'CANCELLED',
      // The stuck one's cancellation never applied: an operator decides.
      [stuck.reference]: 'PENDING',
    });
  });

  it('sends inventory its calls over NATS, through a nats-server the demo started, and not over HTTP', async () => {
    expect(output).toContain(`over NATS at nats://127.0.0.1:${ports.nats} (a nats-server the demo started)`);
    const attempts = async (id: string) =>
      ((await (await fetch(`http://localhost:${ports.coordinator}/v1/transactions/${id}/attempts`)).json()) as { items: Attempt[] }).items
        .filter((attempt) => attempt.step === 'reserve-stock')
        .map(({ phase, outcome, statusCode, request }) => ({ phase, outcome, statusCode, request }));
    const [completed, compensated] = outcomes();
    expect(await attempts(completed.id)).toEqual([
      { phase: 'action', outcome: 'ok', statusCode: 200, request: { method: 'SEND', url: 'nats:inventory.reserve' } },
    ]);
    // Refused, so known not to have applied: nothing to release.
    expect(await attempts(compensated.id)).toEqual([
      { phase: 'action', outcome: 'refused', statusCode: 409, request: { method: 'SEND', url: 'nats:inventory.reserve' } },
    ]);
    // Inventory's HTTP port takes no participant call: the lamp it sold was reserved over NATS.
    const overHttp = await fetch(`http://127.0.0.1:${ports.inventory}/inventory/reserve`, { method: 'POST', body: '{}' });
    expect(overHttp.status).toBe(404);
  });

  it("runs the README's first saga against the demo's participants as written", async () => {
    const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');
    const example = /A first saga of your own[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    // The README's ports are the defaults; this run's are free ones.
    const script = example!
      .replaceAll('localhost:3000', `localhost:${ports.coordinator}`)
      .replaceAll('127.0.0.1:4003', `127.0.0.1:${ports.payments}`);
    const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script]);
    const [registered, started] = stdout.trim().split('\n').map((text) => JSON.parse(text) as Record<string, any>);
    expect(registered).toMatchObject({ name: 'checkout', version: 1 });
    const view = (await (await fetch(`http://localhost:${ports.coordinator}/v1/transactions/${started.id}?waitMs=30000`)).json()) as Record<string, any>;
    expect(view.status).toBe('COMPLETED');
    expect(view.steps.map((step: { name: string; output: unknown }) => [step.name, step.output])).toEqual([
      ['reserve', { reservationId: `${started.id}:reserve`, sku: 'lamp', qty: 1 }],
      ['charge', { wallet: 'alice', charged: 42 }],
    ]);
  });

  it('stops the coordinator, every shop service and the nats-server it started on Ctrl-C', async () => {
    const exited = new Promise<number | null>((done) => demo.once('exit', (code) => done(code)));
    demo.kill('SIGINT');
    expect(await exited).toBe(0);
    for (const port of Object.values(ports)) expect({ port, refused: await refuses(port) }).toEqual({ port, refused: true });
  });
});
