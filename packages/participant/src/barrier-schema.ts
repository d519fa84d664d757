import { PHASES } from '@accord/contracts';

/** What a barrier row can say about one phase of one step.
 * - `pending`: only ever seen inside the transaction that inserted it.
 * - `ok`: the business function ran and committed; `result` is its output.
 * - `refused`: it threw a BusinessRefusal; `result` is the 409 body.
 * - `prevented`: a forward-phase marker written by a compensation/cancel that
 *   came first, so the late action/try is refused as hanging.
 * - `null`: a compensation/cancel for a forward phase that never ran.
 * - `noop`: a compensation/cancel of a refused forward phase: nothing to undo. */
export const BARRIER_OUTCOMES = ['pending', 'ok', 'refused', 'prevented', 'null', 'noop'] as const;
export type BarrierOutcome = (typeof BARRIER_OUTCOMES)[number];

function sqlList(values: readonly string[]): string {
  return values.map((v) => `'${v}'`).join(', ');
}

export const BARRIER_TABLE = 'accord_barrier';

/** The barrier's migration. Idempotent, so participants can run it at every
 * start-up; ship it in your own migrations instead if you prefer. */
export const BARRIER_DDL = `
CREATE TABLE IF NOT EXISTS ${BARRIER_TABLE} (
  transaction_id text NOT NULL,
  step           text NOT NULL,
  phase          text NOT NULL CHECK (phase IN (${sqlList(PHASES)})),
  outcome        text NOT NULL CHECK (outcome IN (${sqlList(BARRIER_OUTCOMES)})),
  result         jsonb,
  created_at     timestamptz NOT NULL DEFAULT now(),
  -- The whole barrier rests on this key: a second INSERT of the same phase
  -- waits for the first transaction and then sees its row.
  PRIMARY KEY (transaction_id, step, phase)
);
COMMENT ON TABLE ${BARRIER_TABLE} IS
  'Accord participant barrier: one row per (transaction, step, phase) call that changed or decided something, written in the same transaction as the business change.';
`;
