// A first start stopped while the demo loads (Ctrl-C in the minute it takes) left a part of the
// demo that every later start served as the programme. Now the next start finds the demo's
// "loading" mark, empties the database and loads the demo from the start
// (src/db/seeding.ts). A seeder of the test's own stands in for the demo (the real one takes a
// minute): it writes through the database as the demo does, and the first one stops half way.
import pino from 'pino';
import type { EntityManager } from '@mikro-orm/postgresql';
import { applyMigrations, openOrm } from '../../src/db/database';
import { seedIfRequested, type Seeder } from '../../src/db/seeding';
import { createTestDatabase } from '../support/harness';
import { DemoSeeder } from '../../seeds/DemoSeeder';
import { TOUR_MEMBER } from '../../seeds/demo-history';

const log = pino({ level: 'silent' });

/** Writes `rows` tiers (a stand-in programme), failing after `stopAfter` of them when it is set. */
const seeder = (rows: number, stopAfter?: number): Seeder => ({
  async run(em: EntityManager) {
    for (let i = 0; i < rows; i++) {
      if (stopAfter != null && i === stopAfter) throw new Error('stopped while loading');
      await em.getConnection().execute(
        `insert into tier (id, code, name, rank, qualifying_points, retain_points, points_multiplier, created_at, updated_at)
         values (gen_random_uuid(), ?, ?, ?, ?, ?, 1, now(), now())`, [`T${i}`, `Tier ${i}`, i, i * 100, i * 100]);
    }
  },
});

/** Runs `test` on a database of its own, migrated as a start leaves it, closed afterwards. */
async function onMigratedDatabase(test: (orm: Awaited<ReturnType<typeof openOrm>>) => Promise<void>): Promise<void> {
  const orm = await openOrm(await createTestDatabase('seed'));
  try {
    await applyMigrations(orm);
    await test(orm);
  } finally {
    await orm.close(true);
  }
}

const tiersOf = (orm: Awaited<ReturnType<typeof openOrm>>) => async () =>
  (await orm.em.getConnection().execute<{ n: string }[]>('select count(*) as n from tier'))[0].n;
const markOf = (orm: Awaited<ReturnType<typeof openOrm>>) => async () =>
  (await orm.em.getConnection().execute<{ mark: boolean }[]>(`select to_regclass('demo_loading') is not null as mark`))[0].mark;

it('a start after one stopped while the demo loaded empties the database and loads the demo again; a finished demo is left alone', () => onMigratedDatabase(async (orm) => {
  const tiers = tiersOf(orm);
  await expect(seedIfRequested(orm, null, true, log, seeder(4, 2))).rejects.toThrow('stopped while loading');
  expect(await tiers()).toBe('2'); // a part of it, and the mark
  await seedIfRequested(orm, null, true, log, seeder(4));
  expect(await tiers()).toBe('4'); // all of it, once: the part before was removed first
  const [{ migrated }] = await orm.em.getConnection().execute<{ migrated: string }[]>('select count(*) as migrated from mikro_orm_migrations');
  expect(Number(migrated)).toBeGreaterThan(60);
  expect(await markOf(orm)()).toBe(false);
  // Loaded: the next start finds a programme and loads nothing.
  await seedIfRequested(orm, null, true, log, seeder(9));
  expect(await tiers()).toBe('4');
}));

it('npm run seed (SEED=demo) after a stopped first start loads the whole demo too, not the part', () => onMigratedDatabase(async (orm) => {
  await expect(seedIfRequested(orm, null, true, log, seeder(4, 1))).rejects.toThrow('stopped while loading');
  await seedIfRequested(orm, 'demo', true, log, seeder(4));
  expect(await tiersOf(orm)()).toBe('4');
  expect(await markOf(orm)()).toBe(false);
}));

it('never empties what an operator built: SEED=none keeps a cut-off demo (and forgets it was one); a demo loaded on a programme and stopped leaves no mark', () => onMigratedDatabase(async (orm) => {
  const tiers = tiersOf(orm);
  await expect(seedIfRequested(orm, null, true, log, seeder(4, 2))).rejects.toThrow('stopped while loading');
  await seedIfRequested(orm, 'none', true, log, seeder(9));
  expect([await tiers(), await markOf(orm)()]).toEqual(['2', false]);
  // The operator builds on it; later starts without SEED leave it.
  await orm.em.getConnection().execute(`insert into tier (id, code, name, rank, qualifying_points, retain_points, points_multiplier, created_at, updated_at)
    values (gen_random_uuid(), 'OWN', 'Own', 2, 500, 500, 1, now(), now())`);
  await seedIfRequested(orm, null, true, log, seeder(9));
  expect(await tiers()).toBe('3');
  // npm run seed on that programme, stopped: no mark, so the next start empties nothing.
  await expect(seedIfRequested(orm, 'demo', true, log, seeder(20, 0))).rejects.toThrow('stopped while loading');
  expect(await markOf(orm)()).toBe(false);
  await seedIfRequested(orm, null, true, log, seeder(9));
  expect(await tiers()).toBe('3');
}));

it('a database of the operator\'s own (DATABASE_URL) is never emptied', () => onMigratedDatabase(async (orm) => {
  await seeder(2).run(orm.em.fork(), { progress: () => {} });
  await orm.em.getConnection().execute('create table demo_loading (started_at timestamptz)');
  await seedIfRequested(orm, null, false, log, seeder(9));
  await seedIfRequested(orm, 'demo', false, log, seeder(0));
  expect(await tiersOf(orm)()).toBe('2');
}));

it('npm run seed on a database that has the demo says it loaded nothing (it said "demo programme seeded")', () => onMigratedDatabase(async (orm) => {
  const lines: string[] = [];
  const recording = pino({ level: 'info' }, { write: (line: string) => void lines.push((JSON.parse(line) as { msg: string }).msg) });
  // The demo seeder's answer when its members are there already.
  const loadedBefore: Seeder = { run: async (_em, context) => { context.loadedBefore = true; } };
  await seedIfRequested(orm, 'demo', true, recording, loadedBefore);
  expect(lines).toEqual([expect.stringMatching(/^the demo programme is loaded already: nothing loaded/)]);
  lines.length = 0;
  await seedIfRequested(orm, 'demo', true, recording, seeder(2));
  expect(lines).toEqual(['demo programme seeded']);
}));

it("the demo seeder on a database that holds the demo's tour member writes nothing and says it loaded nothing", () => onMigratedDatabase(async (orm) => {
  const sql = orm.em.getConnection();
  await sql.execute(`insert into tier (id, code, name, rank, qualifying_points, retain_points, points_multiplier, created_at, updated_at)
    values (gen_random_uuid(), 'BRONZE', 'An operator''s name', 0, 0, 0, 1, now(), now())`);
  const [bronze] = await sql.execute<{ id: string }[]>(`select id from tier where code = 'BRONZE'`);
  await sql.execute(`insert into member (id, external_id, display_name, tier_id, tier_since, joined_at, created_at, updated_at)
    values (gen_random_uuid(), ?, 'Tour', ?, now(), now(), now(), now())`, [TOUR_MEMBER, bronze.id]);
  const context: { progress: (l: string) => void; loadedBefore?: boolean } = { progress: () => {} };
  await new DemoSeeder().run(orm.em.fork(), context);
  expect(context.loadedBefore).toBe(true);
  expect(await sql.execute(`select code, name from tier order by rank`)).toEqual([{ code: 'BRONZE', name: "An operator's name" }]);
  expect(await sql.execute('select 1 from activity_rule')).toEqual([]);
}));
