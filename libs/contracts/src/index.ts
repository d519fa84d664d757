export * from './participant.protocol';
export * from './error-codes';
export * from './api-views';
