/**
 * Statements that claim calls and commit transitions for many transactions
 * at once (group commit). They keep every guarantee of the one-at-a-time
 * statements: each claim and each transition is still a compare-and-set on
 * its own rows; the batch only shares the round trip and the statement.
 */

export const STEP_COLUMN_NAMES = ['transaction_id', 'name', 'idx', 'status', 'phase', 'attempt', 'attempt_base', 'due_at',
  'lease_until', 'lease_ms', 'claim', 'may_have_applied', 'input', 'output', 'last_error', 'updated_at'];

const cols = (alias: string) => STEP_COLUMN_NAMES.map((c) => `${alias}.${c}`).join(', ');

export function claimBatchSql(txColumns: string, inFlight: string): string {
  return `WITH r AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(i int, id uuid, name text, phase text, attempt int)),
    c AS (
      UPDATE steps s SET lease_until = now() + make_interval(secs => s.lease_ms / 1000.0), claim = s.claim + 1
      FROM r, transactions t
      WHERE s.transaction_id = r.id AND s.name = r.name AND s.phase = r.phase AND s.attempt = r.attempt
        AND s.due_at IS NOT NULL AND (s.lease_until IS NULL OR s.lease_until < now())
        AND t.id = s.transaction_id AND t.status IN ${inFlight}
      RETURNING r.i, ${cols('s')})
    SELECT c.i, ${txColumns}, c.claim AS claimed, c.input AS step_input,
      (SELECT json_agg(x ORDER BY x.idx) FROM (
         SELECT ${cols('c2')} FROM c c2 WHERE c2.transaction_id = c.transaction_id
         UNION ALL
         SELECT ${cols('o')} FROM steps o WHERE o.transaction_id = c.transaction_id
           AND o.name NOT IN (SELECT c3.name FROM c c3 WHERE c3.transaction_id = c.transaction_id)) x) AS steps
    FROM c JOIN transactions t ON t.id = c.transaction_id`;
}

/** One row per request: the transition and its attempt, if any. Requests of
 * one batch are for distinct transactions (the batcher's key). */
export const COMMIT_BATCH_SQL = `
  WITH r AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(i int, id uuid, expected int, status text, direction text,
      pivot_passed boolean, finished boolean, steps jsonb, a_step text, a_claim int, a_phase text, a_attempt int,
      a_started_at timestamptz, a_latency_ms int, a_outcome text, a_status_code int, a_error text, a_request jsonb,
      a_applied boolean, a_worker text)),
  t AS (
    UPDATE transactions tx SET status = r.status, direction = r.direction, pivot_passed = r.pivot_passed,
      version = tx.version + 1, updated_at = now(), finished_at = CASE WHEN r.finished THEN now() ELSE NULL END
    FROM r
    WHERE tx.id = r.id AND tx.version = r.expected
      -- rule 4: a call's result moves the machine only while its claim is the step's current one
      AND (r.a_step IS NULL OR EXISTS (SELECT 1 FROM steps o WHERE o.transaction_id = r.id AND o.name = r.a_step AND o.claim = r.a_claim))
    RETURNING tx.id, r.i, r.steps, r.a_step, r.a_claim, r.a_phase, r.a_attempt, r.a_started_at, r.a_latency_ms, r.a_outcome,
      r.a_status_code, r.a_error, r.a_request, r.a_applied, r.a_worker),
  s AS (
    UPDATE steps SET status = x.status, phase = x.phase, attempt = x.attempt, attempt_base = x.attempt_base,
      due_at = x.due_at, lease_ms = x.lease_ms, may_have_applied = x.may_have_applied, input = x.input,
      output = x.output, last_error = x.last_error, updated_at = now(),
      lease_until = CASE WHEN steps.phase IS NOT DISTINCT FROM x.phase AND steps.attempt = x.attempt THEN steps.lease_until END
    FROM t, jsonb_to_recordset(t.steps) AS x(name text, status text, phase text, attempt int, attempt_base int,
      due_at timestamptz, lease_ms int, may_have_applied boolean, input jsonb, output jsonb, last_error text)
    WHERE steps.transaction_id = t.id AND steps.name = x.name),
  a AS (
    INSERT INTO attempts (transaction_id, step, phase, attempt, claim, started_at, latency_ms, outcome, status_code, error,
      request, applied, worker)
    SELECT t.id, t.a_step, t.a_phase, t.a_attempt, t.a_claim, t.a_started_at, t.a_latency_ms, t.a_outcome, t.a_status_code,
      t.a_error, t.a_request, t.a_applied, t.a_worker
    FROM t WHERE t.a_step IS NOT NULL)
  SELECT i FROM t`;
