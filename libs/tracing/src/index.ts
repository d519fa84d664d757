export * from './otel.tracing';
export * from './tracing.sdk';
