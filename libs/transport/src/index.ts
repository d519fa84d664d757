export * from './participant.invoker';
export * from './http.invoker';
export * from './broker-clients';
export * from './message.invoker';
export * from './routing.invoker';
export * from './traceparent';
export * from './safe-connector';
export * from './webhook.sender';
