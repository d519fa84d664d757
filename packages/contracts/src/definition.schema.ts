import { z } from 'zod';
import { isReservedHeader } from './participant.protocol';

export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,127}$/;

const name = z.string().regex(NAME_PATTERN, 'must match ^[a-z0-9][a-z0-9._-]{0,127}$');

const httpUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
  } catch {
    return false;
  }
}, 'must be an absolute http(s) URL');

/** A token (RFC 9110) that is not a header the coordinator sets itself. */
const headerName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'invalid header name')
  .refine((name) => !isReservedHeader(name), {
    error: (issue) => `header "${String(issue.input)}" is set by the coordinator and cannot be overridden`,
  });

/** Tab, visible ASCII and Latin-1 text: what undici writes (it refuses the
 * rest at call time), less the C1 control characters. */
const headerValue = z
  .string()
  .max(4096)
  .regex(/^[\t\x20-\x7e\xa0-\xff]*$/, 'must not contain control characters (CR, LF, NUL, …) or characters beyond U+00FF');

/** Retry policy of a step phase. Every field is optional; defaults below. */
export const RetryPolicySchema = z
  .object({
    /** Calls of one phase before giving up, first call included. Default 5. */
    maxAttempts: z.number().int().min(1).max(1000).optional(),
    /** Delay before the second call. Default 100 ms. */
    initialDelayMs: z.number().int().min(0).max(86_400_000).optional(),
    /** Upper bound of any delay. Default 30 000 ms. */
    maxDelayMs: z.number().int().min(0).max(86_400_000).optional(),
    /** Growth factor between delays. Default 2. */
    multiplier: z.number().min(1).max(100).optional(),
    /** Randomise each delay within [delay/2, delay]. Default true. */
    jitter: z.boolean().optional(),
  })
  .strict()
  .refine((r) => r.initialDelayMs === undefined || r.maxDelayMs === undefined || r.initialDelayMs <= r.maxDelayMs, {
    message: 'initialDelayMs must not exceed maxDelayMs',
    path: ['initialDelayMs'],
  });

const timeoutMs = z.number().int().min(1).max(3_600_000);

export const HttpEndpointSchema = z
  .object({
    url: httpUrl,
    method: z.enum(['POST', 'PUT', 'PATCH', 'DELETE', 'GET']).optional(),
    timeoutMs: timeoutMs.optional(),
    /** Sent with every call to this endpoint; none may be a header the
     * coordinator sets itself ({@link isReservedHeader}), in any case. */
    headers: z.record(headerName, headerValue).optional(),
  })
  .strict();

const pattern = z.string().min(1).max(256);

/** A @nestjs/microservices participant, called with `ClientProxy.send(pattern, data)`. */
export const MessageEndpointSchema = z.discriminatedUnion('transport', [
  z.object({ transport: z.literal('nats'), pattern, timeoutMs: timeoutMs.optional() }).strict(),
  z.object({ transport: z.literal('redis'), pattern, timeoutMs: timeoutMs.optional() }).strict(),
  z
    .object({
      transport: z.literal('rmq'),
      /** The queue the participant consumes. */
      queue: z.string().min(1).max(255),
      pattern,
      timeoutMs: timeoutMs.optional(),
    })
    .strict(),
  z
    .object({
      transport: z.literal('tcp'),
      /** A host name or an IP address (IPv6 with or without brackets), nothing else. */
      host: z
        .string()
        .max(253)
        .regex(/^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[?[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\]?)$/, 'must be a host name or an IP address'),
      port: z.number().int().min(1).max(65535),
      pattern,
      timeoutMs: timeoutMs.optional(),
    })
    .strict(),
]);

export const EndpointSchema = z.union([HttpEndpointSchema, MessageEndpointSchema]);

const stepBase = {
  name,
  dependsOn: z.array(name).max(256).optional(),
  input: z.unknown().optional(),
  retry: RetryPolicySchema.optional(),
};

export const SagaStepSchema = z
  .object({
    ...stepBase,
    action: EndpointSchema,
    compensation: EndpointSchema.optional(),
    pivot: z.boolean().optional(),
  })
  .strict();

export const TccStepSchema = z
  .object({ ...stepBase, try: EndpointSchema, confirm: EndpointSchema, cancel: EndpointSchema })
  .strict();

const specBase = {
  timeoutMs: z.number().int().min(1).max(30 * 86_400_000).optional(),
  /** Calls of one transaction in flight at once, so one wide transaction
   * cannot fill the queue ahead of the others. Default 32. */
  maxParallel: z.number().int().min(1).max(256).optional(),
  retry: RetryPolicySchema.optional(),
  description: z.string().max(4096).optional(),
};

export const SagaSpecSchema = z
  .object({ ...specBase, type: z.literal('saga'), steps: z.array(SagaStepSchema).min(1).max(256) })
  .strict();

export const TccSpecSchema = z
  .object({ ...specBase, type: z.literal('tcc'), steps: z.array(TccStepSchema).min(1).max(256) })
  .strict();

/** A definition body without its name: what an inline `spec` holds. */
export const SpecSchema = z.discriminatedUnion('type', [SagaSpecSchema, TccSpecSchema]);

export const DefinitionSchema = z.discriminatedUnion('type', [
  SagaSpecSchema.extend({ name }),
  TccSpecSchema.extend({ name }),
]);

export type RetryPolicyInput = z.infer<typeof RetryPolicySchema>;
export type HttpEndpoint = z.infer<typeof HttpEndpointSchema>;
export type MessageEndpoint = z.infer<typeof MessageEndpointSchema>;
export type MessageTransport = MessageEndpoint['transport'];
export type Endpoint = z.infer<typeof EndpointSchema>;
export type SagaStepSpec = z.infer<typeof SagaStepSchema>;
export type TccStepSpec = z.infer<typeof TccStepSchema>;
export type Spec = z.infer<typeof SpecSchema>;
export type Definition = z.infer<typeof DefinitionSchema>;
export type TransactionType = Spec['type'];
