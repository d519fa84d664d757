import { setTimeout as sleep } from 'node:timers/promises';
import { Api, startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { script, startParticipant, type ParticipantProcess } from '../support/participant-process';
import { createTestDatabase, queuePrefixFor } from '../support/test-env';

const COUNT = 30;

describe('three coordinator replicas on one database and Redis', () => {
  let participant: ParticipantProcess;
  const replicas: CoordinatorProcess[] = [];
  /** ROLE=api: takes starts, makes no participant call. */
  let apiOnly: CoordinatorProcess;

  beforeAll(async () => {
    participant = await startParticipant('scriptable');
    await script(participant.url, { '/slow': { default: { status: 200, body: { ok: true }, delayMs: 150 } } });
    const databaseUrl = await createTestDatabase('three_replicas');
    const queuePrefix = queuePrefixFor('three_replicas');
    // One after another: the first applies the migrations.
    for (let i = 0; i < 3; i++) {
      replicas.push(
        await startCoordinator({ label: `replica_${i}`, databaseUrl, queuePrefix, env: { LEASE_MARGIN_MS: '1000', WORKER_CONCURRENCY: '8' } }),
      );
    }
    apiOnly = await startCoordinator({ label: 'replica_api', databaseUrl, queuePrefix, env: { ROLE: 'api' } });
  }, 120_000);

  afterAll(async () => {
    await Promise.all([...replicas, apiOnly].map((r) => r?.stop()));
    await participant?.stop();
  }, 60_000);

  it('spreads participant calls across all three, and settles every transaction on the other two after one is SIGKILLed', async () => {
    const spec = {
      type: 'saga',
      retry: { maxAttempts: 10, initialDelayMs: 100, maxDelayMs: 500, jitter: false },
      steps: ['a', 'b', 'c'].map((name) => ({ name, action: { url: `${participant.url}/slow`, timeoutMs: 2000 } })),
    };
    const ids: string[] = [];
    for (let i = 0; i < COUNT; i++) {
      // Starts go to every replica in turn, like a load balancer would send them.
      const res = await new Api([...replicas, apiOnly][i % 4].url).post('/v1/transactions', { spec, input: { i } });
      expect(res.status).toBe(201);
      ids.push(res.body.id as string);
    }
    await sleep(200);
    const [victim, ...survivors] = replicas;
    await victim.kill('SIGKILL');

    const api = new Api(survivors[0].url);
    // Killed mid-run: transactions were still going.
    expect((await api.get('/v1/transactions/counts')).body.counts.RUNNING).toBeGreaterThan(0);
    const settled = await Promise.all(ids.map((id) => api.settle(id, 60_000)));
    expect(settled.map((tx) => tx.status)).toEqual(ids.map(() => 'COMPLETED'));

    const workers = new Map<string, number>();
    for (const id of ids) {
      for (const attempt of (await api.get(`/v1/transactions/${id}/attempts`)).body.items as { worker: string }[]) {
        workers.set(attempt.worker, (workers.get(attempt.worker) ?? 0) + 1);
      }
    }
    const byReplica = replicas.map((r) => [...workers].filter(([worker]) => worker.endsWith(`#${r.process.pid}`)).reduce((n, [, calls]) => n + calls, 0));
    // Every replica made calls, the killed one before it died, and the survivors finished the rest.
    expect(byReplica.every((calls) => calls > 0)).toBe(true);
    expect(byReplica[1] + byReplica[2]).toBeGreaterThan(byReplica[0]);
    // Nobody else made any, the ROLE=api replica included.
    expect([...workers.keys()].every((worker) => replicas.some((r) => worker.endsWith(`#${r.process.pid}`)))).toBe(true);
  }, 120_000);

  it('serves only its probes and metrics with ROLE=worker', async () => {
    const worker = await startCoordinator({ label: 'replica_worker', databaseUrl: replicas[1].databaseUrl, queuePrefix: replicas[1].queuePrefix, env: { ROLE: 'worker' } });
    try {
      const api = new Api(worker.url);
      expect((await api.get('/health/ready')).status).toBe(200);
      expect((await api.get('/metrics')).status).toBe(200);
      expect((await api.get('/v1/transactions')).status).toBe(404);
      expect((await api.post('/v1/definitions', {})).status).toBe(404);
    } finally {
      await worker.stop();
    }
  }, 60_000);
});
