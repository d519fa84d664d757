/** `@accord/participant`: the barrier, the framework-independent call
 * handling (over HTTP and over message brokers), a node:http handler,
 * signature verification and the typed errors. Framework adapters are
 * subpaths (`/nest`, `/microservices`, `/express`, `/fastify`, and
 * `/typeorm` for the barrier on a DataSource), so this entry point loads
 * none of them. */
export * from './barrier';
export * from './barrier-database';
export * from './barrier-result';
export * from './barrier-schema';
export * from './pg.barrier-database';
export * from './participant-errors';
export * from './participant-call.answer';
export * from './message-call.answer';
export * from './participant-handler';
export * from './signature-verifier';
