/** Two projects: pure unit specs next to the code, and end-to-end tests against a real
 * PostgreSQL and a real HTTP/WebSocket server: test/e2e, and the operator's console's
 * test/console (labels, generated operations, bundle size) and test/browser (headless
 * Chromium against a server on the demo data; admin/README.md). */
const { availableParallelism } = require('node:os');
const tsJest = ['ts-jest', {}];
module.exports = {
  // Two test files at once at least: Jest's default (one worker per CPU but one) would run them
  // one by one on a 2-core machine, where the suite spends much of its time waiting (servers and
  // PostgreSQL starting, Chromium, receivers' time limits) rather than computing. Each file has
  // its own database (test/support/harness.ts) and builds the console under a lock, so files
  // never share state. On 2 cores: 877 s against about 1,250 s one by one.
  maxWorkers: Math.max(2, availableParallelism() - 1),
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      roots: ['<rootDir>/src'],
      testMatch: ['**/*.spec.ts'],
      transform: { '^.+\\.ts$': tsJest },
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      transform: { '^.+\\.ts$': tsJest },
      globalSetup: '<rootDir>/test/support/global-setup.mjs',
      globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
      setupFiles: ['reflect-metadata'],
    },
  ],
  testTimeout: 60000,
};
