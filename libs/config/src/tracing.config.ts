import { z } from 'zod';
import { ConfigError } from './config.schema';

const url = z.string().refine((value) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, 'must be an http:// or https:// URL');
const protocol = z.enum(['http/protobuf', 'http/json', 'grpc']);
const list = (values: readonly string[]) =>
  z
    .string()
    .transform((text) => text.split(',').map((v) => v.trim().toLowerCase()).filter((v) => v !== ''))
    .refine((items) => items.every((v) => values.includes(v)), `must be a comma-separated list of ${values.join(', ')}`);

/**
 * The standard OpenTelemetry variables Accord reads (the SDK reads them
 * again itself): checked here so that a typo stops start-up, named, instead
 * of silently exporting nothing.
 */
export const TracingEnvSchema = z.object({
  OTEL_SDK_DISABLED: z.enum(['true', 'false', 'TRUE', 'FALSE', 'True', 'False']).optional(),
  OTEL_TRACES_EXPORTER: list(['otlp', 'console', 'none']).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: url.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url.optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: protocol.optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol.optional(),
  OTEL_EXPORTER_OTLP_TIMEOUT: z.coerce.number().int().min(1).max(600_000).optional(),
  OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: z.coerce.number().int().min(1).max(600_000).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).max(256).default('accord'),
  OTEL_TRACES_SAMPLER: z
    .enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'])
    .optional(),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
});

/** Tracing as configured; `loadTracingConfig` answers null when it is off. */
export interface TracingConfig {
  /** Where spans go: the traces endpoint, or the base endpoint (the exporter adds /v1/traces over HTTP). */
  endpoint: string;
  protocol: z.infer<typeof protocol>;
  serviceName: string;
  sampler: string;
}

/** Tracing is on when an OTLP endpoint is set, the SDK is not disabled and
 * the traces exporter is not `none`. */
export function loadTracingConfig(env: Record<string, string | undefined> = process.env): TracingConfig | null {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('OTEL_') && v !== undefined && v.trim() !== ''));
  const parsed = TracingEnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const endpoint = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? e.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint || e.OTEL_SDK_DISABLED?.toLowerCase() === 'true' || e.OTEL_TRACES_EXPORTER?.includes('none')) return null;
  return {
    endpoint,
    protocol: e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
    serviceName: e.OTEL_SERVICE_NAME,
    sampler: e.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on',
  };
}
