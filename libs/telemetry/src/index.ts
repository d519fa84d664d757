export * from './metrics.registry';
export * from './engine-hooks.telemetry';
export * from './logger';
export * from './log-fields';
