import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSchema, type MikroORM } from '@mikro-orm/postgresql';

/**
 * The schema snapshot `migration:create` diffs the entities against (migrations/.snapshot.json):
 * the schema of a database the migrations built, as MikroORM's migrator writes it. Written by
 * `npm run db:snapshot` from a clean database after a migration is added, and held to the
 * migrations by test/e2e/schema-snapshot.test.ts; the server and tests never write it (a
 * migrator with `snapshot: true` would rewrite it from whatever database it migrated, a
 * benchmark's extra tables included).
 */
export const SNAPSHOT_FILE = join(__dirname, '../../migrations/.snapshot.json');

/** The snapshot of the database `orm` is connected to, as the text the migrator would write. */
export async function schemaSnapshot(orm: MikroORM): Promise<string> {
  // Without the tables the schema generator skips (scratch and staging tables no entity maps):
  // in the snapshot, migration:create read them as tables to drop, in every migration it wrote.
  const skipTables = orm.config.get('schemaGenerator').skipTables;
  const schema = await DatabaseSchema.create(orm.em.getConnection(), orm.em.getPlatform(), orm.config, undefined, undefined, undefined, skipTables);
  return `${JSON.stringify(schema, null, 2)}\n`;
}

export function committedSnapshot(): string {
  return readFileSync(SNAPSHOT_FILE, 'utf8');
}

export function writeSnapshot(text: string): void {
  writeFileSync(SNAPSHOT_FILE, text);
}
