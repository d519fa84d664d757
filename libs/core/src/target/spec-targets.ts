import type { ValidationIssue } from '../definition/definition.compile';
import { PHASES, type Endpoint, type Phase, type Spec } from '@accord/contracts';
import { checkTargetUrl, type TargetPolicy } from './target.policy';

/** Every HTTP endpoint of a spec, with where it sits in the body. */
export function httpEndpoints(spec: Spec): { path: string; step: string; phase: Phase; url: string }[] {
  return spec.steps.flatMap((step, i) =>
    PHASES.flatMap((phase) => {
      const endpoint = (step as Partial<Record<Phase, Endpoint>>)[phase];
      return endpoint && 'url' in endpoint ? [{ path: `steps[${i}].${phase}.url`, step: step.name, phase, url: endpoint.url }] : [];
    }),
  );
}

/** One issue per endpoint the policy refuses, naming its step and phase.
 * The URL itself is not repeated: it may carry credentials. */
export function forbiddenTargets(spec: Spec, policy: TargetPolicy): ValidationIssue[] {
  return httpEndpoints(spec).flatMap(({ path, step, phase, url }) => {
    const verdict = checkTargetUrl(url, policy);
    return verdict.ok ? [] : [{ path, message: `step "${step}" ${phase}: ${verdict.reason}` }];
  });
}
