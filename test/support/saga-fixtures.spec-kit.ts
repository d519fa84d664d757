/**
 * Three sagas against the scriptable participant whose transactions end in
 * known states, for tests that need a COMPLETED, a STUCK or a RUNNING
 * transaction to aim a request at (auth, scopes). Test-only (uses jest's
 * `expect`): excluded from the build as `*.spec-kit.ts`.
 */
import type { ResponseOf } from '@accord/contracts';
import type { Api } from './coordinator-process';
import { script } from './participant-process';

/** Two steps (`reserve` with a compensation, then `charge`) at `<participant>/<prefix>/…`. */
export function twoStepSaga(participantUrl: string, name: string, prefix: string, retry: Record<string, unknown> = { maxAttempts: 1 }) {
  return {
    name,
    type: 'saga',
    retry,
    steps: [
      { name: 'reserve', action: { url: `${participantUrl}/${prefix}/reserve` }, compensation: { url: `${participantUrl}/${prefix}/release` } },
      { name: 'charge', action: { url: `${participantUrl}/${prefix}/charge` } },
    ],
  };
}

export interface SagaFixtures {
  /** `<prefix>-ok`: completes. */
  ok: string;
  /** `<prefix>-stuck`: its charge is refused and its compensation is misconfigured (400). */
  stuck: string;
  /** `<prefix>-slow`: its first step keeps answering 503 and retries in ten minutes. */
  slow: string;
  completedTransaction(): Promise<string>;
  stuckTransaction(): Promise<string>;
  runningTransaction(): Promise<string>;
}

/** Scripts the participant and registers the three sagas (names `<prefix>-ok|stuck|slow`). */
export async function registerSagaFixtures(api: Api, participantUrl: string, prefix: string): Promise<SagaFixtures> {
  await script(participantUrl, {
    '/stuck/charge': { default: { status: 409 } },
    '/stuck/release': { default: { status: 400 } },
    '/slow/reserve': { default: { status: 503 } },
  });
  const names = { ok: `${prefix}-ok`, stuck: `${prefix}-stuck`, slow: `${prefix}-slow` };
  for (const body of [
    twoStepSaga(participantUrl, names.ok, 'ok'),
    twoStepSaga(participantUrl, names.stuck, 'stuck'),
    twoStepSaga(participantUrl, names.slow, 'slow', { maxAttempts: 100, initialDelayMs: 600_000, maxDelayMs: 600_000 }),
  ]) {
    expect((await api.post('/v1/definitions', body)).status).toBe(201);
  }
  const settled = async (definition: string, status: string) => {
    const res = await api.post<ResponseOf<'startTransaction', 201>>('/v1/transactions?waitMs=30000', { definition, input: {} });
    expect(res.body.status).toBe(status);
    return res.body.id;
  };
  return {
    ...names,
    completedTransaction: () => settled(names.ok, 'COMPLETED'),
    stuckTransaction: () => settled(names.stuck, 'STUCK'),
    runningTransaction: async () => {
      const res = await api.post<ResponseOf<'startTransaction', 201>>('/v1/transactions', { definition: names.slow, input: {} });
      expect(res.body.status).toBe('RUNNING');
      return res.body.id;
    },
  };
}
