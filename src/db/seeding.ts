import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { DemoSeeder } from '../../seeds/DemoSeeder';
import { applyMigrations } from './database';

/** What loads the demo programme (DemoSeeder; a test passes its own). */
export interface Seeder { run(em: EntityManager, context: { progress: (line: string) => void }): Promise<void> }

/**
 * Present while the demo loads (created before its first row, dropped after its last): a start
 * stopped in the middle (Ctrl-C during the minute the first start takes) leaves it behind, and
 * the next start knows that the programme it finds is a part of the demo, not a programme.
 */
const LOADING = 'demo_loading';

/**
 * SEED=demo loads the demo programme; unset: only on an empty embedded database, or on one
 * whose demo did not finish loading (LOADING left behind): that one is emptied (its schema
 * dropped and migrated again: it holds nothing but the part of the demo loaded before the
 * stop) and the demo loaded from the start. Before, the next start found members, took the
 * database for a programme, and served a demo cut off in the month it was stopped in.
 */
export async function seedIfRequested(orm: MikroORM, seed: 'demo' | 'none' | null, embedded: boolean, log: Logger, seeder: Seeder = new DemoSeeder()) {
  if (seed === 'none') return;
  const db = orm.em.getConnection();
  if (seed === null) {
    if (!embedded) return;
    const [{ loading }] = await db.execute<{ loading: boolean }[]>('select to_regclass(?) is not null as loading', [LOADING]);
    if (loading) {
      log.warn('the demo data did not finish loading the last time (the start was stopped): loading it again from the start');
      await db.execute('drop schema public cascade');
      await db.execute('create schema public');
      await applyMigrations(orm);
    } else {
      // An empty programme: no tier and no member (reads the tiers' and the members' tables; start-up, before any module runs).
      const [{ n }] = await db.execute('select (select count(*) from tier) + (select count(*) from member) as n');
      if (Number(n) > 0) return;
    }
  }
  await db.execute(`create table if not exists ${LOADING} (started_at timestamptz not null default now())`);
  const started = Date.now();
  // Progress lines as it goes: the history takes a while on a small machine.
  await seeder.run(orm.em.fork(), { progress: (line) => log.info(line) });
  await db.execute(`drop table ${LOADING}`);
  log.info({ ms: Date.now() - started }, 'demo programme seeded');
}
