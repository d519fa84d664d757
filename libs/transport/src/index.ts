export * from './participant.invoker';
export * from './http.invoker';
export * from './request-signer';
export * from './traceparent';
export * from './response-body';
export * from './safe-connector';
