export * from './participant.invoker';
export * from './http.invoker';
export * from './traceparent';
export * from './safe-connector';
export * from './webhook.sender';
