// The MikroORM CLI's configuration (src/config/mikro-orm.cli.ts), loaded as `npx mikro-orm` loads
// it: it refuses to load without DATABASE_URL, so a placeholder stands in when the run has none
// (the test points it at its own database with `clientUrl`).
process.env.DATABASE_URL ||= 'postgres://placeholder@127.0.0.1:1/placeholder';
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const cliConfig = (require('../../src/config/mikro-orm.cli') as typeof import('../../src/config/mikro-orm.cli')).default;
