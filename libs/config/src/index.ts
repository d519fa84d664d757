export * from './config.schema';
export * from './tracing.config';
