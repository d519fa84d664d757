import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { ParticipantRpcInterceptor } from './participant-rpc.interceptor';

/**
 * `@MessagePattern(pattern)` as a participant endpoint: the handler runs at
 * most once per (transaction, step, phase), inside a local transaction (do
 * its writes through `@CallContext() ctx` → `ctx.client`). Its return value
 * is the step's output; throw BusinessRefusal to refuse (409), anything
 * else is a retryable 503. Needs AccordParticipantModule.
 *
 * ```ts
 * @ParticipantPattern('inventory.reserve')
 * reserve(@CallInput() input: ReserveInput, @CallContext() ctx: ParticipantContext) { … }
 * ```
 */
export function ParticipantPattern(pattern: string): MethodDecorator {
  return applyDecorators(MessagePattern(pattern), UseInterceptors(ParticipantRpcInterceptor));
}
