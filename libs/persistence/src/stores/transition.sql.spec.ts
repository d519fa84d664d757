import {
  CLAIM_BATCH_SQL, CLAIM_ONE_SQL, COMMIT_BATCH_SQL, COMMIT_ONE_SQL, COMMIT_ONE_WITH_EXTRAS_SQL, INSERT_IDEMPOTENT_SQL, INSERT_SQL,
  LOAD_SQL, TRANSITION_FIELDS,
} from './transition.sql';

/** The statement as a reviewer reads it: one clause a line, no indentation noise. */
const readable = (sql: string) =>
  sql
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join('\n');

/**
 * The hot path's statements are assembled from parts (one body for a
 * request in parameters or a JSON batch); the snapshot is each one in a
 * single piece. A change to any of them shows here, whole, in review.
 */
describe('the transition statements', () => {
  it.each(Object.entries({
    LOAD_SQL, CLAIM_ONE_SQL, CLAIM_BATCH_SQL, COMMIT_ONE_SQL, COMMIT_ONE_WITH_EXTRAS_SQL, COMMIT_BATCH_SQL, INSERT_SQL,
    INSERT_IDEMPOTENT_SQL,
  }))('%s reads as reviewed', (_name, sql) => {
    expect(readable(sql)).toMatchSnapshot();
  });

  it('numbers the parameters of one transition in the order of its typed fields', () => {
    const names = Object.keys(TRANSITION_FIELDS);
    names.forEach((name, k) => expect(COMMIT_ONE_SQL).toContain(`$${k + 1}::${TRANSITION_FIELDS[name as keyof typeof TRANSITION_FIELDS]} AS ${name}`));
    // the extras follow the transition's own parameters
    for (const k of [1, 2]) expect(COMMIT_ONE_WITH_EXTRAS_SQL).toContain(`$${names.length + k}::`);
    expect(COMMIT_ONE_WITH_EXTRAS_SQL).not.toContain(`$${names.length + 3}`);
  });
});
