/**
 * Stuck = dead letter: each transaction that becomes STUCK is announced to
 * STUCK_WEBHOOK_URL, signed, at least once — through a receiver that fails
 * first, and across a coordinator killed before it could deliver.
 */
import { createHmac } from 'node:crypto';
import { Client } from 'pg';
import { Api, startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { calls, script, startParticipant, type ParticipantProcess } from '../support/participant-process';

jest.setTimeout(90_000);

const SECRET = 'webhook-signing-secret-0123456789';

describe('the stuck webhook', () => {
  let participant: ParticipantProcess;
  let coordinator: CoordinatorProcess;
  const env = () => ({
    STUCK_WEBHOOK_URL: `${participant.url}/hooks/stuck`,
    STUCK_WEBHOOK_TIMEOUT_MS: '1000',
    LEASE_MARGIN_MS: '500',
    SIGNING_SECRET: SECRET,
  });

  /** A saga whose charge is refused and whose release keeps answering 500. */
  const stuck = async (api: Api, prefix: string) => {
    await script(participant.url, {
      [`/${prefix}/charge`]: { default: { status: 409 } },
      [`/${prefix}/release`]: { default: { status: 500 } },
    });
    const definition = {
      name: prefix,
      type: 'saga',
      retry: { initialDelayMs: 20, maxDelayMs: 50, maxAttempts: 2, jitter: false },
      steps: [
        { name: 'reserve', action: { url: `${participant.url}/${prefix}/reserve` }, compensation: { url: `${participant.url}/${prefix}/release` } },
        { name: 'charge', action: { url: `${participant.url}/${prefix}/charge` } },
      ],
    };
    expect((await api.post('/v1/definitions', definition)).status).toBe(201);
    const tx = (await api.post('/v1/transactions?waitMs=20000', { definition: prefix, input: {} })).body;
    expect(tx.status).toBe('STUCK');
    return tx;
  };

  const deliveries = async (id: string) =>
    (await calls(participant.url, '/hooks/stuck')).filter((c) => (c.body as any)?.transaction?.id === id);

  const until = async <T>(what: string, probe: () => Promise<T | null>, timeoutMs = 30_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await probe();
      if (found !== null) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    participant = await startParticipant('scriptable');
  }, 60_000);

  afterAll(async () => {
    await coordinator?.stop();
    await participant?.stop();
  });

  it('announces a STUCK transaction, signed, retrying with backoff until the receiver answers 2xx, then stops', async () => {
    await script(participant.url, { '/hooks/stuck': { responses: [{ status: 500 }, { status: 503 }], default: { status: 204 } } });
    coordinator = await startCoordinator({ label: 'webhook', env: env() });
    const api = new Api(coordinator.url);
    const tx = await stuck(api, 'hooked');

    const received = await until('a delivered announcement', async () => {
      const got = await deliveries(tx.id);
      return got.some((c) => c.status === 204) ? got : null;
    });
    expect(received.map((c) => c.status)).toEqual([500, 503, 204]);
    // retried with backoff, not hammered
    expect(received[2].receivedAt - received[1].receivedAt).toBeGreaterThanOrEqual(400);
    for (const call of received) {
      expect(call.body).toEqual({
        type: 'transaction.stuck',
        at: expect.any(String),
        transaction: {
          id: tx.id,
          definition: { name: 'hooked', version: 1 },
          type: 'saga',
          status: 'STUCK',
          step: 'reserve',
          reason: expect.stringContaining('retry budget exhausted'),
        },
      });
      const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(call.headers['x-accord-signature'] as string)!;
      const expected = createHmac('sha256', SECRET).update(`${match[1]}.${JSON.stringify(call.body)}`).digest('hex');
      expect(match[2]).toBe(expected);
    }
    // delivered once it got a 2xx: nothing more arrives
    await new Promise((r) => setTimeout(r, 2000));
    expect(await deliveries(tx.id)).toHaveLength(3);
    expect((await api.get(`/v1/transactions/${tx.id}`)).body.stuckReason).toMatchObject({ step: 'reserve', phase: 'compensation' });
    await coordinator.stop();
  });

  it('delivers an announcement a killed coordinator could not, once it is back', async () => {
    await script(participant.url, { '/hooks/stuck': { default: { status: 503 } } });
    coordinator = await startCoordinator({ label: 'webhook_crash', env: env() });
    const tx = await stuck(new Api(coordinator.url), 'crashed');
    await until('a failed attempt', async () => ((await deliveries(tx.id)).length > 0 ? true : null));
    await coordinator.kill('SIGKILL');

    // the announcement was written with the transition: it is in Postgres, undelivered
    const pg = new Client({ connectionString: coordinator.databaseUrl });
    await pg.connect();
    try {
      const { rows } = await pg.query('SELECT topic, delivered_at FROM outbox WHERE transaction_id = $1', [tx.id]);
      expect(rows).toEqual([{ topic: 'transaction.stuck', delivered_at: null }]);
    } finally {
      await pg.end();
    }

    await script(participant.url, { '/hooks/stuck': { default: { status: 200 } } });
    coordinator = await startCoordinator({
      label: 'webhook_crash', databaseUrl: coordinator.databaseUrl, queuePrefix: coordinator.queuePrefix, env: env(),
    });
    await until('the delivery after the restart', async () => ((await deliveries(tx.id)).some((c) => c.status === 200) ? true : null));
  });

  it('refuses to start when STUCK_WEBHOOK_URL is a forbidden target', async () => {
    await expect(
      startCoordinator({ label: 'webhook_forbidden', env: { STUCK_WEBHOOK_URL: 'http://169.254.169.254/hook' } }),
    ).rejects.toThrow(/STUCK_WEBHOOK_URL: forbidden target/);
  });
});
