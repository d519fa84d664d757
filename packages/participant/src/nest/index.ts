/** `@accord/participant/nest`: the NestJS module, the endpoint decorator and
 * its parameter decorators. */
export * from './accord-participant.module';
export * from './participant-endpoint.decorator';
export * from './participant.interceptor';
export * from './participant-call.holder';
export * from './participant-module.options';
