/** `@accord/participant/microservices`: participant endpoints on
 * @nestjs/microservices transports (NATS, RabbitMQ, Redis, TCP). Use it with
 * AccordParticipantModule and CallInput/CallContext from `@accord/participant/nest`. */
export * from './participant-pattern.decorator';
export * from './participant-rpc.interceptor';
