/**
 * The boundaries the linter enforces, shown on a tree in miniature
 * (test/lint/fixtures: the same units and @accord aliases as the repository)
 * linted with the repository's own eslint.config.mjs: each kind of forbidden
 * import or use fails with the rule that owns it, and the clean file passes.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

jest.setTimeout(180_000);

type Finding = { ruleId: string | null; message: string };

let findings: Record<string, Finding[]>;

beforeAll(async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [`${__dirname}/lint-fixtures.mjs`], { maxBuffer: 16 * 1024 * 1024 });
  findings = JSON.parse(stdout) as Record<string, Finding[]>;
});

const RELATIVE = /relative import may not leave its unit/;

describe('eslint.config.mjs', () => {
  it('passes a core file that imports the contracts and a pure library, takes the clock and covers every phase', () => {
    expect(findings['libs/core/src/clean.ts']).toEqual([]);
  });

  it.each([
    ['libs/core/src/relative-across-units.ts', 'boundaries/dependencies', RELATIVE],
    ['test/e2e/relative-into-a-lib.ts', 'boundaries/dependencies', RELATIVE],
    ['libs/core/src/forbidden-arrow.ts', 'boundaries/dependencies', /from elements of type "libs\/core" to elements of type "libs\/persistence"/],
    ['packages/client/src/index.ts', 'boundaries/dependencies', /from elements of type "packages\/client" to elements of type "libs\/persistence"/],
    ['libs/core/src/node-builtin.ts', 'boundaries/dependencies', /"libs\/core" to entities of module with origin "core" and module source "node:fs"/],
    ['libs/core/src/io-package.ts', 'boundaries/dependencies', /"libs\/core" to entities of module with origin "external" and module source "pg"/],
    ['libs/core/src/reads-the-clock.ts', 'no-restricted-globals', /'Date'.*clock/],
    ['libs/core/src/reads-process.ts', 'no-restricted-globals', /'process'/],
    ['libs/core/src/draws-randomness.ts', 'no-restricted-properties', /Math\.random/],
    ['libs/core/src/non-exhaustive-switch.ts', '@typescript-eslint/switch-exhaustiveness-check', /Cases not matched: "action" \| "compensation"$/],
  ])('fails %s with %s', (file, ruleId, message) => {
    expect(findings[file]).toEqual(expect.arrayContaining([{ ruleId, message: expect.stringMatching(message) }]));
  });

  it('lints every fixture it was given (none skipped as ignored or outside a project)', () => {
    const fatal = Object.entries(findings).filter(([, messages]) => messages.some((m) => m.ruleId === null));
    expect(fatal).toEqual([]);
  });
});
