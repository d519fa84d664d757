/**
 * The bench's minimal baseline: the least durable work a hand-written
 * sequential 3-step saga can get away with (baseline-harness.ts) — no lease,
 * no fencing, no version check, no attempt log, no HTTP start:
 *
 *   start:  one INSERT of the transaction and its 3 steps, then the step-1 job
 *           (which carries the input, so nothing is read back);
 *   step:   one BullMQ job, one undici POST, one UPDATE of the step, then the
 *           next job;
 *   end:    one UPDATE of the transaction to COMPLETED.
 *
 * It is what a team writes on day one, before the first crash teaches them
 * what the same-work baseline and Accord do; the ratio against it tells how
 * much that safety costs.
 */
import { INSERT_SAGA_SQL, runBaselineProcess, STEPS } from './baseline-harness';

const INSERT_SQL = INSERT_SAGA_SQL('bench-minimal', 0);
const STEP_DONE_SQL = `UPDATE steps SET status = 'SUCCEEDED', phase = NULL, output = $3::jsonb, due_at = NULL, updated_at = now()
  WHERE transaction_id = $1 AND name = $2`;
const SAGA_DONE_SQL = `UPDATE transactions SET status = 'COMPLETED', version = version + 1, updated_at = now(), finished_at = now()
  WHERE id = $1`;

runBaselineProcess('bench-minimal', ({ db, sql, enqueue, call, finished }) => ({
  start: async (id, input) => {
    await db.query(sql('minimal_insert', INSERT_SQL, [id, JSON.stringify(input)]));
    await enqueue({ t: id, i: 0, a: 1, input });
  },
  runStep: async (job) => {
    const res = await call(job, job.input);
    await db.query(sql('minimal_step', STEP_DONE_SQL, [job.t, STEPS[job.i], res.text || 'null']));
    if (job.i + 1 < STEPS.length) await enqueue({ ...job, i: job.i + 1 });
    else {
      await db.query(sql('minimal_saga', SAGA_DONE_SQL, [job.t]));
      finished(job.t);
    }
  },
}));
