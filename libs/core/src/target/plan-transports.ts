import { PHASES, type MessageTransport } from '@accord/contracts';
import type { ValidationIssue } from '../definition/definition.compile';
import type { Plan } from '../definition/plan';

/** The setting each transport needs; tcp names its own host and port. */
const SETTING: Record<MessageTransport, string | null> = {
  nats: 'NATS_URL',
  rmq: 'RABBITMQ_URL',
  redis: 'TRANSPORT_REDIS_URL',
  tcp: null,
};

/** One issue per message endpoint whose transport this coordinator has no
 * broker for (`configured` holds the ones it has). */
export function unconfiguredTransports(plan: Plan, configured: ReadonlySet<MessageTransport>): ValidationIssue[] {
  return plan.steps.flatMap((step, i) =>
    PHASES.flatMap((phase) => {
      const endpoint = step.endpoints[phase];
      if (!endpoint || 'url' in endpoint || configured.has(endpoint.transport)) return [];
      const setting = SETTING[endpoint.transport];
      return [
        {
          path: `steps[${i}].${phase}.transport`,
          message: `step "${step.name}" ${phase}: transport "${endpoint.transport}" is not configured${setting ? ` (set ${setting})` : ''}`,
        },
      ];
    }),
  );
}
