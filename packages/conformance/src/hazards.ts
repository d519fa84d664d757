import { canonicalJson, type Phase } from '@accord/contracts';
import {
  ConformanceClient,
  cut,
  describeAnswer,
  is2xx,
  sameAnswer,
  type Answer,
  type CallSpec,
  type Signing,
} from './conformance-client';
import type { ConformanceEndpoint, ConformanceOutcome, ConformanceResult, ConformanceStep } from './conformance.types';

/** A step seen as a forward phase (action/try), its undo (compensation/cancel,
 * optional for a saga step) and, for TCC, its confirm. */
interface Shape {
  name: string;
  inputTemplate: unknown;
  forward: { phase: 'action' | 'try'; endpoint: ConformanceEndpoint };
  backward?: { phase: 'compensation' | 'cancel'; endpoint: ConformanceEndpoint };
  confirm?: { phase: 'confirm'; endpoint: ConformanceEndpoint };
}

const SIGNATURE_REFUSED = [401, 403];
const BUSINESS_REFUSED = [409, 422];
/** Far outside the verifier's default tolerance (300 s). */
const STALE_MS = 60 * 60 * 1000;

export interface HazardSettings {
  concurrency: number;
}

/** Every check of one step, in table order. Each check uses its own fresh
 * transaction ids, so the checks never see each other's barrier rows. */
export async function checkStep(client: ConformanceClient, step: ConformanceStep, settings: HazardSettings): Promise<ConformanceResult[]> {
  const shape = shapeOf(step);
  if (step.unsupported !== undefined) return skipAll(shape, client.signs, step.unsupported);

  const results: ConformanceResult[] = [];
  const fwd = shape.forward.phase;
  const bwd = shape.backward?.phase ?? (fwd === 'action' ? 'compensation' : 'cancel');
  const row = (hazard: string, title: string, phase: Phase, expected: string, observed: string, ok: boolean) =>
    results.push(result(shape, hazard, title, phase, expected, observed, ok ? 'pass' : 'fail'));
  const skip = (hazard: string, title: string, phase: Phase, expected: string, why: string) =>
    results.push(result(shape, hazard, title, phase, expected, why, 'skip'));
  const call = (tx: string, which: 'forward' | 'backward' | 'confirm', attempt = 1, signing?: Signing): Promise<Answer> => {
    const target = shape[which]!;
    const spec: CallSpec = {
      endpoint: target.endpoint,
      transactionId: tx,
      step: shape.name,
      phase: target.phase,
      attempt,
      inputTemplate: shape.inputTemplate,
      signing,
    };
    return client.call(spec);
  };
  const fresh = () => ConformanceClient.newTransactionId();

  // A well-formed first call must work, or nothing below means anything.
  {
    const first = await call(fresh(), 'forward');
    row('first-call', `first ${fwd} succeeds`, fwd, '2xx', describeAnswer(first), is2xx(first));
  }

  // The same delivery twice (a retry after a lost answer): the first answer again.
  {
    const tx = fresh();
    const first = await call(tx, 'forward', 1);
    const second = await call(tx, 'forward', 2);
    row('duplicate', `duplicate ${fwd}`, fwd, 'same 2xx answer twice', pairObserved(first, second), is2xx(first) && sameAnswer(first, second));
  }

  // Many copies at once (a crash replay racing a retry): one effect, one answer.
  {
    const tx = fresh();
    const spec: CallSpec = { endpoint: shape.forward.endpoint, transactionId: tx, step: shape.name, phase: fwd, inputTemplate: shape.inputTemplate };
    const prepared = client.prepare(spec);
    const answers = await Promise.all(Array.from({ length: settings.concurrency }, () => client.send(shape.forward.endpoint, prepared)));
    const allSame = answers.every((a) => sameAnswer(a, answers[0]));
    row(
      'concurrent-duplicates',
      `${settings.concurrency} concurrent duplicate ${fwd === 'action' ? 'actions' : 'tries'}`,
      fwd,
      `${settings.concurrency}× the same 2xx answer`,
      manyObserved(answers),
      is2xx(answers[0]) && allSame,
    );
  }

  if (shape.confirm) {
    const tx = fresh();
    const tried = await call(tx, 'forward');
    if (!is2xx(tried)) {
      row('confirm-twice', 'confirm twice', 'confirm', 'same 2xx answer twice', `try answered ${describeAnswer(tried, 36)}`, false);
    } else {
      const first = await call(tx, 'confirm', 1);
      const second = await call(tx, 'confirm', 2);
      row('confirm-twice', 'confirm twice', 'confirm', 'same 2xx answer twice', pairObserved(first, second), is2xx(first) && sameAnswer(first, second));
    }
  }

  if (!shape.backward) {
    const why = 'the step has no compensation';
    skip('backward-twice', `${bwd} twice`, bwd, 'same 2xx answer twice', why);
    skip('backward-before-forward', `${bwd} before ${fwd}`, bwd, '2xx (null compensation)', why);
    skip('forward-after-backward', `${fwd} after ${bwd}`, fwd, '409/422 (hanging)', why);
  } else {
    {
      const tx = fresh();
      const done = await call(tx, 'forward');
      if (!is2xx(done)) {
        row('backward-twice', `${bwd} twice`, bwd, 'same 2xx answer twice', `${fwd} answered ${describeAnswer(done, 36)}`, false);
      } else {
        const first = await call(tx, 'backward', 1);
        const second = await call(tx, 'backward', 2);
        row('backward-twice', `${bwd} twice`, bwd, 'same 2xx answer twice', pairObserved(first, second), is2xx(first) && sameAnswer(first, second));
      }
    }
    {
      // The undo overtook its forward call (or the forward call never arrived).
      const tx = fresh();
      const undo = await call(tx, 'backward');
      const nullTitle = fwd === 'action' ? 'compensation before action' : 'cancel without try';
      row('backward-before-forward', nullTitle, bwd, '2xx (null compensation)', describeAnswer(undo), is2xx(undo));
      // …and then the forward call shows up: it must not apply any more.
      const late = await call(tx, 'forward');
      row('forward-after-backward', `${fwd} after ${bwd}`, fwd, '409/422 (hanging: refused)', describeAnswer(late), statusIn(late, BUSINESS_REFUSED));
    }
  }

  results.push(...(client.signs ? await signingChecks(shape, call, fresh()) : signingSkipped(shape)));
  return results;
}

type Caller = (tx: string, which: 'forward' | 'backward' | 'confirm', attempt?: number, signing?: Signing) => Promise<Answer>;

/** Calls that are not signed with the secret must be refused before they can
 * change anything; a correctly signed call for the same transaction then
 * still works (had the unsigned undo been recorded, it would be refused as
 * hanging). */
async function signingChecks(shape: Shape, call: Caller, tx: string): Promise<ConformanceResult[]> {
  const fwd = shape.forward.phase;
  const results: ConformanceResult[] = [];
  const refused = async (hazard: string, title: string, which: 'forward' | 'backward', signing: Signing) => {
    const answer = await call(tx, which, 1, signing);
    const phase = shape[which]!.phase;
    results.push(result(shape, hazard, title, phase, '401/403', describeAnswer(answer), statusIn(answer, SIGNATURE_REFUSED) ? 'pass' : 'fail'));
  };
  await refused('unsigned', `unsigned ${fwd}`, 'forward', { kind: 'none' });
  await refused('wrong-signature', `${fwd} signed with a wrong secret`, 'forward', { kind: 'wrong-secret' });
  await refused('stale-signature', `${fwd} with a stale timestamp (1 h)`, 'forward', { kind: 'stale', ageMs: STALE_MS });
  await refused('tampered-body', `${fwd} whose body is not the signed one`, 'forward', { kind: 'other-body' });
  if (shape.backward) await refused('unsigned-backward', `unsigned ${shape.backward.phase}`, 'backward', { kind: 'none' });
  const signed = await call(tx, 'forward', 2);
  results.push(
    result(shape, 'signed-after-rejected', `signed ${fwd} after the rejected calls`, fwd, '2xx (rejected calls left no trace)', describeAnswer(signed), is2xx(signed) ? 'pass' : 'fail'),
  );
  return results;
}

function signingSkipped(shape: Shape): ConformanceResult[] {
  const fwd = shape.forward.phase;
  return [result(shape, 'signing', 'unsigned/badly signed calls refused', fwd, '401/403', 'no --secret given', 'skip')];
}

function skipAll(shape: Shape, signs: boolean, why: string): ConformanceResult[] {
  const rows = [result(shape, 'first-call', `first ${shape.forward.phase} succeeds`, shape.forward.phase, '2xx', why, 'skip')];
  if (signs) rows.push(result(shape, 'signing', 'unsigned/badly signed calls refused', shape.forward.phase, '401/403', why, 'skip'));
  return rows;
}

function shapeOf(step: ConformanceStep): Shape {
  if (step.type === 'saga') {
    return {
      name: step.name,
      inputTemplate: step.inputTemplate,
      forward: { phase: 'action', endpoint: step.action },
      backward: step.compensation ? { phase: 'compensation', endpoint: step.compensation } : undefined,
    };
  }
  return {
    name: step.name,
    inputTemplate: step.inputTemplate,
    forward: { phase: 'try', endpoint: step.try },
    backward: { phase: 'cancel', endpoint: step.cancel },
    confirm: { phase: 'confirm', endpoint: step.confirm },
  };
}

function endpointOf(shape: Shape, phase: Phase): string {
  const target = [shape.forward, shape.backward, shape.confirm].find((t) => t?.phase === phase);
  return target ? `${(target.endpoint.method ?? 'POST').toUpperCase()} ${target.endpoint.url}` : '(none)';
}

function result(
  shape: Shape,
  hazard: string,
  title: string,
  phase: Phase,
  expected: string,
  observed: string,
  outcome: ConformanceOutcome,
): ConformanceResult {
  return { hazard, title, step: shape.name, phase, endpoint: endpointOf(shape, phase), expected, observed, outcome };
}

function statusIn(answer: Answer, statuses: number[]): boolean {
  return answer.status !== null && statuses.includes(answer.status);
}

function pairObserved(first: Answer, second: Answer): string {
  if (sameAnswer(first, second)) return `2× ${describeAnswer(first, 44)}`;
  return differenceOf(first, second);
}

function manyObserved(answers: Answer[]): string {
  const distinct: Answer[] = [];
  for (const a of answers) if (!distinct.some((d) => sameAnswer(d, a))) distinct.push(a);
  if (distinct.length === 1) return `${answers.length}× ${describeAnswer(answers[0], 40)}`;
  return `${distinct.length} different answers; ${differenceOf(distinct[0], distinct[1])}`;
}

/** What tells two answers apart, briefly: the statuses, or the first differing field. */
function differenceOf(a: Answer, b: Answer): string {
  if (a.status !== b.status || a.status === null) return `${describeAnswer(a, 24)} then ${describeAnswer(b, 24)}`;
  const path = firstDifference(a.body, b.body, '');
  if (path === undefined) return `${a.status} twice, bodies equal`;
  return `${a.status}, but ${path.path || 'body'} ${cut(JSON.stringify(path.a) ?? 'absent', 14)} then ${cut(JSON.stringify(path.b) ?? 'absent', 14)}`;
}

function firstDifference(a: unknown, b: unknown, at: string): { path: string; a: unknown; b: unknown } | undefined {
  if (canonicalJson(a) === canonicalJson(b)) return undefined;
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) {
      const found = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${at}.${key}`);
      if (found) return found;
    }
  }
  return { path: at, a, b };
}
