import { afterCommit, inSharedSnapshot, inSqlTransaction } from '../../src/db/transaction';
import { Tier } from '../../src/modules/tiers/tier.entity';
import { startTestServer, type TestServer } from '../support/harness';

let s: TestServer;
beforeAll(async () => { s = await startTestServer(); });
afterAll(() => s.stop());

// inSqlTransaction runs BEGIN/COMMIT on a pooled connection itself (the hot write paths use it).
describe('SQL-only transactions', () => {
  const em = () => s.app.orm.em.fork();

  it('commits, then runs the after-commit hooks', async () => {
    const seen: string[] = [];
    await inSqlTransaction(em(), async (tx) => {
      await tx.execute(`insert into outbox (topic, payload, created_at) values ('TX_TEST', '{"n":1}', now())`);
      afterCommit(tx, async () => seen.push('hook'));
      // Inside the transaction, its own write is visible; outside it, not yet.
      expect(await tx.execute(`select 1 from outbox where topic = 'TX_TEST'`)).toHaveLength(1);
      expect(await s.sql(`select 1 from outbox where topic = 'TX_TEST'`)).toHaveLength(0);
    });
    expect(seen).toEqual(['hook']);
    expect(await s.sql(`select 1 from outbox where topic = 'TX_TEST'`)).toHaveLength(1);
  });

  it('rolls back on error, runs no hook, and leaves the pool usable', async () => {
    const seen: string[] = [];
    await expect(inSqlTransaction(em(), async (tx) => {
      await tx.execute(`insert into outbox (topic, payload, created_at) values ('TX_ROLLBACK', '{}', now())`);
      afterCommit(tx, async () => seen.push('hook'));
      await tx.execute('select 1/0');
    })).rejects.toThrow(/division by zero/);
    expect(seen).toEqual([]);
    expect(await s.sql(`select 1 from outbox where topic = 'TX_ROLLBACK'`)).toHaveLength(0);
    // Every connection went back to the pool outside a transaction.
    const results = await Promise.all(Array.from({ length: 30 }, () => em().execute('select txid_current_if_assigned() as x')));
    expect(results.every((r) => (r as { x: unknown }[])[0].x === null)).toBe(true);
  });

  it('refuses entity operations, which would run outside the transaction', async () => {
    await expect(inSqlTransaction(em(), (tx) => tx.find(Tier, {}))).rejects.toThrow(/Only raw SQL/);
  });

  it('retries a deadlock as inTransaction does', async () => {
    await s.sql(`create table if not exists tx_test (id int primary key, n int not null)`);
    await s.sql(`insert into tx_test values (1, 0), (2, 0) on conflict (id) do update set n = 0`);
    // Two transactions lock the rows in opposite orders; PostgreSQL kills one (40P01), which is retried.
    // Each takes its second row only once both hold their first (not after a sleep that a slow
    // machine may outlast): the deadlock is certain, and a retry finds the barrier open.
    let holding = 0;
    let bothHold!: () => void;
    const barrier = new Promise<void>((r) => (bothHold = r));
    let attempts = 0;
    const cross = (first: number, second: number) => inSqlTransaction(em(), async (tx) => {
      attempts++;
      await tx.execute('update tx_test set n = n + 1 where id = ?', [first]);
      if (++holding === 2) bothHold();
      await barrier;
      await tx.execute('update tx_test set n = n + 1 where id = ?', [second]);
    });
    await Promise.all([cross(1, 2), cross(2, 1)]);
    expect(attempts).toBe(3); // one of them was retried, once
    expect(await s.sql('select id, n from tx_test order by id')).toEqual([{ id: 1, n: 2 }, { id: 2, n: 2 }]);
  });
});

// inSharedSnapshot: a read split into parts, each on its own connection, all in one snapshot (the campaign report's).
describe('reads in a shared snapshot', () => {
  const em = () => s.app.orm.em.fork();

  it('runs the parts on connections of their own at once, and every part sees one snapshot: not a write committed between them', async () => {
    await s.sql(`create table if not exists snap_test (id int primary key)`);
    await s.sql(`truncate snap_test`);
    await s.sql(`insert into snap_test values (1)`);
    let started = 0;
    let bothStarted!: () => void;
    const together = new Promise<void>((r) => (bothStarted = r));
    let firstRead!: () => void;
    const afterFirstRead = new Promise<void>((r) => (firstRead = r));
    const results = await inSharedSnapshot(em(), 2, async (tx, part) => {
      if (++started === 2) bothStarted();
      await together; // both parts at once: two connections
      if (part === 0) {
        const [{ pid }] = await tx.execute<{ pid: number }[]>('select pg_backend_pid() as pid');
        const rows = await tx.execute<{ id: number }[]>('select id from snap_test order by id');
        // A write commits after the snapshot was taken and before part 1 reads.
        await s.sql(`insert into snap_test values (2)`);
        firstRead();
        return { pid, ids: rows.map((r) => r.id) };
      }
      await afterFirstRead;
      // Part 1's first statement comes after the write's commit: its own snapshot would see it.
      const [{ pid }] = await tx.execute<{ pid: number }[]>('select pg_backend_pid() as pid');
      const rows = await tx.execute<{ id: number }[]>('select id from snap_test order by id');
      return { pid, ids: rows.map((r) => r.id) };
    });
    expect(results[0].pid).not.toBe(results[1].pid);
    expect(results.map((r) => r.ids)).toEqual([[1], [1]]);
    expect((await s.sql<{ id: number }>('select id from snap_test order by id')).map((r) => r.id)).toEqual([1, 2]);
  });

  it('a part that fails ends the read only once every part has settled: no statement runs on a connection given back', async () => {
    let started = 0;
    let bothStarted!: () => void;
    const together = new Promise<void>((r) => (bothStarted = r));
    let late: { samePid: boolean; inTransaction: boolean } | null = null;
    await expect(inSharedSnapshot(em(), 2, async (tx, part) => {
      const [{ pid }] = await tx.execute<{ pid: number }[]>('select pg_backend_pid() as pid');
      if (++started === 2) bothStarted();
      await together;
      if (part === 0) throw new Error('part 0 failed');
      // Part 1 goes on after part 0 has failed: still on its own connection, still in its transaction.
      await new Promise((r) => setTimeout(r, 100));
      const [row] = await tx.execute<{ pid: number; ro: string }[]>(`select pg_backend_pid() as pid, current_setting('transaction_read_only') as ro`);
      late = { samePid: row.pid === pid, inTransaction: row.ro === 'on' };
      return part;
    })).rejects.toThrow('part 0 failed');
    expect(late).toEqual({ samePid: true, inTransaction: true });
    const after = await Promise.all(Array.from({ length: 30 }, () => em().execute('select txid_current_if_assigned() as x, current_setting(\'transaction_read_only\') as ro')));
    expect(after.every((r) => (r as { ro: string }[])[0].ro === 'off')).toBe(true);
  });

  it('with more parts than connections, runs the rest on the connections it has; results in part order; read only', async () => {
    const results = await inSharedSnapshot(em(), 5, async (tx, part) => {
      const [{ ro }] = await tx.execute<{ ro: string }[]>(`select current_setting('transaction_read_only') as ro`);
      return `${part}:${ro}`;
    });
    expect(results).toEqual(['0:on', '1:on', '2:on', '3:on', '4:on']);
    await expect(inSharedSnapshot(em(), 1, (tx) => tx.execute(`insert into snap_test values (3)`))).rejects.toThrow(/read-only/);
    // Every connection went back to the pool outside a transaction.
    const after = await Promise.all(Array.from({ length: 30 }, () => em().execute('select txid_current_if_assigned() as x, current_setting(\'transaction_read_only\') as ro')));
    expect(after.every((r) => (r as { x: unknown; ro: string }[])[0].x === null && (r as { ro: string }[])[0].ro === 'off')).toBe(true);
  });
});
