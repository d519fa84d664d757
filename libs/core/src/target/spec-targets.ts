import type { ValidationIssue } from '../definition/definition.compile';
import { PHASES, type Endpoint, type Phase, type Spec } from '@accord/contracts';
import { checkTargetHost, checkTargetUrl, type TargetPolicy } from './target.policy';

/** Every endpoint of a spec, with where it sits in the body. */
export function specEndpoints(spec: Spec): { path: string; step: string; phase: Phase; endpoint: Endpoint }[] {
  return spec.steps.flatMap((step, i) =>
    PHASES.flatMap((phase) => {
      const endpoint = (step as Partial<Record<Phase, Endpoint>>)[phase];
      return endpoint ? [{ path: `steps[${i}].${phase}`, step: step.name, phase, endpoint }] : [];
    }),
  );
}

/** One issue per endpoint the policy refuses (an HTTP URL, or a TCP
 * participant's host and port), naming its step and phase. The URL itself
 * is not repeated: it may carry credentials. */
export function forbiddenTargets(spec: Spec, policy: TargetPolicy): ValidationIssue[] {
  return specEndpoints(spec).flatMap(({ path, step, phase, endpoint }) => {
    const verdict =
      'url' in endpoint
        ? checkTargetUrl(endpoint.url, policy)
        : endpoint.transport === 'tcp'
          ? checkTargetHost(endpoint.host, endpoint.port, policy)
          : null;
    if (verdict === null || verdict.ok) return [];
    return [{ path: `${path}.${'url' in endpoint ? 'url' : 'host'}`, message: `step "${step}" ${phase}: ${verdict.reason}` }];
  });
}
