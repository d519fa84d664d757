export * from './job-id';
export * from './redis-connection';
export * from './step.queue';
export * from './step.worker';
export * from './sweeper';
export * from './periodic';
export * from './retention';
