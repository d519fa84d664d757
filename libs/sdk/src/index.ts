export * from './barrier';
export * from './barrier-result';
export * from './barrier-schema';
export * from './participant-call.schema';
export * from './participant-errors';
export * from './participant-handler';
export * from './signature-verifier';
