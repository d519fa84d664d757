import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigSchema } from './config.schema';

/** The settings the README's Configuration table documents, by name. */
function documentedSettings(): string[] {
  const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Configuration'), readme.indexOf('\n## ', readme.indexOf('\n## Configuration') + 1));
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...line.split('|')[1].matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]));
}

describe('the README settings table', () => {
  it('documents every setting the config reads, and no other', () => {
    expect(documentedSettings().sort()).toEqual(Object.keys(ConfigSchema.shape).sort());
  });
});
