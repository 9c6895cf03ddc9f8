// `npm run db:snapshot`: writes migrations/.snapshot.json from a clean database the migrations
// built (a new database on DATABASE_URL's server, or on the embedded one), after a migration is
// added: `migration:create` diffs the entities against it.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import pino from 'pino';
import { loadConfig } from '../config/env';
import { exitWithFailure } from '../ops/fatal';
import { applyMigrations, openOrm, resolveDatabaseUrl } from '../db/database';
import { schemaSnapshot, SNAPSHOT_FILE, writeSnapshot } from '../db/schema-snapshot';

void (async () => {
  const config = loadConfig();
  const log = pino({ level: config.logLevel });
  const db = await resolveDatabaseUrl(config.databaseUrl, config.dataDir, log);
  const name = `snapshot_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: db.url });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
    const url = new URL(db.url);
    url.pathname = `/${name}`;
    const orm = await openOrm(url.toString());
    try {
      await applyMigrations(orm);
      writeSnapshot(await schemaSnapshot(orm));
      log.info({ file: SNAPSHOT_FILE }, 'schema snapshot written');
    } finally {
      await orm.close(true);
    }
  } finally {
    await admin.query(`drop database if exists "${name}"`).catch(() => undefined);
    await admin.end();
    await db.stop();
  }
})().catch((err) => exitWithFailure('npm run db:snapshot', err));
