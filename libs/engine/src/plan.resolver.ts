import type { Spec } from '@accord/contracts';
import { planSpec, type Plan } from '@accord/core';
import type { DefinitionStore } from '@accord/persistence';

/** An inline spec's plan is kept for this many transactions (each step's
 * claim and result both need it); registered versions for good. */
const MAX_INLINE_PLANS = 1000;

/** Plans by definition version, or by transaction for an inline spec: both
 * are immutable, so a plan is compiled once, not on every call and result. */
export class PlanResolver {
  private readonly cache = new Map<string, Plan>();
  private readonly inline = new Map<string, Plan>();

  constructor(private readonly definitions: DefinitionStore) {}

  async resolve(ref: { id?: string; definitionName: string | null; definitionVersion: number | null; spec: Spec | null }): Promise<Plan> {
    if (ref.spec) return this.inlinePlan(ref.id, ref.spec);
    const key = `${ref.definitionName}@${ref.definitionVersion}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const record = await this.definitions.get(ref.definitionName!, ref.definitionVersion!);
    if (!record) throw new Error(`definition ${key} is missing`);
    const { name: _name, ...spec } = record.body;
    const plan = compile(spec);
    this.cache.set(key, plan);
    return plan;
  }

  private inlinePlan(id: string | undefined, spec: Spec): Plan {
    const cached = id === undefined ? undefined : this.inline.get(id);
    if (cached) return cached;
    const plan = compile(spec);
    if (id !== undefined) {
      // Oldest first out: a Map iterates in insertion order.
      if (this.inline.size >= MAX_INLINE_PLANS) this.inline.delete(this.inline.keys().next().value!);
      this.inline.set(id, plan);
    }
    return plan;
  }
}

function compile(spec: Spec): Plan {
  const compiled = planSpec(spec);
  if (!compiled.ok) throw new Error(`stored spec no longer compiles: ${compiled.issues.map((i) => i.message).join('; ')}`);
  return compiled.value;
}
