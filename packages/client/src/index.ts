/** `@accord/client`: the typed client of the coordinator's API. Plain fetch
 * and the API's own types; no framework. */
export * from './accord-api-error';
export * from './accord-client';
export * from './admin-client';
export * from './client.types';
