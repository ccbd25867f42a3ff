/**
 * Jest configuration. Two kinds of tests:
 * - test/dsl: the rule language, pure functions, no database;
 * - test/api: end-to-end over HTTP (added by the service).
 */
const tsJest = ["ts-jest", { tsconfig: "tsconfig.json", isolatedModules: true, diagnostics: false }];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  transform: { "^.+\\.ts$": tsJest },
  moduleFileExtensions: ["ts", "js", "json"],
  testMatch: ["<rootDir>/test/**/*.spec.ts"],
  setupFiles: ["reflect-metadata"],
};
