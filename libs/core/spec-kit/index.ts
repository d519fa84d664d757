/** The core's test kits, for specs elsewhere (`@accord/core-spec-kit`, tests
 * only: never built into dist). */
export * from './dangerous-urls.spec-kit';
