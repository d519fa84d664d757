import { HEADERS, idempotencyKeyFor, type ParticipantCall, type Phase } from '@accord/contracts';
import {
  BARRIER_RESULT_HEADER,
  Barrier,
  BusinessRefusal,
  TransientFailure,
  createParticipantHandler,
  type BarrierContext,
  type BarrierResult,
} from '@accord/participant';
import { typeormDatabase } from '@accord/participant/typeorm';
import { createServer, type Server } from 'node:http';
import { Pool } from 'pg';
import { DataSource, EntitySchema } from 'typeorm';
import { request } from 'undici';
import { createTestDatabase, dropTestDatabase, transactionIds } from '../support/test-env';

let databaseUrl: string;
/** Reads what the barrier and the business changes left, outside any barrier. */
let pool: Pool;

/** A fresh transaction id per test, so tests never share barrier rows. */
const newTx = transactionIds('tx');
const key = (transactionId: string, phase: Phase, step = 'pay') => ({ transactionId, step, phase });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Effect {
  id?: string;
  transactionId: string;
  phase: string;
  delta: number;
}

const EffectEntity = new EntitySchema<Effect>({
  name: 'Effect',
  tableName: 'effects',
  columns: {
    id: { type: 'bigint', primary: true, generated: 'increment' },
    transactionId: { name: 'transaction_id', type: 'text' },
    phase: { type: 'text' },
    delta: { type: 'int' },
  },
});

/** A barrier on one database binding, and how a business change writes through its session. */
interface Binding {
  barrier: Barrier<object>;
  write(context: BarrierContext<object>, effect: Effect): Promise<void>;
  close(): Promise<void>;
}

const BINDINGS: Array<[string, (url: string) => Binding | Promise<Binding>]> = [
  [
    'a pg Pool',
    (url) => {
      const own = new Pool({ connectionString: url, max: 25 });
      return {
        barrier: new Barrier(own),
        write: async (context, e) => {
          const { client } = context as BarrierContext;
          await client.query('INSERT INTO effects (transaction_id, phase, delta) VALUES ($1, $2, $3)', [e.transactionId, e.phase, e.delta]);
        },
        close: () => own.end(),
      };
    },
  ],
  [
    'a TypeORM DataSource',
    async (url) => {
      const dataSource = await new DataSource({ type: 'postgres', url, entities: [EffectEntity], extra: { max: 25 } }).initialize();
      return {
        barrier: new Barrier(typeormDatabase(dataSource)),
        // Through a repository's save(), which must join the barrier's transaction, not commit one of its own.
        write: async (context, e) => {
          const { manager } = context as BarrierContext<{ manager: DataSource['manager'] }>;
          await manager.getRepository(EffectEntity).save({ ...e });
        },
        close: () => dataSource.destroy(),
      };
    },
  ],
];

async function effectsOf(transactionId: string): Promise<Array<{ phase: string; delta: number }>> {
  const { rows } = await pool.query<{ phase: string; delta: number }>(
    'SELECT phase, delta FROM effects WHERE transaction_id = $1 ORDER BY id',
    [transactionId],
  );
  return rows;
}

async function barrierRows(transactionId: string): Promise<Array<{ phase: string; outcome: string }>> {
  const { rows } = await pool.query<{ phase: string; outcome: string }>(
    'SELECT phase, outcome FROM accord_barrier WHERE transaction_id = $1 ORDER BY phase',
    [transactionId],
  );
  return rows;
}

beforeAll(async () => {
  databaseUrl = await createTestDatabase('barrier');
  pool = new Pool({ connectionString: databaseUrl, max: 5 });
  await pool.query('CREATE TABLE effects (id bigserial PRIMARY KEY, transaction_id text, phase text, delta int)');
});

afterAll(async () => {
  await pool.end();
  await dropTestDatabase(databaseUrl);
});

describe.each(BINDINGS)('%s barrier', (_name, bind) => {
  let binding: Binding;
  let barrier: Barrier<object>;

  beforeAll(async () => {
    binding = await bind(databaseUrl);
    barrier = binding.barrier;
    await barrier.install();
    await barrier.install(); // idempotent
  });

  afterAll(async () => {
    await binding.close();
  });

  /** A business change: one row in `effects` per application. */
  const effect =
    (transactionId: string, phase: Phase, delta: number, delayMs = 0) =>
    async (context: BarrierContext<object>) => {
      await binding.write(context, { transactionId, phase, delta });
      if (delayMs > 0) await sleep(delayMs);
      return { transactionId, phase, delta };
    };

  const refuse = (code: string) => async (context: BarrierContext<object>) => {
    // Written, then refused: the refusal must take this write back.
    await binding.write(context, { transactionId: 'refused-write', phase: 'action', delta: 1 });
    throw new BusinessRefusal('insufficient funds', { code, details: { missing: 5 } });
  };

  it('returns the first outcome to a duplicate action and applies it once', async () => {
    const tx = newTx();
    const first = await barrier.run(key(tx, 'action'), effect(tx, 'action', -10));
    const second = await barrier.run(key(tx, 'action'), effect(tx, 'action', -10));

    expect(first).toEqual({ kind: 'applied', status: 200, body: { transactionId: tx, phase: 'action', delta: -10 } });
    expect(second).toEqual({ kind: 'duplicate', first: 'applied', status: 200, body: first.body });
    expect(await effectsOf(tx)).toEqual([{ phase: 'action', delta: -10 }]);
  });

  it('applies 20 concurrent identical calls once and gives them all the same answer', async () => {
    const tx = newTx();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => barrier.run(key(tx, 'action'), effect(tx, 'action', -10, 50))),
    );

    expect(results.filter((r) => r.kind === 'applied')).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'duplicate')).toHaveLength(19);
    expect(new Set(results.map((r) => JSON.stringify([r.status, r.body]))).size).toBe(1);
    expect(await effectsOf(tx)).toHaveLength(1);
  });

  it('records a null compensation and refuses the late action as hanging', async () => {
    const tx = newTx();
    const compensation = await barrier.run(key(tx, 'compensation'), effect(tx, 'compensation', +10));
    const lateAction = await barrier.run(key(tx, 'action'), effect(tx, 'action', -10));
    const duplicateCompensation = await barrier.run(key(tx, 'compensation'), effect(tx, 'compensation', +10));

    expect(compensation).toEqual({ kind: 'null-compensation', status: 200, body: null });
    expect(lateAction).toMatchObject({ kind: 'hanging', status: 409, body: { error: { code: 'HANGING_CALL' } } });
    expect(duplicateCompensation).toMatchObject({ kind: 'duplicate', first: 'null-compensation', status: 200 });
    expect(await effectsOf(tx)).toEqual([]);
    expect(await barrierRows(tx)).toEqual([
      { phase: 'action', outcome: 'prevented' },
      { phase: 'compensation', outcome: 'null' },
    ]);
  });

  it('undoes an applied action once when its compensation is delivered 3 times concurrently', async () => {
    const tx = newTx();
    await barrier.run(key(tx, 'action'), effect(tx, 'action', -10));
    const results = await Promise.all(
      Array.from({ length: 3 }, () => barrier.run(key(tx, 'compensation'), effect(tx, 'compensation', +10, 30))),
    );

    expect(results.map((r) => r.kind).sort()).toEqual(['applied', 'duplicate', 'duplicate']);
    expect(await effectsOf(tx)).toEqual([
      { phase: 'action', delta: -10 },
      { phase: 'compensation', delta: 10 },
    ]);
  });

  it('hands the stored action result to its compensation', async () => {
    const tx = newTx();
    await barrier.run(key(tx, 'action'), () => Promise.resolve({ reservationId: 'r-1' }));
    let seen: unknown;
    await barrier.run(key(tx, 'compensation'), ({ forwardResult }) => {
      seen = forwardResult;
      return Promise.resolve();
    });

    expect(seen).toEqual({ reservationId: 'r-1' });
  });

  it('keeps a refused action refused for a duplicate and makes its compensation a no-op', async () => {
    const tx = newTx();
    const refused = await barrier.run(key(tx, 'action'), refuse('INSUFFICIENT_FUNDS'));
    const duplicate = await barrier.run(key(tx, 'action'), effect(tx, 'action', -10));
    let compensated = false;
    const compensation = await barrier.run(key(tx, 'compensation'), () => {
      compensated = true;
      return Promise.resolve();
    });

    const body = { error: { code: 'INSUFFICIENT_FUNDS', message: 'insufficient funds', details: { missing: 5 } } };
    expect(refused).toEqual({ kind: 'refused', status: 409, body });
    expect(duplicate).toEqual({ kind: 'duplicate', first: 'refused', status: 409, body });
    expect(compensation).toEqual({ kind: 'noop', status: 200, body: null });
    expect(compensated).toBe(false);
    expect(await effectsOf(tx)).toEqual([]);
    expect(await effectsOf('refused-write')).toEqual([]);
  });

  it.each([
    ['a TransientFailure', new TransientFailure('ledger locked', { retryAfterSeconds: 2 }), 2],
    ['any other error', new Error('bug'), undefined],
  ])('records nothing when the business change throws %s, so a retry applies', async (_name, error, retryAfter) => {
    const tx = newTx();
    const failed = await barrier.run(key(tx, 'action'), async (context) => {
      await effect(tx, 'action', -10)(context);
      throw error;
    });

    expect(failed).toMatchObject({ kind: 'failed', status: 503, error, retryAfterSeconds: retryAfter });
    expect(await effectsOf(tx)).toEqual([]);
    expect(await barrierRows(tx)).toEqual([]);

    const retry = await barrier.run(key(tx, 'action'), effect(tx, 'action', -10));
    expect(retry.kind).toBe('applied');
    expect(await effectsOf(tx)).toEqual([{ phase: 'action', delta: -10 }]);
  });

  it('refuses a TCC confirm without a successful try, and confirms once after it', async () => {
    const tx = newTx();
    const early = await barrier.run(key(tx, 'confirm'), effect(tx, 'confirm', 1));
    expect(early).toMatchObject({ kind: 'confirm-without-try', status: 409, body: { error: { code: 'CONFIRM_WITHOUT_TRY' } } });

    await barrier.run(key(tx, 'try'), effect(tx, 'try', 1));
    const confirms = await Promise.all([1, 2, 3].map(() => barrier.run(key(tx, 'confirm'), effect(tx, 'confirm', 1, 20))));

    expect(confirms.map((r) => r.kind).sort()).toEqual(['applied', 'duplicate', 'duplicate']);
    expect(await effectsOf(tx)).toEqual([
      { phase: 'try', delta: 1 },
      { phase: 'confirm', delta: 1 },
    ]);
  });

  it('treats TCC cancel like compensation: null cancel, then the late try hangs', async () => {
    const tx = newTx();
    const cancel = await barrier.run(key(tx, 'cancel'), effect(tx, 'cancel', -1));
    const lateTry = await barrier.run(key(tx, 'try'), effect(tx, 'try', 1));
    const confirm = await barrier.run(key(tx, 'confirm'), effect(tx, 'confirm', 1));

    expect([cancel.kind, lateTry.kind, confirm.kind]).toEqual(['null-compensation', 'hanging', 'confirm-without-try']);
    expect(await effectsOf(tx)).toEqual([]);
  });

  it('ends every action racing its compensation consistent (50 races)', async () => {
    const outcomes = new Map<string, number>();
    await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const tx = newTx();
        // Some actions fail transiently, so a compensation can also overtake a rolled-back action.
        const failing = i % 5 === 0;
        const action = async (): Promise<BarrierResult> => {
          await sleep(Math.random() * 10);
          return barrier.run(key(tx, 'action'), async (context) => {
            await effect(tx, 'action', -10, Math.random() * 10)(context);
            if (failing) throw new TransientFailure('flaky');
            return 'debited';
          });
        };
        const compensation = async (): Promise<BarrierResult> => {
          await sleep(Math.random() * 10);
          return barrier.run(key(tx, 'compensation'), effect(tx, 'compensation', +10, Math.random() * 5));
        };
        const [a, c] = await Promise.all([action(), compensation()]);
        const retried = await barrier.run(key(tx, 'action'), effect(tx, 'action', -10));
        const effects = await effectsOf(tx);

        if (c.kind === 'null-compensation') {
          expect(effects).toEqual([]);
          expect(['hanging', 'failed']).toContain(a.kind);
          expect(retried.kind).toBe('hanging');
        } else {
          expect([a.kind, c.kind]).toEqual(['applied', 'applied']);
          expect(effects).toEqual([
            { phase: 'action', delta: -10 },
            { phase: 'compensation', delta: 10 },
          ]);
          expect(retried).toMatchObject({ kind: 'duplicate', first: 'applied' });
        }
        outcomes.set(`${a.kind}/${c.kind}`, (outcomes.get(`${a.kind}/${c.kind}`) ?? 0) + 1);
      }),
    );
    // Both orders must actually have been exercised for the test to mean something.
    expect(outcomes.get('applied/applied')).toBeGreaterThan(0);
    expect([...outcomes.keys()].some((k) => k.endsWith('/null-compensation'))).toBe(true);
  });
});

describe(createParticipantHandler.name, () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const barrier = new Barrier(pool);
    await barrier.install();
    const handle = createParticipantHandler({
      barrier,
      handlers: {
        '/debit': async (input, { client, call }) => {
          const { amount } = input as { amount: number };
          if (amount > 100) throw new BusinessRefusal('too much', { code: 'LIMIT' });
          await client.query('INSERT INTO effects (transaction_id, phase, delta) VALUES ($1, $2, $3)', [
            call.transactionId,
            call.phase,
            -amount,
          ]);
          return { debited: amount };
        },
      },
    });
    server = createServer((req, res) => {
      handle(req, res).then(
        (handled) => {
          if (!handled) res.writeHead(404).end();
        },
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
    const response = await request(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.statusCode, headers: response.headers, body: await response.body.json() };
  }

  const callOf = (transactionId: string, amount: number): ParticipantCall => ({
    transactionId,
    step: 'debit',
    phase: 'action',
    attempt: 1,
    input: { amount },
  });

  it('answers the first outcome again to a retried call', async () => {
    const tx = newTx();
    const headers = { [HEADERS.idempotencyKey]: idempotencyKeyFor(tx, 'debit', 'action') };
    const first = await post('/debit', callOf(tx, 10), headers);
    const retry = await post('/debit', { ...callOf(tx, 10), attempt: 2 }, headers);

    expect(first).toMatchObject({ status: 200, body: { debited: 10 }, headers: { [BARRIER_RESULT_HEADER]: 'applied' } });
    expect(retry).toMatchObject({ status: 200, body: { debited: 10 }, headers: { [BARRIER_RESULT_HEADER]: 'duplicate' } });
    expect(await effectsOf(tx)).toHaveLength(1);
  });

  it('answers 409 with the refusal code to a business refusal', async () => {
    const response = await post('/debit', callOf(newTx(), 1000));
    expect(response).toMatchObject({ status: 409, body: { error: { code: 'LIMIT', message: 'too much' } } });
  });

  it('answers 400 to a body that is not a participant call', async () => {
    expect(await post('/debit', '{not json')).toMatchObject({ status: 400, body: { error: { code: 'INVALID_JSON' } } });
    expect(await post('/debit', { ...callOf(newTx(), 1), phase: 'undo' })).toMatchObject({
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED', details: [{ path: 'phase' }] } },
    });
  });

  it('answers 400 when the Idempotency-Key does not match the call', async () => {
    const tx = newTx();
    const response = await post('/debit', callOf(tx, 1), { [HEADERS.idempotencyKey]: idempotencyKeyFor(tx, 'debit', 'try') });
    expect(response).toMatchObject({ status: 400, body: { error: { code: 'IDEMPOTENCY_KEY_CONFLICT' } } });
    expect(await effectsOf(tx)).toEqual([]);
  });

  it('leaves other requests to the next router', async () => {
    const response = await request(`${url}/elsewhere`, { method: 'POST', body: '{}' });
    await response.body.dump();
    expect(response.statusCode).toBe(404);
  });
});
