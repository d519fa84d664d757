/** Two tiers: pure unit/property tests (no services), and tests against real
 * Postgres, Redis and processes (integration, end-to-end, chaos). The second
 * tier provisions its own database and queue prefix in global-setup. */
const base = {
  testEnvironment: 'node',
  // Sources, first match wins: the packages (and the participant's adapter
  // subpaths), then the coordinator's libs. Same map as tsconfig.json "paths".
  moduleNameMapper: {
    '^@accord/(contracts|client|participant|conformance)$': '<rootDir>/packages/$1/src/index.ts',
    '^@accord/participant/(nest|microservices|express|fastify|typeorm)$': '<rootDir>/packages/participant/src/$1/index.ts',
    '^@accord/migrations$': '<rootDir>/migrations/index.ts',
    '^@accord/([a-z]+)$': '<rootDir>/libs/$1/src/index.ts',
    '^@accord/core-spec-kit$': '<rootDir>/libs/core/spec-kit/index.ts',
  },
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
};

module.exports = {
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: [
        '<rootDir>/libs/**/*.spec.ts',
        '<rootDir>/packages/*/src/**/*.spec.ts',
        '<rootDir>/apps/**/*.spec.ts',
        // deploy/'s files read and checked as files: no services needed.
        '<rootDir>/test/deploy/*.spec.ts',
      ],
    },
    {
      ...base,
      displayName: 'services',
      setupFilesAfterEnv: ['<rootDir>/test/support/services-timeout.ts'],
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
