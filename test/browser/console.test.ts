/**
 * The web console in a real headless Chromium, against a real coordinator
 * and participant: an operator signs in with an API key, finds a STUCK
 * transaction, reads its graph and timeline, fixes the participant, retries
 * it from the page and watches it finish. Screenshots go to .accord/artifacts/.
 */
import type { Browser, Page } from 'playwright-core';
import { Api, startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { artifact, collectErrors, launchChromium, newContext } from '../support/chromium';
import { calls, script, startParticipant, type ParticipantProcess } from '../support/participant-process';

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 812 };
const SETTLE_MS = 30_000;

describe('the web console', () => {
  let coordinator: CoordinatorProcess;
  let participant: ParticipantProcess;
  let browser: Browser;
  let api: Api;
  let operatorKey: string;
  let stuckId: string;

  /** reserve and notify start together; charge follows reserve. */
  const checkout = (name: string) => ({
    name,
    type: 'saga',
    retry: { maxAttempts: 2, initialDelayMs: 20, maxDelayMs: 50, jitter: false },
    steps: [
      { name: 'reserve', action: { url: `${participant.url}/${name}/reserve` }, compensation: { url: `${participant.url}/${name}/release` } },
      { name: 'notify', dependsOn: [], action: { url: `${participant.url}/${name}/notify` } },
      { name: 'charge', dependsOn: ['reserve'], action: { url: `${participant.url}/${name}/charge` } },
    ],
  });

  beforeAll(async () => {
    [participant, browser] = await Promise.all([startParticipant('scriptable'), launchChromium()]);
    coordinator = await startCoordinator({ label: 'console' });
    api = new Api(coordinator.url);
    const key = await api.post('/v1/admin/api-keys', { name: 'night-operator', scopes: ['admin'] });
    expect(key.status).toBe(201);
    operatorKey = key.body.key;

    // A few finished transactions around the stuck one, so the list has to be filtered.
    expect((await api.post('/v1/definitions', checkout('shop'))).status).toBe(201);
    for (let i = 0; i < 3; i++) {
      expect((await api.post('/v1/transactions?waitMs=20000', { definition: 'shop', input: { order: i } })).body.status).toBe('COMPLETED');
    }
    // The charge is refused and the release keeps failing: the saga is STUCK.
    await script(participant.url, {
      '/broken/charge': { default: { status: 409, body: { reason: 'card declined' } } },
      '/broken/release': { default: { status: 500, body: { error: 'inventory database is read-only' } } },
    });
    expect((await api.post('/v1/definitions', checkout('broken'))).status).toBe(201);
    const stuck = await api.post(`/v1/transactions?waitMs=${SETTLE_MS}`, { definition: 'broken', input: { order: 'o-42', total: 42 }, idempotencyKey: 'order-o-42' });
    expect(stuck.body.status).toBe('STUCK');
    stuckId = stuck.body.id;
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await coordinator?.stop();
    await participant?.stop();
  });

  async function signIn(page: Page): Promise<void> {
    await page.goto(`${coordinator.url}/console/`);
    await page.getByLabel('API key').fill(operatorKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
  }

  it('finds a stuck transaction, shows its graph and timeline, and retries it to the end once the participant is fixed', async () => {
    const context = await newContext(browser, DESKTOP);
    const page = await context.newPage();
    const errors = collectErrors(page);

    await signIn(page);
    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const name of ['Transactions', 'Definitions', 'Audit log']) await nav.getByRole('link', { name, exact: true }).waitFor();
    await nav.getByRole('button', { name: 'Queues' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    // The key stays in the tab's session storage, never in the address.
    expect(page.url()).not.toContain(operatorKey);
    expect(await page.evaluate('Object.values(sessionStorage)')).toEqual([operatorKey]);

    // The stuck queue is one click away, its count in the link.
    await nav.getByRole('link', { name: 'Stuck 1' }).click();
    await page.getByRole('heading', { level: 1, name: 'Stuck transactions' }).waitFor();
    const row = page.getByRole('link', { name: stuckId.slice(0, 8) });
    await row.waitFor();
    expect(await page.getByRole('table').getByRole('row').count()).toBe(2); // the header and the stuck one
    await page.getByRole('navigation', { name: 'Counts by status' }).getByRole('link', { name: 'COMPLETED 3' }).waitFor();
    await page.screenshot({ path: artifact('console-list.png'), fullPage: true });

    // The filters narrow the list by idempotency key as well.
    await page.getByRole('link', { name: /^All/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Transactions' }).waitFor();
    expect(await page.getByRole('combobox', { name: 'Status' }).inputValue()).toBe('');
    await page.getByLabel('Idempotency key').fill('order-o-42');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/idempotencyKey=order-o-42/);
    await page.getByRole('link', { name: stuckId.slice(0, 8) }).click();

    // The transaction: its graph, coloured by status, and every attempt.
    await page.getByRole('heading', { level: 1, name: /STUCK/ }).waitFor();
    const graph = page.getByRole('group', { name: /as a graph/ });
    for (const name of ['reserve, STUCK', 'notify, SUCCEEDED', 'charge, FAILED']) await graph.getByRole('link', { name }).waitFor();
    expect(await graph.locator('path.edge').count()).toBe(1); // reserve → charge
    expect(await graph.locator('.node-stuck').count()).toBe(1);
    const timeline = page.getByRole('list', { name: 'Attempt log' });
    await timeline.getByRole('listitem').nth(4).waitFor(); // reserve, notify, charge, release ×2
    expect(await timeline.getByRole('listitem').filter({ hasText: 'release' }).count()).toBe(0); // steps are named, not paths
    expect(await timeline.getByRole('listitem').filter({ hasText: /reserve compensation #2/ }).textContent()).toMatch(/HTTP 500.*retry budget used up/);
    expect(await timeline.getByRole('listitem').filter({ hasText: /charge action #1/ }).textContent()).toContain('HTTP 409');
    expect(await page.getByRole('group', { name: 'Transaction input' }).textContent()).toContain('"order": "o-42"');
    await page.screenshot({ path: artifact('console-transaction-stuck.png'), fullPage: true });

    // Fixed: the release works now. Retry from the page, with a note.
    await script(participant.url, { '/broken/release': { default: { status: 200, body: { released: true } } } });
    await page.getByRole('button', { name: 'Retry', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Retry transaction' });
    await dialog.waitFor();
    await dialog.getByLabel('Note').fill('inventory database writable again, OPS-7');
    await dialog.getByRole('button', { name: 'Retry', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('status').filter({ hasText: 'Retried' }).waitFor();
    await page.getByRole('heading', { level: 1, name: /COMPENSATED/ }).waitFor({ timeout: SETTLE_MS });
    await graph.getByRole('link', { name: 'reserve, COMPENSATED' }).waitFor();
    await timeline.getByRole('listitem').filter({ hasText: /reserve compensation #3/ }).waitFor();
    await page.screenshot({ path: artifact('console-transaction-done.png'), fullPage: true });

    const audit = await api.get('/v1/admin/audit');
    expect(audit.body.items[0]).toMatchObject({
      actor: 'night-operator', action: 'retry', transactionId: stuckId, note: 'inventory database writable again, OPS-7', before: { status: 'STUCK' },
    });
    await page.getByRole('region', { name: 'Operator history' }).getByText(/night-operator retry \(STUCK → COMPENSATING\)/).waitFor();

    // The audit log names the operator and keeps the note.
    await nav.getByRole('link', { name: 'Audit log' }).click();
    const entry = page.getByRole('row').filter({ hasText: 'inventory database writable again, OPS-7' });
    await entry.waitFor();
    expect(await entry.textContent()).toMatch(/night-operator.*retry.*STUCK → COMPENSATING/);
    await entry.getByRole('link', { name: stuckId.slice(0, 8) }).waitFor();

    // The definition, drawn from its versions.
    await nav.getByRole('link', { name: 'Definitions' }).click();
    await page.getByRole('link', { name: 'broken', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'broken' }).waitFor();
    const drawn = page.getByRole('group', { name: 'Steps of broken version 1 as a graph' });
    await drawn.waitFor();
    expect(await drawn.locator('.node').count()).toBe(3);
    expect(await drawn.locator('path.edge').count()).toBe(1);

    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it('skips a stuck step with an output, and retries another with a new input, from the page', async () => {
    // After the pivot (charge) a refused shipment parks the saga as STUCK.
    const pay = {
      name: 'pay',
      type: 'saga',
      retry: { maxAttempts: 1 },
      steps: [
        { name: 'charge', pivot: true, action: { url: `${participant.url}/pay/charge` } },
        { name: 'ship', input: { address: '{{input.address}}' }, action: { url: `${participant.url}/pay/ship` } },
        { name: 'notify', input: { tracking: '{{steps.ship.output.tracking}}' }, action: { url: `${participant.url}/pay/notify` } },
      ],
    };
    await script(participant.url, { '/pay/ship': { default: { status: 422, body: { error: 'no such address' } } } });
    expect((await api.post('/v1/definitions', pay)).status).toBe(201);
    const stuckAt = async () => {
      const res = await api.post(`/v1/transactions?waitMs=${SETTLE_MS}`, { definition: 'pay', input: { address: 'nowhere' } });
      expect(res.body).toMatchObject({ status: 'STUCK', stuckReason: { step: 'ship' } });
      return res.body.id as string;
    };
    const [skipped, retried, resolved] = [await stuckAt(), await stuckAt(), await stuckAt()];

    const context = await newContext(browser, DESKTOP);
    const page = await context.newPage();
    const errors = collectErrors(page);
    await signIn(page);

    // Shipped by hand: skip the call, with the output the next step needs.
    await page.goto(`${coordinator.url}/console/transactions/${skipped}`);
    await page.getByRole('region', { name: 'Why it is stuck' }).filter({ hasText: 'ship (action)' }).waitFor();
    await page.getByRole('button', { name: 'Skip a step' }).click();
    const skip = page.getByRole('dialog', { name: 'Skip a step' });
    expect(await skip.getByLabel('Step').inputValue()).toBe('ship');
    await skip.getByLabel('Output (JSON)').fill('{"tracking": "T-1"}');
    await skip.getByLabel('Note').fill('shipped by hand from the warehouse, OPS-9');
    await skip.getByRole('button', { name: 'Skip step' }).click();
    await page.getByRole('heading', { level: 1, name: /COMPLETED/ }).waitFor({ timeout: SETTLE_MS });
    expect((await calls(participant.url, '/pay/notify')).map((c: any) => c.body.input)).toEqual([{ tracking: 'T-1' }]);

    // A bad address: the participant is fine, the input was wrong. Retry with a corrected one.
    await script(participant.url, { '/pay/ship': { default: { status: 200, body: { tracking: 'T-2' } } } });
    await page.goto(`${coordinator.url}/console/transactions/${retried}`);
    await page.getByRole('button', { name: 'Retry with new input' }).click();
    const retry = page.getByRole('dialog', { name: 'Retry with new input' });
    const input = retry.getByLabel('New input (JSON object)');
    expect(JSON.parse(await input.inputValue())).toEqual({ address: 'nowhere' });
    await input.fill('["not", "an object"]');
    await retry.getByLabel('Note').fill('address corrected with the customer, OPS-10');
    await retry.getByRole('button', { name: 'Retry with this input' }).click();
    await retry.getByRole('alert').filter({ hasText: 'must be a JSON object' }).waitFor();
    await input.fill('{"address": "1 Main St"}');
    await retry.getByRole('button', { name: 'Retry with this input' }).click();
    await page.getByRole('heading', { level: 1, name: /COMPLETED/ }).waitFor({ timeout: SETTLE_MS });
    expect((await calls(participant.url, '/pay/ship')).at(-1)!.body).toMatchObject({ input: { address: '1 Main St' } });
    const history = page.getByRole('region', { name: 'Operator history' });
    await history.getByText(/retry \(STUCK → RUNNING/).waitFor();

    // Refunded outside Accord: close it by hand.
    await page.goto(`${coordinator.url}/console/transactions/${resolved}`);
    await page.getByRole('button', { name: 'Resolve' }).click();
    const resolve = page.getByRole('dialog', { name: 'Resolve transaction' });
    await resolve.getByLabel('Note').fill('refunded by hand, OPS-11');
    await resolve.getByRole('button', { name: 'Resolve' }).click();
    await page.getByRole('heading', { level: 1, name: /RESOLVED/ }).waitFor();
    await page.getByRole('region', { name: 'Operator actions' }).getByText('No operator action applies to a RESOLVED transaction.').waitFor();

    // A transaction still trying its first step, aborted from the page: it rolls back.
    await script(participant.url, { '/hold/reserve': { default: { status: 503 } } });
    const hold = {
      name: 'hold',
      type: 'saga',
      retry: { maxAttempts: 100, initialDelayMs: 600_000, maxDelayMs: 600_000 },
      steps: [{ name: 'reserve', action: { url: `${participant.url}/hold/reserve` }, compensation: { url: `${participant.url}/hold/release` } }],
    };
    expect((await api.post('/v1/definitions', hold)).status).toBe(201);
    const running = (await api.post('/v1/transactions', { definition: 'hold', input: {} })).body.id;
    await page.goto(`${coordinator.url}/console/transactions/${running}`);
    await page.getByRole('heading', { level: 1, name: /RUNNING/ }).waitFor();
    await page.getByRole('button', { name: 'Abort' }).click();
    const abort = page.getByRole('dialog', { name: 'Abort transaction' });
    await abort.getByLabel('Note').fill('customer cancelled the order, OPS-12');
    await abort.getByRole('button', { name: 'Abort' }).click();
    await page.getByRole('heading', { level: 1, name: /COMPENSATED/ }).waitFor({ timeout: SETTLE_MS });
    await page.getByRole('region', { name: 'Why it rolled back' }).getByText('aborted by night-operator').waitFor();
    const audit = (await api.get(`/v1/admin/audit?transactionId=${running}`)).body.items;
    expect(audit).toEqual([expect.objectContaining({ actor: 'night-operator', action: 'abort', note: 'customer cancelled the order, OPS-12' })]);

    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('opens the queue view from the console with a session cookie the page cannot read', async () => {
    const context = await newContext(browser, DESKTOP);
    const page = await context.newPage();
    await signIn(page);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Queues' }).click();
    await page.waitForURL(`${coordinator.url}/admin/queues`);
    await page.getByText('Accord queues').first().waitFor();
    await page.getByText('steps', { exact: true }).first().waitFor();
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'accord_queues', path: '/admin/queues', httpOnly: true, sameSite: 'Strict' });
    expect(cookie.value).not.toContain(operatorKey.slice('accord_'.length));
    expect(await page.evaluate('document.cookie')).toBe('');
    // Signing out of the console ends it.
    await page.goto(`${coordinator.url}/console/`);
    const closed = page.waitForResponse((r) => r.url().endsWith('/admin/queues/session') && r.request().method() === 'DELETE');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect((await closed).status()).toBe(204);
    expect(await context.cookies()).toEqual([]);
    await context.close();
  }, 60_000);

  it('fits a phone: nothing wider than the screen, the actions and the graph in reach', async () => {
    const context = await newContext(browser, PHONE);
    const page = await context.newPage();
    const errors = collectErrors(page);
    await signIn(page);
    await page.goto(`${coordinator.url}/console/transactions/${stuckId}`);
    await page.getByRole('heading', { level: 1, name: /COMPENSATED/ }).waitFor();
    await page.getByRole('list', { name: 'Attempt log' }).waitFor();
    // Evaluated in the page (a string: this file is compiled without the DOM's types).
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBe(0);
    for (const locator of [page.getByRole('navigation', { name: 'Main' }), page.getByRole('group', { name: /as a graph/ }), page.getByRole('table').first()]) {
      const box = await locator.boundingBox();
      expect(box).not.toBeNull();
      expect(box!.x).toBeGreaterThanOrEqual(0);
    }
    await page.screenshot({ path: artifact('console-phone.png'), fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});
