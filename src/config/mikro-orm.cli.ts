// Used by the MikroORM CLI (`npx mikro-orm migration:create`), which needs DATABASE_URL.
import { ormConfig } from './mikro-orm';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('The MikroORM CLI needs DATABASE_URL');
const config = ormConfig({ url });
// The CLI writes new migration files; it must not take the list from migrations/index.ts, and
// it keeps the schema snapshot (migrations/.snapshot.json) that migration:create diffs against.
// Its migrations are the Migration*.ts files (not index.ts, the list the server reads, which
// `migration:pending` listed as a migration named "index").
export default { ...config, migrations: { ...config.migrations, migrationsList: undefined, snapshot: true, glob: 'Migration*.{js,ts}' } };
