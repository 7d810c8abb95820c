// The module boundaries of DESIGN §1 and STYLE habits 1-2, checked by dependency-cruiser (`npm run lint`).
// Paths are relative to the workspace root; `@cm/<package>` resolves to `<package>/src/index.ts` through
// tsconfig.lint.json, so the rules hold before anything is built. Type-only imports count too.

/** Packages that run as processes: they meet only in @cm/contracts and share @cm/platform. */
const SERVICES = '(command-service|query-service|rules-service|scheduler-service|realtime-gateway)';
/** Every workspace package directory. */
const PACKAGES = `(contracts|platform|${SERVICES.slice(1, -1)}|infra|e2e|testkit|lint)`;
const TEST_FILE = '\\.(spec|test-util)\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'relative-import-leaves-package',
      comment:
        'A relative import never leaves its package: import the other package by name (@cm/contracts, @cm/platform).',
      severity: 'error',
      from: { path: `^${PACKAGES}/` },
      // `@cm/<package>` resolves through tsconfig paths, which dependency-cruiser also types `local`.
      to: { dependencyTypes: ['local'], dependencyTypesNot: ['aliased-tsconfig'], pathNot: '^$1/' },
    },
    {
      name: 'services-meet-in-contracts',
      comment:
        'A service (its adapters included) never imports another service, nor infra or e2e: services meet in ' +
        '@cm/contracts and share @cm/platform; infra and e2e run them as processes.',
      severity: 'error',
      from: { path: `^${SERVICES}/` },
      to: { path: `^(${SERVICES.slice(1, -1)}|infra|e2e|lint)/`, pathNot: '^$1/' },
    },
    {
      name: 'contracts-imports-only-zod',
      comment:
        '@cm/contracts is the vocabulary: schemas and pure builders, nothing that does I/O; it imports only zod.',
      severity: 'error',
      from: { path: '^contracts/', pathNot: TEST_FILE },
      to: { pathNot: '^contracts/|(^|/)node_modules/zod/' },
    },
    {
      name: 'contracts-tests-import-only-zod-and-vitest',
      comment: 'The tests of @cm/contracts may also use the test runner.',
      severity: 'error',
      from: { path: `^contracts/.*${TEST_FILE}` },
      to: { pathNot: '^contracts/|(^|/)node_modules/(zod|vitest|@vitest)/' },
    },
    {
      name: 'platform-imports-only-contracts',
      comment: '@cm/platform is shared by every service: of the workspace it may import only @cm/contracts.',
      severity: 'error',
      from: { path: '^platform/' },
      to: { path: `^${PACKAGES}/`, pathNot: '^(platform|contracts)/' },
    },
    {
      name: 'infra-runs-services-as-processes',
      comment: 'infra starts services as processes (the launcher) and never imports them, nor the tests.',
      severity: 'error',
      from: { path: '^infra/' },
      to: { path: `^(${SERVICES.slice(1, -1)}|e2e|testkit|lint)/` },
    },
    {
      name: 'e2e-uses-the-launcher',
      comment: 'The whole-system tests start the system with the launcher of @cm/infra and never import a service.',
      severity: 'error',
      from: { path: '^e2e/' },
      to: { path: `^(${SERVICES.slice(1, -1)}|lint)/` },
    },
    {
      name: 'deciders-import-only-contracts',
      comment:
        'Deciders are pure (STYLE habit 1): command-service/src/domain imports only @cm/contracts and other domain ' +
        'files; no Nest, no NATS, no platform, no I/O.',
      severity: 'error',
      from: { path: '^command-service/src/domain/', pathNot: TEST_FILE },
      to: { pathNot: '^(command-service/src/domain/|contracts/)' },
    },
    {
      name: 'decider-tests-import-only-contracts-and-vitest',
      comment: 'The given/when/then tests of the deciders stay pure too.',
      severity: 'error',
      from: { path: `^command-service/src/domain/.*${TEST_FILE}` },
      to: { pathNot: '^(command-service/src/domain/|contracts/)|(^|/)node_modules/(vitest|@vitest)/' },
    },
    {
      name: 'testkit-only-in-tests',
      comment: '@cm/testkit is test-only: only *.spec.ts and *.test-util.ts files import it.',
      severity: 'error',
      from: { pathNot: `(^testkit/|${TEST_FILE})` },
      to: { path: '^testkit/' },
    },
    {
      name: 'testkit-imports-no-service',
      comment: 'The test kit runs services as processes, like the launcher it builds on.',
      severity: 'error',
      from: { path: '^testkit/' },
      to: { path: `^(${SERVICES.slice(1, -1)}|e2e|lint)/` },
    },
    {
      name: 'no-unresolvable-import',
      comment:
        "An import that does not resolve: a typo, a missing dependency, or a path into another package's internals " +
        '(`@cm/platform/dist/...`) that its exports do not offer; import the package itself.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.lint.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    moduleSystems: ['es6', 'cjs'],
    skipAnalysisNotInRules: true,
  },
};
