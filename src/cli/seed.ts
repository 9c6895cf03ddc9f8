// `npm run seed`: loads the demo programme into DATABASE_URL (or the embedded database).
import pino from 'pino';
import { loadConfig } from '../config/env';
import { exitWithFailure } from '../ops/fatal';
import { applyMigrations, openOrm, resolveDatabaseUrl } from '../db/database';
import { seedIfRequested } from '../db/seeding';

void (async () => {
  const config = loadConfig();
  const log = pino({ level: config.logLevel });
  const db = await resolveDatabaseUrl(config.databaseUrl, config.dataDir, log);
  const orm = await openOrm(db.url);
  try {
    await applyMigrations(orm);
    await seedIfRequested(orm, 'demo', db.embedded, log);
  } finally {
    await orm.close(true);
    await db.stop();
  }
})().catch((err) => exitWithFailure('npm run seed', err));
