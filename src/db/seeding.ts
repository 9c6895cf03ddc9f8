import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { DemoSeeder } from '../../seeds/DemoSeeder';

/** SEED=demo loads the demo programme; unset: only on an empty embedded database. */
export async function seedIfRequested(orm: MikroORM, seed: 'demo' | 'none' | null, embedded: boolean, log: Logger) {
  if (seed === 'none') return;
  if (seed === null) {
    if (!embedded) return;
    // An empty programme: no tier and no member (reads the tiers' and the members' tables; start-up, before any module runs).
    const [{ n }] = await orm.em.getConnection().execute('select (select count(*) from tier) + (select count(*) from member) as n');
    if (Number(n) > 0) return;
  }
  const started = Date.now();
  // Progress lines as it goes: the history takes a while on a small machine.
  await new DemoSeeder().run(orm.em.fork(), { progress: (line) => log.info(line) });
  log.info({ ms: Date.now() - started }, 'demo programme seeded');
}
