/**
 * A wide saga (every step parallel) next to a stream of small sagas, against
 * an instant participant: the wide one's time grows linearly with its width,
 * no step is called more often than its attempts say (no duplicate call
 * beyond a genuine retry), and the small ones all complete, not held up
 * behind it.
 *
 * Widths: ACCORD_WIDE_WIDTHS (default 16,64; `npm run chaos`: 16,64,256).
 */
import { CHAOS_FULL, recordScenario } from '../support/chaos-report';
import { Api, startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { calls, startParticipant, type ParticipantProcess } from '../support/participant-process';

jest.setTimeout(600_000);

const WIDTHS = (process.env.ACCORD_WIDE_WIDTHS ?? (CHAOS_FULL ? '16,64,256' : '16,64')).split(',').map(Number);

interface Figure {
  width: number;
  wallMs: number;
  msPerStep: number;
  maxCallsPerStep: number;
  /** Steps called more often than their attempts say. */
  duplicateCalls: string[];
  smallSagas: number;
  /** Small sagas that did not complete. */
  smallFailed: string[];
  smallP50Ms: number;
  smallMaxMs: number;
}

describe('a wide saga next to small ones', () => {
  let participant: ParticipantProcess;
  let coordinator: CoordinatorProcess;
  let api: Api;

  const spec = (prefix: string, width: number, parallel: boolean) => ({
    type: 'saga',
    steps: Array.from({ length: width }, (_, i) => ({
      name: `s${i}`,
      ...(parallel ? { dependsOn: [] } : {}),
      action: { url: `${participant.url}/${prefix}/s${i}` },
      compensation: { url: `${participant.url}/${prefix}/s${i}/undo` },
    })),
  });

  beforeAll(async () => {
    participant = await startParticipant('scriptable');
    coordinator = await startCoordinator({ label: 'wide' });
    api = new Api(coordinator.url);
  }, 60_000);

  afterAll(async () => {
    await coordinator?.stop();
    await participant?.stop();
  });

  /** Runs one wide saga while small 2-step sagas start every 50 ms. */
  const measure = async (width: number): Promise<Figure> => {
    const prefix = `w${width}`;
    let wideDone = false;
    const small: Promise<{ ms: number; status: string }>[] = [];
    const stream = (async () => {
      for (let i = 0; !wideDone; i++) {
        small.push(
          (async () => {
            const at = Date.now();
            const res = await api.post('/v1/transactions?waitMs=60000', { spec: spec(`${prefix}-small${i}`, 2, false), input: {} });
            return { ms: Date.now() - at, status: `${res.body?.id ?? res.status}=${res.body?.status}` };
          })(),
        );
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const startedAt = Date.now();
    const res = await api.post('/v1/transactions?waitMs=590000', { spec: spec(prefix, width, true), input: {} });
    const wallMs = Date.now() - startedAt;
    wideDone = true;
    await stream;
    const smallRuns = await Promise.all(small);
    const latencies = smallRuns.map((r) => r.ms).sort((a, b) => a - b);
    expect(res.body.status).toBe('COMPLETED');

    const perStep = new Map<string, number>();
    for (const call of await calls(participant.url)) {
      if (call.path.startsWith(`/${prefix}/`)) perStep.set(call.path, (perStep.get(call.path) ?? 0) + 1);
    }
    expect(perStep.size).toBe(width);
    const attempts = new Map((res.body.steps as Array<{ name: string; attempts: number }>).map((s) => [`/${prefix}/${s.name}`, s.attempts]));
    return {
      width,
      wallMs,
      msPerStep: wallMs / width,
      maxCallsPerStep: Math.max(...perStep.values()),
      duplicateCalls: [...perStep]
        .filter(([path, n]) => n > (attempts.get(path) ?? 0))
        .map(([path, n]) => `${path} called ${n} times in ${attempts.get(path)} attempts`),
      smallSagas: latencies.length,
      smallFailed: smallRuns.filter((r) => !r.status.endsWith('=COMPLETED')).map((r) => r.status),
      smallP50Ms: latencies[Math.floor(latencies.length / 2)],
      smallMaxMs: latencies[latencies.length - 1],
    };
  };

  it('runs in time linear in its width, calls each step once, and does not hold up small sagas', async () => {
    // warm-up: JIT and connection pools, not measured
    await api.post('/v1/transactions?waitMs=60000', { spec: spec('warm', 8, true), input: {} });
    const figures: Figure[] = [];
    for (const width of WIDTHS) figures.push(await measure(width));
    console.log(`wide sagas:\n${figures.map((f) => JSON.stringify(f)).join('\n')}`);
    const widest = figures[figures.length - 1];
    const violations = figures.flatMap((f) => [...f.duplicateCalls, ...f.smallFailed.map((s) => `small saga next to width ${f.width}: ${s}`)]);
    recordScenario({
      scenario: 'wide saga + small ones',
      transactions: figures.reduce((n, f) => n + 1 + f.smallSagas, 0),
      faults: 0,
      faultDetail: `widths ${WIDTHS.join('/')}: ${figures.map((f) => `${Math.round(f.msPerStep)}`).join('/')} ms per step, small max ${widest.smallMaxMs} ms`,
      convergeMs: widest.wallMs,
      violations,
    });

    expect(violations).toEqual([]);
    // An instant participant needs no retry: one call per step.
    for (const f of figures) expect([f.width, f.maxCallsPerStep]).toEqual([f.width, 1]);
    // linear: the time per step of the widest is within 3x of the narrowest's (ratios of one run)
    const [narrow, wide] = [figures[0], figures[figures.length - 1]];
    expect(wide.msPerStep).toBeLessThan(3 * narrow.msPerStep + 20);
    // small sagas next to the widest one finish well before it does
    expect(wide.smallMaxMs).toBeLessThan(Math.max(wide.wallMs, 2_000));
  });
});
