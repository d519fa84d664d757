import { planSpec, type Plan, type Spec } from '@accord/core';
import type { DefinitionStore } from '@accord/persistence';

/** Plans by definition version. Registered versions are immutable, so their
 * plans are cached for the life of the process. */
export class PlanResolver {
  private readonly cache = new Map<string, Plan>();

  constructor(private readonly definitions: DefinitionStore) {}

  async resolve(ref: { definitionName: string | null; definitionVersion: number | null; spec: Spec | null }): Promise<Plan> {
    if (ref.spec) return compile(ref.spec);
    const key = `${ref.definitionName}@${ref.definitionVersion}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const record = await this.definitions.get(ref.definitionName!, ref.definitionVersion!);
    if (!record) throw new Error(`definition ${key} is missing`);
    const { name: _name, ...spec } = record.body;
    const plan = compile(spec as Spec);
    this.cache.set(key, plan);
    return plan;
  }
}

function compile(spec: Spec): Plan {
  const compiled = planSpec(spec);
  if (!compiled.ok) throw new Error(`stored spec no longer compiles: ${compiled.issues.map((i) => i.message).join('; ')}`);
  return compiled.value;
}
