export * from './participant.invoker';
export * from './http.invoker';
export * from './traceparent';
