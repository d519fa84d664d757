export * from './engine.error';
export * from './engine.hooks';
export * from './plan.resolver';
export * from './transition.runner';
export * from './run-step-attempt.usecase';
export * from './start-transaction.usecase';
export * from './transaction-events.usecase';
export * from './register-definition.usecase';
