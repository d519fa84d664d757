// ESLint 9 flat config, typescript-eslint 8 with type information.
import js from '@eslint/js';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const TS_FILES = ['apps/**/*.ts', 'apps/**/*.tsx', 'apps/**/*.mts', 'libs/**/*.ts', 'packages/**/*.ts', 'test/**/*.ts', 'migrations/**/*.ts'];

// A lib is imported only through its entry point: `@accord/persistence`, never
// `@accord/persistence/src/...`, nor a relative path into another lib's src.
// The one exception is what a package exports as a subpath: the
// participant's adapters.
const DEEP_IMPORTS = [
  {
    regex: '^@accord/(?!participant/(nest|microservices|express|fastify|typeorm)$)[^/]+/.+',
    message: 'Import a lib or package only through its entry points (@accord/<name>, or a subpath it exports).',
  },
];
const RELATIVE_INTO_OTHER_LIB = {
  regex: '^(\\.\\./)+((libs|packages)/)?[a-z-]+/src(/|$)',
  message: 'Import another lib or package through its entry point (@accord/<name>), not by a relative path.',
};

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const BUILTINS = builtinModules.filter((name) => !name.startsWith('_'));

/** Only the given modules (and their subpaths), Node's built-ins and
 * relative paths: for a package, what its package.json declares. */
function onlyModules(allowed, message) {
  const names = [...allowed, ...BUILTINS].map(escape).join('|');
  return { regex: `^(?!(node:)?(${names})(/.*)?$|\\.)`, message };
}

/** Each package under packages/ may import what its package.json declares
 * (dependencies and peer dependencies) and nothing else: an import the
 * manifest does not name would work in the monorepo and break once installed. */
const PACKAGES = readdirSync(new URL('./packages', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => {
    const manifest = JSON.parse(readFileSync(new URL(`./packages/${entry.name}/package.json`, import.meta.url), 'utf8'));
    const peers = manifest.peerDependenciesMeta ?? {};
    const declared = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies });
    return {
      dir: entry.name,
      name: manifest.name,
      required: declared.filter((name) => !peers[name]?.optional),
      optional: declared.filter((name) => peers[name]?.optional),
    };
  });
/** The web console runs in a browser: it imports what its package.json
 * declares and no Node built-in (its specs and Vite config run on Node). */
const CONSOLE_MANIFEST = JSON.parse(readFileSync(new URL('./apps/console/package.json', import.meta.url), 'utf8'));
const CONSOLE_MODULES = Object.keys({ ...CONSOLE_MANIFEST.dependencies, ...CONSOLE_MANIFEST.devDependencies }).filter((name) => name !== 'vite' && name !== 'typescript');
const CONSOLE_IMPORTS = {
  regex: `^(?!(${CONSOLE_MODULES.map(escape).join('|')})(/.*)?$|\\.)`,
  message: 'The console imports only what apps/console/package.json declares (no Node built-in: it runs in a browser).',
};

/** The participant's optional peers, each allowed only in the adapter folder
 * that needs it: importing the package's root must load none of them. */
const ADAPTER_PEERS = {
  nest: ['@nestjs/common', 'rxjs'],
  microservices: ['@nestjs/common', '@nestjs/microservices', 'rxjs'],
  express: [],
  fastify: ['fastify'],
  typeorm: ['typeorm'],
};
/** Peers the participant's root may use: pg, for the default barrier. */
const ROOT_PEERS = ['pg'];

function packageImportRules() {
  return PACKAGES.flatMap((pkg) => {
    const message =
      pkg.dir === 'participant'
        ? `${pkg.name} imports only what its package.json declares and Node's built-ins, and each optional framework peer only in its adapter folder (src/nest, src/microservices, src/fastify, src/typeorm): its root must load none.`
        : `${pkg.name} imports only what its package.json declares (dependencies, peer dependencies) and Node's built-ins.`;
    const files = [`packages/${pkg.dir}/src/**/*.ts`];
    const ignores = ['**/*.spec.ts'];
    const restrict = (allowed) => ({
      'no-restricted-imports': ['error', { patterns: [...DEEP_IMPORTS, RELATIVE_INTO_OTHER_LIB, onlyModules(allowed, message)] }],
    });
    if (pkg.dir !== 'participant') return [{ files, ignores, rules: restrict([...pkg.required, ...pkg.optional]) }];
    const adapters = Object.keys(ADAPTER_PEERS);
    return [
      { files, ignores: [...ignores, ...adapters.map((a) => `packages/${pkg.dir}/src/${a}/**`)], rules: restrict([...pkg.required, ...ROOT_PEERS]) },
      ...adapters.map((adapter) => ({
        files: [`packages/${pkg.dir}/src/${adapter}/**/*.ts`],
        ignores,
        rules: restrict([...pkg.required, ...ROOT_PEERS, ...ADAPTER_PEERS[adapter]]),
      })),
    ];
  });
}

export default defineConfig(
  {
    ignores: [
      'dist/**',
      'packages/*/dist/**',
      'node_modules/**',
      'coverage/**',
      '.accord/**',
      'deploy/**',
      'scripts/*.mjs',
      'jest.config.js',
      'eslint.config.mjs',
    ],
  },
  {
    files: TS_FILES,
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
        // Same as tsconfig.json. With both set, consistent-type-imports leaves
        // files that contain decorators alone (see below).
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // NestJS DI reads constructor parameter types from emitDecoratorMetadata,
      // which needs a *runtime* import of each injected class: turning
      // `import { FooService }` into `import type` would silently inject
      // `undefined`. typescript-eslint knows this: when experimentalDecorators
      // and emitDecoratorMetadata are on (parserOptions above), the rule
      // reports nothing in a file that has a decorator. Everywhere else
      // (core, contracts, plain helpers, tests) type-only imports must say so.
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      'no-restricted-imports': ['error', { patterns: DEEP_IMPORTS }],
    },
  },
  {
    files: ['apps/**/*.ts', 'libs/**/*.ts', 'packages/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...DEEP_IMPORTS, RELATIVE_INTO_OTHER_LIB] }],
    },
  },
  ...packageImportRules(),
  {
    files: ['apps/console/src/**/*.ts', 'apps/console/src/**/*.tsx'],
    ignores: ['**/*.spec.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...DEEP_IMPORTS, RELATIVE_INTO_OTHER_LIB, CONSOLE_IMPORTS] }] },
  },
  {
    // The domain core is pure: no framework, no I/O, no other lib but the
    // shared vocabulary in @accord/contracts (itself a pure leaf).
    files: ['libs/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...DEEP_IMPORTS,
            RELATIVE_INTO_OTHER_LIB,
            {
              group: ['@nestjs/*', 'typeorm', 'typeorm/*', 'bullmq', 'bullmq/*', 'ioredis', 'pg', 'pg/*', 'undici', 'undici/*'],
              message: 'libs/core is pure: no framework, database, queue or HTTP client.',
            },
            {
              group: ['@accord/*', '!@accord/contracts'],
              message: 'libs/core imports nothing from the other libs but @accord/contracts (they depend on it, not the reverse).',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests read JSON answers of the API; typing every body would add noise, not safety.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
