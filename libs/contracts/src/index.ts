export * from './participant.protocol';
export * from './error-codes';
