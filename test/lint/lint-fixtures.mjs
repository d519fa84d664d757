// Lints the fixture tree with the repository's own eslint.config.mjs through
// ESLint's Node API and prints each file's messages as JSON. A process of its
// own because the config is an ES module, which jest's CommonJS runtime
// cannot import.
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));

const eslint = new ESLint({
  // With an explicit config file, its file patterns are matched from cwd: the
  // fixture tree stands in for the repository's root.
  cwd: fixtures,
  overrideConfigFile: `${root}/eslint.config.mjs`,
  overrideConfig: {
    settings: {
      'boundaries/root-path': fixtures,
      'import/resolver': { typescript: { project: [`${fixtures}/tsconfig.json`] } },
    },
  },
});
const results = await eslint.lintFiles(['.']);
const byFile = Object.fromEntries(
  results.map((result) => [
    result.filePath.slice(fixtures.length + 1),
    result.messages.map(({ ruleId, message }) => ({ ruleId, message })),
  ]),
);
process.stdout.write(JSON.stringify(byFile));
