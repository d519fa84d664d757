/**
 * The first module main.ts loads. With an OTLP endpoint configured (the
 * standard OTEL_* variables), it starts OpenTelemetry before anything it
 * instruments (pg, ioredis, http) is loaded; otherwise it loads none of it,
 * so tracing off costs nothing.
 */
import { ConfigError, loadTracingConfig, type TracingConfig } from '@accord/config';
import type { StartedTracing } from '@accord/tracing';

function start(): { config: TracingConfig; started: StartedTracing } | null {
  let config: TracingConfig | null;
  try {
    config = loadTracingConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`accord: ${error.message}\n`);
    process.exit(1);
  }
  if (!config) return null;
  // Required here, not imported: only this branch may load OpenTelemetry.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startTracing } = require('@accord/tracing') as typeof import('@accord/tracing');
  return { config, started: startTracing(config) };
}

export const tracingStarted = start();
