import type { DefinitionView } from '@accord/contracts';
import type { DefinitionRecord } from '@accord/persistence';

export function presentDefinition(r: DefinitionRecord): DefinitionView {
  return { ...r.body, name: r.name, version: r.version, createdAt: r.createdAt };
}
