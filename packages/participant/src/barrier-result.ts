/** What the barrier did with one call, and the HTTP answer it implies.
 *
 * | kind                 | status | when |
 * |----------------------|--------|------|
 * | `applied`            | 200    | the business function ran and committed; body = its return value |
 * | `refused`            | 409    | it threw BusinessRefusal; recorded, body = RefusalBody |
 * | `duplicate`          | first  | this phase was already decided; status and body of the first answer (`first` says which kind) |
 * | `null-compensation`  | 200    | compensation/cancel before its action/try ever ran: recorded, nothing done |
 * | `noop`               | 200    | compensation/cancel of a refused action/try: nothing to undo |
 * | `hanging`            | 409    | action/try after its compensation/cancel: refused, nothing changed |
 * | `confirm-without-try`| 409    | confirm with no successful try: refused and NOT recorded, so a replay after the try succeeds can still confirm |
 * | `failed`             | 503    | the business function threw anything else: rolled back, nothing recorded, a retry runs it again |
 */
export type BarrierResult =
  | { kind: 'applied'; status: 200; body: unknown }
  | { kind: 'refused'; status: 409; body: RefusalBody }
  | { kind: 'duplicate'; status: number; body: unknown; first: FirstAnswerKind }
  | { kind: 'null-compensation'; status: 200; body: null }
  | { kind: 'noop'; status: 200; body: null }
  | { kind: 'hanging'; status: 409; body: RefusalBody }
  | { kind: 'confirm-without-try'; status: 409; body: RefusalBody }
  | { kind: 'failed'; status: 503; body: RefusalBody; error: unknown; retryAfterSeconds?: number };

export type BarrierResultKind = BarrierResult['kind'];

/** The recorded answers a duplicate can repeat. */
export type FirstAnswerKind = 'applied' | 'refused' | 'null-compensation' | 'noop';

/** The JSON body of every non-2xx answer, shaped like the coordinator's own
 * error bodies; `code` is participant-defined. */
export interface RefusalBody {
  error: { code: string; message: string; details?: unknown };
}

/** Codes the barrier itself refuses with. */
export const BARRIER_ERROR_CODES = {
  hanging: 'HANGING_CALL',
  confirmWithoutTry: 'CONFIRM_WITHOUT_TRY',
  transient: 'TRANSIENT_FAILURE',
} as const;

export function refusalBody(code: string, message: string, details?: unknown): RefusalBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}
