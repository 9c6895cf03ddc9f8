// `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded database).
import pino from 'pino';
import { loadConfig } from '../config/env';
import { exitWithFailure } from '../ops/fatal';
import { applyMigrations, openOrm, resolveDatabaseUrl } from '../db/database';

void (async () => {
  const config = loadConfig();
  const log = pino({ level: config.logLevel });
  const db = await resolveDatabaseUrl(config.databaseUrl, config.dataDir, log);
  const orm = await openOrm(db.url);
  try {
    const applied = await applyMigrations(orm);
    log.info({ applied }, applied.length ? 'migrations applied' : 'no pending migrations');
  } finally {
    await orm.close(true);
    await db.stop();
  }
})().catch((err) => exitWithFailure('npm run migrate', err));
