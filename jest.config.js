/** Two projects: pure unit specs next to the code, and end-to-end tests against a real
 * PostgreSQL and a real HTTP/WebSocket server: test/e2e, and the operator's console's
 * test/console (labels, generated operations, bundle size) and test/browser (headless
 * Chromium against a server on the demo data; admin/README.md). */
const tsJest = ['ts-jest', {}];
module.exports = {
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
