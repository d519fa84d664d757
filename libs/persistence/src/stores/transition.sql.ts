/**
 * The hot path's statements. A claim and a transition each have one body,
 * fed by a CTE `r` of requests: either one request in plain parameters (the
 * planner sees constants and goes by primary key) or a JSON array of them,
 * so concurrent jobs share one statement (group commit). Each claim and each
 * transition is still a compare-and-set on its own rows.
 *
 * A JSON request list is `LIMIT`ed by its own length ($2). That changes no
 * result, but tells the planner of these prepared (generic) statements to
 * expect a few rows: without it, it expects 100 from jsonb_to_recordset and,
 * once the tables have grown, hash-joins them against sequential scans.
 */

import { IN_FLIGHT_STATUSES, sqlStatusList } from '@accord/contracts';

export const TX_NOTIFY_CHANNEL = 'accord_tx';

/** The transaction columns mapTransactionRow reads. Named, not `t.*`: the
 * statements are prepared, and a prepared statement whose result columns
 * change (a migration adding a column under a running replica) fails. */
export const TX_COLUMN_NAMES = ['id', 'definition_name', 'definition_version', 'spec', 'type', 'status',
  'direction', 'pivot_passed', 'input', 'deadline_at', 'rollback_reason', 'stuck_reason', 'version', 'traceparent',
  'tracestate', 'created_at', 'updated_at', 'finished_at'];
const TX_COLUMNS = TX_COLUMN_NAMES.map((c) => `t.${c}`).join(', ');

const STEP_COLUMN_NAMES = ['transaction_id', 'name', 'idx', 'status', 'phase', 'attempt', 'attempt_base', 'due_at',
  'lease_until', 'lease_ms', 'claim', 'preclaimed', 'may_have_applied', 'input', 'output', 'last_error', 'updated_at'];
const stepColumns = (alias: string) => STEP_COLUMN_NAMES.map((c) => `${alias}.${c}`).join(', ');

const IN_FLIGHT = sqlStatusList(IN_FLIGHT_STATUSES);

/** The lease of a call claimed now. */
const LEASE_FROM_NOW = (leaseMs: string) => `now() + make_interval(secs => ${leaseMs} / 1000.0)`;

/** Steps of transaction `idExpr` as one JSON array: those in `changed` (a
 * CTE of this statement, whose snapshot predates its own updates) as
 * changed, the others from the table. */
const stepsJson = (changed: string, idExpr: string) => `(SELECT json_agg(x ORDER BY x.idx) FROM (
    SELECT ${stepColumns('c2')} FROM ${changed} c2 WHERE c2.transaction_id = ${idExpr}
    UNION ALL
    SELECT ${stepColumns('o')} FROM steps o WHERE o.transaction_id = ${idExpr}
      AND o.name NOT IN (SELECT c3.name FROM ${changed} c3 WHERE c3.transaction_id = ${idExpr})) x)`;

export const LOAD_SQL = `
  SELECT ${TX_COLUMNS}, (SELECT json_agg(s ORDER BY s.idx) FROM steps s WHERE s.transaction_id = t.id) AS steps
  FROM transactions t WHERE t.id = $1`;

/** Claims owed calls: bumps each one's fencing token and sets its lease,
 * and answers each claimed call's transaction as of the claim, and whether
 * the call had been claimed before (`resumed`: its last holder's lease ran
 * out, so it may have been sent). A lease is cleared whenever a step's call
 * changes, so an earlier lease on the row is one of this very call.
 *
 * `token`: the claim the job carries (CarriedClaim), or null. While that
 * claim is still the step's and no worker has claimed over it, the job may
 * take it over although its lease lives: the job is the one it was taken
 * for. `fresh`: this is the job's first delivery, so the call was never sent
 * under that claim.
 *
 * `known`: the version of the transaction the replica already holds (as it
 * committed it; -1 for none). When it is still current, the heavy parts of
 * the answer (spec, input, the steps JSON) are left out (`cached`): the
 * replica has them, and only the claimed step's claim and lease are new. */
function claimSql(requests: string): string {
  const unlessKnown = (expr: string, as: string) => `CASE WHEN c.known = t.version THEN NULL ELSE ${expr} END AS ${as}`;
  const light = TX_COLUMN_NAMES.filter((col) => col !== 'spec' && col !== 'input').map((col) => `t.${col}`).join(', ');
  return `
  WITH r AS (${requests}),
  c AS (
    UPDATE steps s SET lease_until = ${LEASE_FROM_NOW('s.lease_ms')}, claim = s.claim + 1, preclaimed = false
    FROM r JOIN steps o ON o.transaction_id = r.id AND o.name = r.name
    WHERE s.transaction_id = r.id AND s.name = r.name AND s.phase = r.phase AND s.attempt = r.attempt
      -- num_nonnulls, not IS NOT NULL: that would let the planner serve the
      -- claim from the partial due index, read whole, whenever the statistics
      -- say it is nearly empty (a VACUUM at a quiet moment), not by primary key
      AND num_nonnulls(s.due_at) = 1 AND (s.lease_until IS NULL OR s.lease_until < now() OR (s.preclaimed AND s.claim = r.token))
      -- a scalar subquery, so the status is read by primary key, never by
      -- scanning the (busy, often bloated) status index for in-flight rows
      AND (SELECT t.status FROM transactions t WHERE t.id = s.transaction_id) IN ${IN_FLIGHT}
    RETURNING r.i, r.known,
      o.lease_until IS NOT NULL AND NOT (r.fresh AND o.preclaimed AND o.claim IS NOT DISTINCT FROM r.token) AS resumed,
      ${stepColumns('s')})
  SELECT c.i, c.claim AS claimed, c.resumed, c.lease_until AS claimed_lease_until, c.known = t.version AS cached, ${light},
    ${unlessKnown('t.spec', 'spec')}, ${unlessKnown('t.input', 'input')},
    ${unlessKnown(stepsJson('c', 'c.transaction_id'), 'steps')}
  FROM c JOIN transactions t ON t.id = c.transaction_id`;
}

/** $1..$7: transaction id, step, phase, attempt, known version, token, fresh. */
export const CLAIM_ONE_SQL = claimSql(
  `SELECT 0 AS i, $1::uuid AS id, $2::text AS name, $3::text AS phase, $4::int AS attempt, $5::int AS known, $6::int AS token,
     $7::boolean AS fresh`,
);
/** $1: JSON array of {i, id, name, phase, attempt, known, token, fresh}; $2: its length. */
export const CLAIM_BATCH_SQL = claimSql(
  `SELECT * FROM jsonb_to_recordset($1::jsonb)
     AS r(i int, id uuid, name text, phase text, attempt int, known int, token int, fresh boolean) LIMIT $2`,
);

const STEP_RECORD = `x(name text, status text, phase text, attempt int, attempt_base int, due_at timestamptz,
  lease_ms int, may_have_applied boolean, input jsonb, output jsonb, last_error text, preclaim boolean)`;

/** Writes the changed steps of the transactions in `t`, whose `steps` column
 * holds them; a lease survives only while the step owes the same call. A
 * step written with `preclaim` has its new call claimed here (the claim
 * CTE's update, done in the same write), and answers its new claim. */
const UPDATE_STEPS = `
  UPDATE steps SET status = x.status, phase = x.phase, attempt = x.attempt, attempt_base = x.attempt_base,
    due_at = x.due_at, lease_ms = x.lease_ms, may_have_applied = x.may_have_applied, input = x.input,
    output = x.output, last_error = x.last_error, updated_at = now(),
    claim = CASE WHEN x.preclaim THEN steps.claim + 1 ELSE steps.claim END,
    lease_until = CASE WHEN x.preclaim THEN ${LEASE_FROM_NOW('x.lease_ms')}
      WHEN steps.phase IS NOT DISTINCT FROM x.phase AND steps.attempt = x.attempt THEN steps.lease_until END,
    preclaimed = CASE WHEN x.preclaim THEN true
      WHEN steps.phase IS NOT DISTINCT FROM x.phase AND steps.attempt = x.attempt THEN steps.preclaimed ELSE false END
  FROM t, jsonb_to_recordset(t.steps) AS ${STEP_RECORD}
  WHERE steps.transaction_id = t.id AND steps.name = x.name
  RETURNING steps.transaction_id, steps.name, steps.claim, x.preclaim`;

/** The columns of a transition request and their Postgres types, in
 * parameter order. `a_*`: the attempt it logs (all null without one);
 * `new_input` applies only when `input_changed` (an operator's retry with a
 * new input), so other transitions do not rewrite the input. */
export const TRANSITION_FIELDS = {
  id: 'uuid', expected: 'int', status: 'text', direction: 'text', pivot_passed: 'boolean', finished: 'boolean', notify: 'boolean',
  rollback_reason: 'jsonb', stuck_reason: 'jsonb', input_changed: 'boolean', new_input: 'jsonb', steps: 'jsonb',
  a_step: 'text', a_claim: 'int', a_phase: 'text', a_attempt: 'int', a_started_at: 'timestamptz', a_latency_ms: 'int',
  a_outcome: 'text', a_status_code: 'int', a_error: 'text', a_request: 'jsonb', a_applied: 'boolean',
  a_budget_exhausted: 'boolean', a_worker: 'text',
} as const;

/** A transition request row: one value per field. */
export type TransitionRow = Record<keyof typeof TRANSITION_FIELDS, unknown>;

const FIELDS = Object.entries(TRANSITION_FIELDS);

/** One transition in plain parameters $1..$FIELDS.length. */
const TRANSITION_PARAMS = `SELECT 0 AS i, ${FIELDS.map(([name, type], k) => `$${k + 1}::${type} AS ${name}`).join(', ')}`;

/** Transitions as a JSON array ($1) of its length $2. */
const TRANSITION_JSON = `SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(i int, ${FIELDS.map(([name, type]) => `${name} ${type}`).join(', ')}) LIMIT $2`;

/** The parameters after the transition's own in COMMIT_ONE_WITH_EXTRAS_SQL. */
const AUDIT_PARAM = `$${FIELDS.length + 1}`;
const OUTBOX_PARAM = `$${FIELDS.length + 2}`;

/**
 * Transitions, each with the attempt it logs, if any. One applies only if
 * its transaction's version is the one it was decided from and its
 * attempt's claim is still the step's (rule 4). One that settles its
 * transaction (`notify`) NOTIFYs the waiters on every replica. Answers the
 * `i` of each applied one, the commit's time (`now()`, every timestamp
 * it wrote) and the new claims of its pre-claimed steps: the process builds the committed record from what it decided,
 * which costs Postgres less than reading it back.
 *
 * `extras` (one transition in parameters): it may also carry an operator's
 * audit entry (AUDIT_PARAM, a JSON array) and write outbox rows
 * (OUTBOX_PARAM, a JSON array of {topic, payload}).
 */
function commitSql(requests: string, extras: boolean): string {
  const ctes = `
    r AS (${requests}),
    t AS (
      UPDATE transactions tx SET status = r.status, direction = r.direction, pivot_passed = r.pivot_passed,
        rollback_reason = r.rollback_reason, stuck_reason = r.stuck_reason,
        input = CASE WHEN r.input_changed THEN r.new_input ELSE tx.input END,
        version = tx.version + 1, updated_at = now(), finished_at = CASE WHEN r.finished THEN now() ELSE NULL END
      FROM r
      WHERE tx.id = r.id AND tx.version = r.expected
        AND (r.a_step IS NULL OR EXISTS (SELECT 1 FROM steps o WHERE o.transaction_id = r.id AND o.name = r.a_step AND o.claim = r.a_claim))
      RETURNING tx.id, r.i, r.notify, r.steps, r.a_step, r.a_claim, r.a_phase, r.a_attempt,
        r.a_started_at, r.a_latency_ms, r.a_outcome, r.a_status_code, r.a_error, r.a_request, r.a_applied,
        r.a_budget_exhausted, r.a_worker),
    s AS (${UPDATE_STEPS}),
    a AS (
      INSERT INTO attempts (transaction_id, step, phase, attempt, claim, started_at, latency_ms, outcome, status_code, error,
        request, applied, budget_exhausted, worker)
      SELECT t.id, t.a_step, t.a_phase, t.a_attempt, t.a_claim, t.a_started_at, t.a_latency_ms, t.a_outcome, t.a_status_code,
        t.a_error, t.a_request, t.a_applied, t.a_budget_exhausted, t.a_worker
      FROM t WHERE t.a_step IS NOT NULL)`;
  // The claims of pre-claimed steps, joined (not a subquery per row): the
  // process knows everything else it wrote.
  const answer = `SELECT t.i, now() AS at, CASE WHEN t.notify THEN pg_notify('${TX_NOTIFY_CHANNEL}', t.id::text) END AS notified, p.claims
    FROM t LEFT JOIN (SELECT s.transaction_id, json_object_agg(s.name, s.claim) AS claims FROM s WHERE s.preclaim GROUP BY s.transaction_id) p
      ON p.transaction_id = t.id`;
  if (!extras) return `WITH ${ctes} ${answer}`;
  return `WITH ${ctes},
    au AS (INSERT INTO audit (actor, action, target, note, details)
      SELECT e.actor, e.action, e.target, e.note, e.details
      FROM t, jsonb_to_recordset(${AUDIT_PARAM}::jsonb) AS e(actor text, action text, target text, note text, details jsonb)),
    ob AS (INSERT INTO outbox (topic, transaction_id, payload)
      SELECT e.topic, t.id, e.payload FROM t, jsonb_to_recordset(${OUTBOX_PARAM}::jsonb) AS e(topic text, payload jsonb))
    ${answer}`;
}

export const COMMIT_ONE_SQL = commitSql(TRANSITION_PARAMS, false);
export const COMMIT_ONE_WITH_EXTRAS_SQL = commitSql(TRANSITION_PARAMS, true);
export const COMMIT_BATCH_SQL = commitSql(TRANSITION_JSON, false);

const INSERT_TX = `INSERT INTO transactions (id, definition_name, definition_version, spec, type, status,
    direction, input, deadline_at, traceparent, tracestate)
  SELECT $1, $2, $3, $4::jsonb, $5, $6, $7, $8::jsonb, $9::timestamptz, $10, $11`;

/** A pre-claimed step starts with claim 1 (the process counts on it). */
const INSERT_STEPS = `INSERT INTO steps (transaction_id, idx, name, status, phase, attempt, attempt_base, due_at, lease_ms,
    may_have_applied, input, output, last_error, claim, lease_until, preclaimed)
  SELECT t.id, x.idx, x.name, x.status, x.phase, x.attempt, x.attempt_base, x.due_at, x.lease_ms, x.may_have_applied,
    x.input, x.output, x.last_error, CASE WHEN x.preclaim THEN 1 ELSE 0 END,
    CASE WHEN x.preclaim THEN ${LEASE_FROM_NOW('x.lease_ms')} END, x.preclaim
  FROM t, jsonb_to_recordset($12::jsonb) AS x(idx int, name text, status text, phase text, attempt int, attempt_base int,
    due_at timestamptz, lease_ms int, may_have_applied boolean, input jsonb, output jsonb, last_error text, preclaim boolean)`;

/** A new transaction and its steps; answers its `created_at`. */
export const INSERT_SQL = `WITH t AS (${INSERT_TX} RETURNING id, created_at), s AS (${INSERT_STEPS}) SELECT t.created_at FROM t`;

/** The same, only if the idempotency key ($13, $14) is new: no row otherwise. */
export const INSERT_IDEMPOTENT_SQL = `
  WITH k AS (INSERT INTO idempotency_keys (key, request_hash, transaction_id)
      VALUES ($13, $14, $1) ON CONFLICT DO NOTHING RETURNING 1),
    t AS (${INSERT_TX} WHERE EXISTS (SELECT 1 FROM k) RETURNING id, created_at),
    s AS (${INSERT_STEPS})
  SELECT t.created_at FROM t`;
