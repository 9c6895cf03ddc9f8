import { MikroORM } from '@mikro-orm/postgresql';
import { ormConfig } from '../../src/config/mikro-orm';

/**
 * The upgrade as `npm start` runs it: the migrations the database at `databaseUrl` has not
 * recorded are applied, by the MikroORM migrator; their names, in the order they ran.
 */
export async function applyPendingMigrations(databaseUrl: string): Promise<string[]> {
  const orm = await MikroORM.init(ormConfig({ url: databaseUrl }));
  try {
    return (await orm.getMigrator().up()).map((m) => m.name);
  } finally {
    await orm.close(true);
  }
}
