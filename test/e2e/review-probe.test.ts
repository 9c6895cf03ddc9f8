import { startTestServer, type TestServer } from '../support/harness';
import { createLadder } from '../support/fixtures';
import { createServices } from '../../src/modules/services';
import type { AppEntityManager, PgConnection } from '../../src/db/entity-manager';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
  // Members enough for several pages of the member table, so that the review works through
  // several page ranges on its two lanes (none is due: every batch is a short transaction).
  await s.sql(`insert into member (id, external_id, display_name, joined_at, tier_id, tier_since, created_at, updated_at)
    select gen_random_uuid(), 'probe-' || g, repeat('x', 1500), now(), (select id from tier where code = 'BRONZE'), now(), now(), now()
    from generate_series(1, 40) g`);
});
afterAll(() => s.stop());

/** What one look of the review's probe saw: the sessions it counted as foreground work, and whose pids it left out. */
interface Look { startedAt: number; counted: number; own: number[] }

/**
 * Watches the statements on the app's pooled connections (they still go to the database as
 * sent): records each look of the foreground probe, and holds the first review batch's first
 * statement after its BEGIN until a probe has looked at the database, so that a look
 * certainly falls inside a batch's transaction.
 */
function watchPool(pool: ReturnType<AppEntityManager['pool']>) {
  const looks: Look[] = [];
  const lookedAfter = (t: number) => looks.some((l) => l.startedAt > t);
  let held: { pid: number; begunAt: number } | null = null;
  const patched = new Set<PgConnection & { query: any }>();
  const acquire = pool.acquireConnection.bind(pool);
  pool.acquireConnection = async () => {
    const connection = (await acquire()) as PgConnection & { query: any };
    if (patched.has(connection)) return connection;
    patched.add(connection);
    const query = connection.query.bind(connection);
    let begunAt: number | null = null;
    connection.query = async (...args: any[]) => {
      if (typeof args[0] !== 'string' || typeof args.at(-1) === 'function') return query(...args); // knex's own calls
      const [text, values] = args as [string, unknown[]];
      if (begunAt !== null) {
        const since = begunAt;
        begunAt = null;
        // Until a look that started after this BEGIN has ended (a safety bound: no look fails the test below).
        for (const deadline = Date.now() + 10_000; !lookedAfter(since) && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 10));
      }
      const startedAt = performance.now();
      const result = await query(text, values);
      if (text === 'begin' && held === null) {
        held = { pid: connection.processID!, begunAt: performance.now() };
        begunAt = held.begunAt;
      }
      if (text.includes('from pg_stat_activity') && text.includes('application_name <>')) {
        looks.push({ startedAt, counted: result.rows[0].n, own: String(values[1]).replace(/[{}]/g, '').split(',').filter(Boolean).map(Number) });
      }
      return result;
    };
    return connection;
  };
  return {
    looks, held: () => held,
    restore() {
      pool.acquireConnection = acquire;
      for (const c of patched) delete c.query;
    },
  };
}

describe('the review\'s foreground probe', () => {
  it('never counts a batch of its own, not even right after the batch\'s BEGIN', async () => {
    // One batch at a time while idle, so the second lane waits for its turn and its probe looks
    // at the database every 100 ms while the first lane's batch is inside its transaction.
    const { idle, busy } = s.app.settings.tiers.reviewPace;
    const reviewPace = { idle: { ...idle, lanes: 1 }, busy: { ...busy, lanes: 2, pause: 0 } };
    const settings = { ...s.app.settings, tiers: { ...s.app.settings.tiers, reviewPace } };
    const em = s.app.orm.em.fork() as unknown as AppEntityManager;
    const watch = watchPool(em.pool());
    try {
      const result = await createServices(s.app.orm.em.fork(), settings).tierEngine.review(new Date('2030-01-01T00:00:00.000Z'), 2);
      const held = watch.held();
      expect(held).not.toBeNull();
      const inside = watch.looks.filter((l) => l.startedAt > held!.begunAt);
      expect(inside.length).toBeGreaterThan(0); // else the window was never looked at
      // The look inside the batch's transaction left the batch's session out, and saw nothing else.
      expect({ own: inside[0].own.includes(held!.pid), counted: inside[0].counted }).toEqual({ own: true, counted: 0 });
      expect(result.batches.busy).toBe(0);
    } finally {
      watch.restore();
    }
  });
});
