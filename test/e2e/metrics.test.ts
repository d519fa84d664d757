/**
 * /metrics as operators read it: each series of the contract moves as
 * transactions complete, compensate, retry, get stuck, wait in the backlog
 * and are recovered by the sweeper. The coordinator is a real process with
 * one worker, so that a held call leaves the next one waiting, due.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { request } from 'undici';
import { Api, startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { parseMetrics, sample, type Samples } from '../support/metrics-text';
import { script, startParticipant, type ParticipantProcess } from '../support/participant-process';
import { redisUrl } from '../support/test-env';

jest.setTimeout(120_000);

describe('metrics', () => {
  let participant: ParticipantProcess;
  let coordinator: CoordinatorProcess;
  let api: Api;

  const scrape = async (): Promise<Samples> => {
    const res = await request(`${coordinator.url}/metrics`);
    expect(res.statusCode).toBe(200);
    return parseMetrics(await res.body.text());
  };
  /** How much each named series moved while `act` ran. */
  const moved = async (act: () => Promise<unknown>, series: Array<[string, Record<string, string>]>) => {
    const before = await scrape();
    await act();
    const after = await scrape();
    return series.map(([name, labels]) => sample(after, name, labels) - sample(before, name, labels));
  };
  const start = async (definition: string, wait = true) => {
    const res = await api.post(`/v1/transactions${wait ? '?waitMs=20000' : ''}`, { definition, input: {} });
    expect(res.status).toBe(201);
    return res.body;
  };
  const define = async (name: string, retry: Record<string, unknown> = {}) => {
    const res = await api.post('/v1/definitions', {
      name,
      type: 'saga',
      retry: { initialDelayMs: 20, maxDelayMs: 50, maxAttempts: 3, jitter: false, ...retry },
      steps: ['a', 'b'].map((step) => ({
        name: step,
        action: { url: `${participant.url}/${name}/${step}` },
        compensation: { url: `${participant.url}/${name}/${step}/undo` },
      })),
    });
    expect(res.status).toBe(201);
  };

  beforeAll(async () => {
    participant = await startParticipant('scriptable');
    coordinator = await startCoordinator({ label: 'metrics', env: { WORKER_CONCURRENCY: '1' } });
    api = new Api(coordinator.url);
    for (const name of ['m-ok', 'm-refused', 'm-flaky', 'm-stuck', 'm-held']) await define(name);
    await define('m-recovered', { initialDelayMs: 3000, maxDelayMs: 3000 });
  }, 60_000);

  afterAll(async () => {
    await coordinator?.stop();
    await participant?.stop();
  });

  it('counts a completed saga: started, finished COMPLETED, its calls timed by phase and outcome', async () => {
    const [started, completed, calls, inFlight] = await moved(
      async () => expect((await start('m-ok')).status).toBe('COMPLETED'),
      [
        ['accord_transactions_started_total', { definition: 'm-ok', type: 'saga' }],
        ['accord_transactions_finished_total', { definition: 'm-ok', outcome: 'COMPLETED' }],
        ['accord_step_attempt_duration_seconds_count', { phase: 'action', outcome: 'ok' }],
        ['accord_transactions_in_flight', {}],
      ],
    );
    expect([started, completed, calls, inFlight]).toEqual([1, 1, 2, 0]);
  });

  it('counts a compensated saga under its outcome, and its compensations', async () => {
    await script(participant.url, { '/m-refused/b': { responses: [{ status: 409 }] } });
    const [compensated, refused, undone] = await moved(
      async () => expect((await start('m-refused')).status).toBe('COMPENSATED'),
      [
        ['accord_transactions_finished_total', { definition: 'm-refused', outcome: 'COMPENSATED' }],
        ['accord_step_attempt_duration_seconds_count', { phase: 'action', outcome: 'refused' }],
        ['accord_step_attempt_duration_seconds_count', { phase: 'compensation', outcome: 'ok' }],
      ],
    );
    expect([compensated, refused]).toEqual([1, 1]);
    expect(undone).toBeGreaterThanOrEqual(1);
  });

  it('counts retries', async () => {
    await script(participant.url, { '/m-flaky/a': { responses: [{ status: 503 }, { status: 503 }] } });
    const [retries, retryAnswers] = await moved(
      async () => expect((await start('m-flaky')).status).toBe('COMPLETED'),
      [
        ['accord_step_retries_total', { phase: 'action' }],
        ['accord_step_attempt_duration_seconds_count', { phase: 'action', outcome: 'retry' }],
      ],
    );
    expect([retries, retryAnswers]).toEqual([2, 2]);
  });

  it('counts a transaction that gets stuck, and shows it stuck until an operator resolves it', async () => {
    await script(participant.url, { '/m-stuck/b': { responses: [{ status: 409 }] }, '/m-stuck/a/undo': { default: { status: 400 } } });
    let id = '';
    const [stuckTotal, stuckNow, finished] = await moved(
      async () => {
        const tx = await start('m-stuck');
        expect(tx.status).toBe('STUCK');
        id = tx.id;
      },
      [
        ['accord_transactions_stuck_total', { definition: 'm-stuck' }],
        ['accord_transactions_stuck', {}],
        ['accord_transactions_finished_total', { definition: 'm-stuck' }],
      ],
    );
    // STUCK is not terminal: it is counted apart.
    expect([stuckTotal, stuckNow, finished]).toEqual([1, 1, 0]);
    const [resolved, stillStuck] = await moved(
      async () => expect((await api.post(`/v1/admin/transactions/${id}/resolve`, { note: 'fixed by hand' })).status).toBe(202),
      [
        ['accord_transactions_finished_total', { definition: 'm-stuck', outcome: 'RESOLVED' }],
        ['accord_transactions_stuck', {}],
      ],
    );
    expect([resolved, stillStuck]).toEqual([1, -1]);
  });

  it('shows the backlog from Postgres: due steps waiting for a worker, and how long the oldest has waited', async () => {
    // The only worker holds the first call; the second transaction's first step waits, due.
    await script(participant.url, { '/m-held/a': { responses: [{ delayMs: 2500 }] } });
    const held = await start('m-held', false);
    const waiting = await start('m-held', false);
    let first: Samples | null = null;
    for (let i = 0; i < 50 && !first; i++) {
      const now = await scrape();
      if (sample(now, 'accord_backlog_due_steps', {}) >= 1) first = now;
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(first).not.toBeNull();
    expect(sample(first!, 'accord_transactions_in_flight', {})).toBeGreaterThanOrEqual(2);
    await new Promise((r) => setTimeout(r, 500));
    const later = await scrape();
    expect(sample(later, 'accord_backlog_oldest_due_seconds', {})).toBeGreaterThan(sample(first!, 'accord_backlog_oldest_due_seconds', {}));
    expect((await api.settle(held.id)).status).toBe('COMPLETED');
    expect((await api.settle(waiting.id)).status).toBe('COMPLETED');
    const drained = await scrape();
    expect([sample(drained, 'accord_backlog_due_steps', {}), sample(drained, 'accord_backlog_oldest_due_seconds', {})]).toEqual([0, 0]);
    expect(sample(drained, 'accord_transactions_in_flight', {})).toBe(0);
  });

  it('counts the calls the sweeper re-creates after Redis lost their jobs', async () => {
    await script(participant.url, { '/m-recovered/a': { responses: [{ status: 503 }] } });
    const [recovered] = await moved(
      async () => {
        const tx = await start('m-recovered', false);
        // The retry waits 3 s in a delayed job, which Redis then loses.
        const redis = new IORedis(redisUrl(), { maxRetriesPerRequest: null });
        const queue = new Queue('steps', { connection: redis, prefix: `{${coordinator.queuePrefix}}` });
        try {
          const jobId = `${tx.id}.a.action.2`;
          for (let i = 0; i < 100 && !(await queue.getJob(jobId)); i++) await new Promise((r) => setTimeout(r, 50));
          await (await queue.getJob(jobId))!.remove();
        } finally {
          await queue.close();
          redis.disconnect();
        }
        expect((await api.settle(tx.id)).status).toBe('COMPLETED');
      },
      [['accord_sweeper_recovered_total', { phase: 'action' }]],
    );
    expect(recovered).toBe(1);
  });

  it('says whether it is ready and Redis is up', async () => {
    const now = await scrape();
    expect([sample(now, 'accord_ready', {}), sample(now, 'accord_redis_up', {})]).toEqual([1, 1]);
  });

  it('exports every metric the Grafana dashboard and the Prometheus alert rules read', async () => {
    const deploy = join(__dirname, '..', '..', 'deploy');
    const read = (file: string) => readFileSync(join(deploy, file), 'utf8');
    const named = new Set(
      [read('grafana/dashboards/accord.json'), read('prometheus/accord-alerts.yml')].flatMap((text) => text.match(/\baccord_[a-z_]+/g) ?? []),
    );
    const res = await request(`${coordinator.url}/metrics`);
    const families = new Set([...(await res.body.text()).matchAll(/^# TYPE (\S+) (\w+)$/gm)].flatMap(([, name, type]) =>
      type === 'histogram' ? [`${name}_bucket`, `${name}_count`, `${name}_sum`] : [name],
    ));
    expect(named.size).toBeGreaterThan(10);
    expect([...named].filter((name) => !families.has(name))).toEqual([]);
  });
});
