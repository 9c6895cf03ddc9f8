import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { DemoSeeder } from '../../seeds/DemoSeeder';
import { applyMigrations } from './database';

/** What the demo's loader is given, and what it says back: `loadedBefore` when the demo was there already and it loaded nothing. */
export interface SeedContext { progress: (line: string) => void; loadedBefore?: boolean }
/** What loads the demo programme (DemoSeeder; a test passes its own). */
export interface Seeder { run(em: EntityManager, context: SeedContext): Promise<void> }

/**
 * Present while the demo a first start loads (SEED unset, an empty embedded database) is
 * loading: created before its first row, dropped after its last. A start stopped in the middle
 * (Ctrl-C during the minute the first start takes) leaves it behind, and the next start knows
 * that what it finds is a part of the demo, not a programme. Only that load makes it: a
 * database it marks held nothing before the demo began.
 */
const LOADING = 'demo_loading';

/**
 * SEED=demo loads the demo programme; unset: only on an empty embedded database, or on one
 * whose first demo did not finish loading (LOADING left behind): that one is emptied (its
 * schema dropped and migrated again: it holds nothing but the part of the demo loaded before
 * the stop) and the demo loaded from the start, by a start with SEED unset or `demo`. Before,
 * the next start found members, took the database for a programme, and served a demo cut off
 * in the month it was stopped in. SEED=none keeps such a database as it is, from then on (the
 * mark goes: what an operator builds on it is never emptied by a later start).
 */
export async function seedIfRequested(orm: MikroORM, seed: 'demo' | 'none' | null, embedded: boolean, log: Logger, seeder: Seeder = new DemoSeeder()) {
  const db = orm.em.getConnection();
  const [{ cutOff }] = await db.execute<{ cutOff: boolean }[]>('select to_regclass(?) is not null as "cutOff"', [LOADING]);
  if (cutOff && embedded && seed === 'none') {
    log.warn('the demo data did not finish loading the last time: SEED=none keeps that part as it is, from now on (later starts take it for a programme of your own and never empty it; for a fresh demo, stop the server and delete the data folder)');
    await db.execute(`drop table ${LOADING}`);
    return;
  }
  if (seed === 'none') return;
  let first = false;
  if (cutOff && embedded) {
    log.warn('the demo data did not finish loading the last time (the start was stopped): loading it again from the start');
    await db.execute('drop schema public cascade');
    await db.execute('create schema public');
    await applyMigrations(orm);
    first = true;
  } else if (seed === null) {
    if (!embedded) return;
    // An empty programme: no tier and no member (reads the tiers' and the members' tables; start-up, before any module runs).
    const [{ n }] = await db.execute('select (select count(*) from tier) + (select count(*) from member) as n');
    if (Number(n) > 0) return;
    first = true;
  }
  if (first) await db.execute(`create table ${LOADING} (started_at timestamptz not null default now())`);
  const started = Date.now();
  // Progress lines as it goes: the history takes a while on a small machine.
  const context: SeedContext = { progress: (line) => log.info(line) };
  await seeder.run(orm.em.fork(), context);
  if (first) await db.execute(`drop table ${LOADING}`);
  // `npm run seed` on a database that has the demo said "seeded" and loaded nothing.
  if (context.loadedBefore) log.info('the demo programme is loaded already: nothing loaded (a fresh demo needs an empty database: with the embedded one, the server stopped and its data folder deleted)');
  else log.info({ ms: Date.now() - started }, 'demo programme seeded');
}
