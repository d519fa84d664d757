import { isIP } from 'node:net';
import { lastValueFrom, timeout, TimeoutError } from 'rxjs';
import { messageCallData, type Endpoint, type MessageEndpoint } from '@accord/contracts';
import { checkTargetHost, hostOf, type CallResult, type TargetPolicy } from '@accord/core';
import type { BrokerClients } from './broker-clients';
import { ParticipantInvoker, type Invocation, type InvocationResult } from './participant.invoker';
import { refusedAddress, systemResolver, type Resolver } from './safe-connector';

export interface MessageInvokerOptions {
  clients: BrokerClients;
  /** The safe-target policy, applied to a tcp endpoint's host and port as
   * written and to every address the host resolves to, before every call. */
  policy: TargetPolicy;
  signingSecret?: string;
  resolve?: Resolver;
}

/**
 * @nestjs/microservices participants: `ClientProxy.send(pattern, data)`
 * through the long-lived BrokerClients, with the call's timeout. A reply is
 * the step's output (status 200 in the attempt log); an error reply is read
 * by its numeric `status` with the HTTP table; a broker that is down, a lost
 * connection or a timeout is "unknown, try again".
 */
export class MessageInvoker extends ParticipantInvoker {
  constructor(private readonly options: MessageInvokerOptions) {
    super();
  }

  unreachable(endpoint: Endpoint): string | null {
    if ('url' in endpoint) return 'not a message endpoint';
    return this.options.clients.configured.has(endpoint.transport) ? null : `transport "${endpoint.transport}" is not configured on this coordinator`;
  }

  async invoke({ endpoint, call, trace, timeoutMs }: Invocation): Promise<InvocationResult> {
    const message = endpoint as MessageEndpoint;
    const started = performance.now();
    const done = (result: CallResult): InvocationResult => ({ latencyMs: performance.now() - started, result });

    let address: string | undefined;
    const port = message.transport === 'tcp' ? message.port : 0;
    if (message.transport === 'tcp') {
      const target = await this.tcpAddress(message.host, port);
      if ('kind' in target) return done(target);
      address = target.address;
    }
    const client = this.options.clients.client(message, address);
    if (!client) return done({ kind: 'network', code: 'SHUTTING_DOWN', unsent: true });

    // Connected first, so a broker that is down (or reconnecting) fails the
    // call before anything is published: provably unsent.
    try {
      await withTimeout(client.connect(), timeoutMs);
    } catch {
      if (address !== undefined) this.options.clients.forgetTcp(address, port);
      return done({ kind: 'network', code: 'BROKER_UNAVAILABLE', unsent: true });
    }
    const data = messageCallData(call, trace, this.options.signingSecret, Date.now());
    const remaining = Math.max(1, timeoutMs - (performance.now() - started));
    try {
      const reply = await lastValueFrom(client.send<unknown>(message.pattern, data).pipe(timeout({ first: remaining })), { defaultValue: null });
      return done({ kind: 'response', status: 200, body: reply ?? null });
    } catch (error) {
      if (error instanceof TimeoutError) return done({ kind: 'timeout' });
      if (address !== undefined && error instanceof Error) this.options.clients.forgetTcp(address, port);
      return done(errorResult(error));
    }
  }

  async close(): Promise<void> {
    await this.options.clients.close();
  }

  /** The address to connect to: the host as written, and every address it
   * resolves to now, pass the policy (a name that rebinds to a refused
   * address is not called). */
  private async tcpAddress(host: string, port: number): Promise<{ address: string } | CallResult> {
    const written = checkTargetHost(host, port, this.options.policy);
    if (!written.ok) return { kind: 'forbidden', reason: written.reason };
    const bare = host.replace(/^\[|\]$/g, '');
    if (isIP(bare)) return { address: bare };
    let addresses;
    try {
      addresses = await (this.options.resolve ?? systemResolver)(bare, {});
    } catch (error) {
      return { kind: 'network', code: codeOf(error) ?? 'ENOTFOUND', unsent: true };
    }
    const refused = refusedAddress(hostOf(bare).name, addresses, port, this.options.policy);
    if (refused) return { kind: 'forbidden', reason: refused.reason };
    if (addresses.length === 0) return { kind: 'network', code: 'ENOTFOUND', unsent: true };
    return { address: addresses[0].address };
  }
}

/** An error reply with a numeric `status` is answered by the HTTP table (a
 * thrown error is never a success, so 3xx and up only); an Error is the
 * client's own (the connection closed mid-call); anything else is an error
 * reply that says nothing definite. */
function errorResult(error: unknown): CallResult {
  if (error instanceof Error) return { kind: 'network', code: codeOf(error) ?? 'CONNECTION_CLOSED', unsent: false };
  if (typeof error === 'object' && error !== null) {
    const { status, retryAfterSeconds } = error as { status?: unknown; retryAfterSeconds?: unknown };
    if (typeof status === 'number' && Number.isInteger(status) && status >= 300 && status <= 599) {
      const retryAfterMs = typeof retryAfterSeconds === 'number' && retryAfterSeconds >= 0 ? retryAfterSeconds * 1000 : undefined;
      return { kind: 'response', status, body: error, retryAfterMs };
    }
  }
  return { kind: 'error-reply', body: error };
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code !== '' ? code : undefined;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
