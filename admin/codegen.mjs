// @ts-check
// GraphQL Code Generator: typed documents for every graphql(`…`) in src/ from the server's
// emitted schema. `npm run codegen -w admin` writes src/gql/ (committed); a test
// (test/console/codegen.test.ts) generates into a temporary folder and fails on any difference.
// CODEGEN_OUT overrides the output folder (the test's).
const out = process.env.CODEGEN_OUT ?? './src/gql/';

/** @type {import('@graphql-codegen/cli').CodegenConfig} */
const config = {
  schema: '../schema/schema.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**/*'],
  ignoreNoDocuments: false,
  generates: {
    [out]: {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', SafeInt: 'number' },
        skipTypename: true,
      },
    },
  },
  silent: true,
};
export default config;
