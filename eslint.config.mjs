// ESLint 9 flat config, typescript-eslint 8 with type information.
import js from '@eslint/js';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { defineConfig } from 'eslint/config';
import boundaries from 'eslint-plugin-boundaries';
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

// Tracing off loads no OpenTelemetry code: only libs/tracing imports it, and
// the coordinator requires that lib only when an OTLP endpoint is configured
// (apps/coordinator/instrument.ts). Its libs name the engine's Tracing port.
const NO_OPENTELEMETRY = {
  group: ['@opentelemetry/*'],
  message: 'Only libs/tracing imports OpenTelemetry (loaded only when tracing is on); use the engine\'s Tracing port.',
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
      'no-restricted-imports': ['error', { patterns: [...DEEP_IMPORTS, onlyModules(allowed, message)] }],
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

/** The units of the tree, and the arrows allowed between them. Inside a unit
 * files import each other by relative path; across units only through the
 * `@accord/<name>` aliases (tsconfig.json "paths", jest's moduleNameMapper),
 * so a unit can move or be packed without its neighbours noticing. The
 * layering: the packages users install import only @accord/contracts, never
 * a lib or an app; libs/core only @accord/contracts; each lib only the libs
 * below it (adapters such as telemetry implement the engine's ports, so they
 * sit above it); the coordinator wires the libs; the tests may use anything
 * but an app (they start the built coordinator as a process). */
const ARROWS = {
  'packages/contracts': [],
  'packages/client': ['packages/contracts'],
  'packages/participant': ['packages/contracts'],
  'packages/conformance': ['packages/contracts'],
  'libs/core': ['packages/contracts'],
  'libs/config': ['packages/contracts', 'libs/core'],
  'libs/transport': ['packages/contracts', 'libs/core', 'libs/config'],
  migrations: ['packages/contracts'],
  'libs/persistence': ['packages/contracts', 'libs/core', 'libs/config', 'migrations'],
  'libs/dispatch': ['packages/contracts', 'libs/core', 'libs/config', 'libs/persistence'],
  'libs/engine': ['packages/contracts', 'libs/core', 'libs/config', 'libs/persistence', 'libs/dispatch', 'libs/transport'],
  'libs/telemetry': ['packages/contracts', 'libs/core', 'libs/config', 'libs/persistence', 'libs/engine'],
  'libs/api': ['packages/contracts', 'libs/core', 'libs/config', 'libs/persistence', 'libs/engine', 'libs/telemetry'],
  // OpenTelemetry's side of the engine's Tracing port, loaded only when tracing is on.
  'libs/tracing': ['packages/contracts', 'libs/config', 'libs/engine'],
  'apps/coordinator': [
    'packages/contracts',
    'libs/core',
    'libs/config',
    'libs/transport',
    'libs/persistence',
    'libs/dispatch',
    'libs/engine',
    'libs/telemetry',
    'libs/tracing',
    'libs/api',
  ],
  'apps/console': ['packages/contracts'],
  // The demo shop uses the packages as a shop outside the repository would.
  'apps/demo': ['packages/client', 'packages/participant'],
  test: ['packages/*', 'libs/*', 'migrations'],
};
/** What libs/core may import from outside the tree: pure libraries only
 * (no Node built-in, no I/O package); fast-check for its property tests. */
const CORE_EXTERNALS = ['zod', 'ipaddr.js'];
const CORE_TEST_EXTERNALS = ['fast-check'];

// Every unit on disk must have its arrows written down: a new lib without an
// entry above fails the lint instead of importing whatever it likes.
const UNITS_ON_DISK = ['libs', 'packages', 'apps'].flatMap((group) =>
  readdirSync(new URL(`./${group}`, import.meta.url), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `${group}/${entry.name}`),
);
const UNDRAWN = UNITS_ON_DISK.filter((unit) => !(unit in ARROWS));
if (UNDRAWN.length > 0) throw new Error(`eslint.config.mjs: draw the arrows of ${UNDRAWN.join(', ')} in ARROWS`);

const unitSelector = (unit) => ({ element: { type: unit } });
const BOUNDARY_SETTINGS = {
  'boundaries/elements': Object.keys(ARROWS).map((unit) => ({ type: unit, pattern: unit, partialMatch: false })),
  'boundaries/include': TS_FILES,
  'import/resolver': {
    typescript: { project: ['tsconfig.json', 'apps/console/tsconfig.app.json', 'apps/console/tsconfig.node.json'], noWarnOnMultipleProjects: true },
  },
};
function boundaryPolicies() {
  return [
    // Anything outside the tree (npm packages, Node built-ins) is each unit's
    // own business (packages: their package.json, see above), except in core.
    { from: { element: { type: '!libs/core' } }, allow: { to: { module: { origin: ['external', 'core'] } } } },
    { from: unitSelector('libs/core'), allow: { to: { module: { origin: 'external', source: CORE_EXTERNALS } } } },
    {
      from: { element: { type: 'libs/core' }, file: { path: ['**/*.spec.ts', 'libs/core/spec-kit/**'] } },
      allow: { to: { module: { origin: 'external', source: CORE_TEST_EXTERNALS } } },
    },
    // Across units, the arrows (inside a unit the rule checks nothing).
    ...Object.entries(ARROWS).map(([unit, targets]) => ({ from: unitSelector(unit), allow: { to: { element: { type: targets } } } })),
    // Last, so no arrow above can allow it.
    {
      disallow: { to: { module: { origin: 'local' } }, dependency: { source: '!@accord/**' } },
      message:
        'A relative import may not leave its unit (a lib, a package, an app, test, migrations): import the other unit by its @accord/<name> alias.',
    },
  ];
}

const CORE_PURE = 'libs/core is pure: the clock and the randomness come in through Clock (now, random()), the configuration as arguments.';
const CORE_FORBIDDEN_GLOBALS = ['process', 'Date', 'performance', 'crypto', 'setTimeout', 'setInterval', 'setImmediate'].map((name) => ({
  name,
  message: CORE_PURE,
}));

export default defineConfig(
  {
    ignores: [
      'dist/**',
      // The test support's build (tsconfig.test-support.json), its comments included.
      'dist-test/**',
      'packages/*/dist/**',
      'node_modules/**',
      'coverage/**',
      '.accord/**',
      'deploy/**',
      'scripts/*.mjs',
      'jest.config.js',
      'eslint.config.mjs',
      // Forbidden on purpose; linted by test/lint/import-rules.test.ts.
      'test/lint/fixtures/**',
    ],
  },
  {
    files: TS_FILES,
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
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
      // A default case does not cover a union: a new phase or status without
      // its own case fails here instead of falling into someone's default.
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
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
    ignores: ['**/*.spec.ts', 'libs/tracing/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...DEEP_IMPORTS, NO_OPENTELEMETRY] }] },
  },
  ...packageImportRules(),
  {
    files: ['apps/console/src/**/*.ts', 'apps/console/src/**/*.tsx'],
    ignores: ['**/*.spec.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...DEEP_IMPORTS, CONSOLE_IMPORTS] }] },
  },
  {
    files: TS_FILES,
    plugins: { boundaries },
    settings: BOUNDARY_SETTINGS,
    rules: {
      'boundaries/dependencies': [
        'error',
        // Node built-ins and npm packages too (checkAllOrigins), and relative
        // imports of a file that belongs to no unit (checkUnknownLocals).
        { default: 'disallow', checkAllOrigins: true, checkUnknownLocals: true, policies: boundaryPolicies() },
      ],
    },
  },
  {
    // The domain core decides from what it is given: the clock and the
    // randomness come in through `Clock`, the configuration as arguments.
    files: ['libs/core/**/*.ts'],
    ignores: ['**/*.spec.ts', 'libs/core/spec-kit/**'],
    rules: {
      'no-restricted-globals': ['error', ...CORE_FORBIDDEN_GLOBALS],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: CORE_PURE }],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date']", message: CORE_PURE }],
    },
  },
  {
    // Tests read JSON answers of the API; typing every body would add noise, not safety.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The tests themselves (and the spec kits, which assert for them) read
    // JSON answers (the API's, a participant's, a log line's) whose shape
    // their own assertions check, and jest types its asymmetric matchers
    // (expect.any(), expect.objectContaining()) as any: the no-unsafe-* rules
    // would only ask for a cast per body. The other helpers in test/support
    // and the bench stay checked (they type the answers they read by the
    // route table, ResponseOf), and so does every other type-checked rule.
    files: ['test/**/*.test.ts', '**/*.spec.ts', '**/*.spec-kit.ts', 'libs/core/spec-kit/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
