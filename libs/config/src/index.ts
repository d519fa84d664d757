export * from './config.schema';
