import { maskSpec } from '@accord/core';
import type { DefinitionView } from '@accord/contracts';
import type { DefinitionRecord } from '@accord/persistence';

/** Endpoint headers and URL credentials are write-only: masked here. */
export function presentDefinition(r: DefinitionRecord): DefinitionView {
  return { ...maskSpec(r.body), name: r.name, version: r.version, createdAt: r.createdAt };
}
