import type { IncomingMessage } from 'node:http';
import { trace } from '@opentelemetry/api';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { TracingConfig } from '@accord/config';
import { activeSpanFields, OtelTracing } from './otel.tracing';

export interface StartedTracing {
  tracing: OtelTracing;
  /** For the logger: the active span's trace and span ids. */
  logFields: () => Record<string, string>;
}

/** Only requests that change something are traced; reads, probes, scrapes,
 * the console and the docs are not. */
function untraced(request: IncomingMessage): boolean {
  return request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS' || !request.url?.startsWith('/v1/');
}

/**
 * Starts OpenTelemetry's Node SDK: traces only (Prometheus has the metrics,
 * stdout the logs), exported as the standard OTEL_* variables say. Must run
 * before pg, ioredis and http are loaded, for their instrumentations to
 * patch them. Postgres and Redis spans are recorded only inside Accord's own
 * spans (`requireParentSpan`), never for the workers' polling.
 */
export function startTracing(config: TracingConfig): StartedTracing {
  const sdk = new NodeSDK({
    serviceName: config.serviceName,
    instrumentations: [
      new HttpInstrumentation({ disableOutgoingRequestInstrumentation: true, ignoreIncomingRequestHook: untraced }),
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return { tracing: new OtelTracing(trace.getTracer('accord'), () => sdk.shutdown()), logFields: activeSpanFields };
}
