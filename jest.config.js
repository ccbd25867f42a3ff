/**
 * Jest configuration. Kinds of tests:
 * - test/dsl: the rule language, pure functions, no database;
 * - test/unit: service pieces without a database (schema artifact and compatibility, config);
 * - test/start: `npm start` as a newcomer runs it (child process, embedded database), and how
 *   `npm run demo` refuses what it cannot do;
 * - test/api and test/security (what keeps the service safe to expose): end-to-end over HTTP, run twice: against the embedded database (PGlite) and
 *   against a real PostgreSQL server (a throwaway database per suite). The project's `globals`
 *   tell the suites which one (see test/api/helpers/test-app.ts);
 * - test/e2e: the workbench (web/, built into dist/web when stale) in Debian's Chromium driven by
 *   playwright-core, against the same service, on both databases.
 */
// Tests are transpiled file by file (isolatedModules in tsconfig.jest.json): type checking is `npm test`'s `tsc --noEmit`.
const tsJest = ["ts-jest", { tsconfig: "tsconfig.jest.json", diagnostics: false }];

const base = {
  testEnvironment: "node",
  transform: { "^.+\\.ts$": tsJest },
  moduleFileExtensions: ["ts", "js", "json"],
  setupFiles: ["reflect-metadata"],
};

const api = (database) => ({
  ...base,
  displayName: `api:${database}`,
  testMatch: ["<rootDir>/test/api/**/*.spec.ts", "<rootDir>/test/security/**/*.spec.ts"],
  globals: { QUALIFY_TEST_DATABASE: database },
});

/** The workbench in Chromium against the real service (test/e2e), on each database. */
const e2e = (database) => ({
  ...base,
  displayName: `e2e:${database}`,
  testMatch: ["<rootDir>/test/e2e/**/*.spec.ts"],
  globals: { QUALIFY_TEST_DATABASE: database },
});

/** @type {import('jest').Config} */
module.exports = {
  // API suites boot the service and a database in beforeAll (a global option: projects can't set it).
  testTimeout: 60_000,
  // Two suites at a time: most of an API suite's time is spent waiting (on the database, on HTTP,
  // on real-time sweeps and retries), so two overlap well even on two cores (jest's default is one
  // fewer worker than cores: one here).
  maxWorkers: 2,
  globalSetup: "<rootDir>/test/helpers/pglite-broker.global-setup.js",
  globalTeardown: "<rootDir>/test/helpers/pglite-broker.global-teardown.js",
  projects: [
    { ...base, displayName: "dsl", testMatch: ["<rootDir>/test/dsl/**/*.spec.ts"] },
    { ...base, displayName: "unit", testMatch: ["<rootDir>/test/unit/**/*.spec.ts"] },
    // `npm start` in a child process, on the embedded database (builds dist/ if stale).
    { ...base, displayName: "start", testMatch: ["<rootDir>/test/start/**/*.spec.ts"] },
    api("embedded"),
    api("postgres"),
    e2e("embedded"),
    e2e("postgres"),
  ],
};
