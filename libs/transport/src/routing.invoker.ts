import type { Endpoint } from '@accord/contracts';
import { ParticipantInvoker, type Invocation, type InvocationResult } from './participant.invoker';

/** HTTP endpoints to one invoker, message endpoints to the other. */
export class RoutingInvoker extends ParticipantInvoker {
  constructor(
    private readonly http: ParticipantInvoker,
    private readonly message: ParticipantInvoker,
  ) {
    super();
  }

  unreachable(endpoint: Endpoint): string | null {
    return this.route(endpoint).unreachable(endpoint);
  }

  invoke(invocation: Invocation): Promise<InvocationResult> {
    return this.route(invocation.endpoint).invoke(invocation);
  }

  async close(): Promise<void> {
    await Promise.all([this.http.close(), this.message.close()]);
  }

  private route(endpoint: Endpoint): ParticipantInvoker {
    return 'url' in endpoint ? this.http : this.message;
  }
}
