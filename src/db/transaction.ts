import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppEntityManager, KnexClient, PgConnection } from './entity-manager';

/** SQLSTATEs that mean "try the whole transaction again": serialization failure, deadlock. */
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 6;

function sqlState(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } } | null;
  return e?.code ?? e?.cause?.code;
}

/**
 * Runs `work` in one transaction on a fresh fork of `em`. A deadlock or serialization
 * failure is retried with jittered back-off, so that clients never see one: our locks are
 * taken in a fixed order, so retries are rare and short.
 */
export function inTransaction<T>(em: EntityManager, work: (tx: EntityManager) => Promise<T>): Promise<T> {
  return withRetries(em, (hooks) => em.fork({ clear: true }).transactional((tx) => {
    afterCommitHooks.set(tx, hooks);
    return work(tx);
  }));
}

export interface SqlTransactionOptions {
  /** Called with each attempt's connection before its BEGIN, when it has run nothing yet. */
  beforeBegin?(connection: PgConnection): void;
}

/**
 * inTransaction for work that is raw SQL only (`tx.execute`), as every hot write path is:
 * BEGIN and COMMIT go straight to a pooled connection instead of through MikroORM's unit of
 * work and a knex transaction object, which cost ~370 µs of CPU per transaction (measured:
 * 455 µs vs 84 µs for BEGIN, one statement, COMMIT). An entity operation on `tx` throws.
 */
export function inSqlTransaction<T>(em: EntityManager, work: (tx: EntityManager) => Promise<T>, opts: SqlTransactionOptions = {}): Promise<T> {
  const app = em as unknown as AppEntityManager;
  return withRetries(em, async (hooks) => {
    const pool = app.pool();
    const connection = await pool.acquireConnection();
    try {
      opts.beforeBegin?.(connection);
      await connection.query('begin', []);
      const tx = app.forkOnConnection(connection);
      afterCommitHooks.set(tx, hooks);
      const result = await work(tx);
      await connection.query('commit', []);
      // The hooks run on this connection, now outside any transaction, before it goes back
      // to the pool: a NOTIFY after the commit costs one round trip and no second connection.
      await runHooks(hooks.splice(0), tx);
      return result;
    } catch (err) {
      await connection.query('rollback', []).catch(() => { /* the connection is gone; so is its transaction */ });
      throw err;
    } finally {
      await pool.releaseConnection(connection);
    }
  });
}

/** How long inSharedSnapshot waits for a second connection before doing its parts on the first alone. */
const SPARE_CONNECTION_WAIT_MS = 100;

/**
 * Runs `work(tx, part)` for every part 0 … parts − 1, each in a read-only REPEATABLE READ
 * transaction, all of them sharing one snapshot (pg_export_snapshot and SET TRANSACTION
 * SNAPSHOT), up to `parts` at once on pooled connections of their own: a read split by key
 * range runs on as many of the database's cores, and its parts add up to what one statement
 * would have read at one instant. Raw SQL only, as inSqlTransaction. A connection the pool
 * cannot hand over at once is not waited for (two such reads must never hold one connection
 * each while waiting for a second): the parts it would have run go to the connections there
 * are, the first one at least, one after another. Results in part order.
 */
export async function inSharedSnapshot<T>(em: EntityManager, parts: number, work: (tx: EntityManager, part: number) => Promise<T>): Promise<T[]> {
  const app = em as unknown as AppEntityManager;
  const pool = app.pool();
  const connections: PgConnection[] = [];
  const begun: PgConnection[] = [];
  try {
    const first = await pool.acquireConnection();
    connections.push(first);
    await first.query('begin isolation level repeatable read read only', []);
    begun.push(first);
    const [{ snapshot }] = (await first.query('select pg_export_snapshot() as snapshot', [])).rows as { snapshot: string }[];
    for (let i = 1; i < parts; i++) {
      const spare = await acquireWithin(pool, SPARE_CONNECTION_WAIT_MS);
      if (!spare) break;
      connections.push(spare);
      await spare.query('begin isolation level repeatable read read only', []);
      begun.push(spare);
      await spare.query(`set transaction snapshot '${snapshot.replace(/'/g, "''")}'`, []);
    }
    const results = new Array<T>(parts);
    let next = 0;
    // Every connection's parts settle before any transaction ends or connection goes back:
    // a part still running must never send a statement on a connection released under it.
    let failed = false;
    const settled = await Promise.allSettled(connections.map(async (connection) => {
      const tx = app.forkOnConnection(connection);
      for (let part = next++; part < parts && !failed; part = next++) {
        try {
          results[part] = await work(tx, part);
        } catch (err) {
          failed = true;
          throw err;
        }
      }
    }));
    const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
    for (const connection of begun.splice(0)) await connection.query('commit', []);
    return results;
  } finally {
    for (const connection of begun) await connection.query('rollback', []).catch(() => { /* gone with its connection */ });
    for (const connection of connections) await pool.releaseConnection(connection);
  }
}

/** A pooled connection if the pool hands one over within `ms`; else null (one that comes later goes straight back). */
async function acquireWithin(pool: KnexClient, ms: number): Promise<PgConnection | null> {
  const pending = pool.acquireConnection();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), ms); });
  const got = await Promise.race([pending.catch(() => null), late]);
  clearTimeout(timer);
  if (got) return got;
  pending.then((c) => pool.releaseConnection(c)).catch(() => undefined);
  return null;
}

/**
 * Runs `work` while this process holds the session-level advisory lock `name`, on a pooled
 * connection kept for that purpose: for jobs that commit more than one transaction, on more
 * than one connection, and must still not overlap a run elsewhere. A second caller (on any
 * instance) waits. The lock goes with the connection if the process dies.
 */
export async function withAdvisoryLock<T>(em: EntityManager, name: string, work: () => Promise<T>): Promise<T> {
  const pool = (em as unknown as AppEntityManager).pool();
  const connection = await pool.acquireConnection();
  try {
    await connection.query('select pg_advisory_lock(hashtext($1))', [name]);
    try {
      return await work();
    } finally {
      await connection.query('select pg_advisory_unlock(hashtext($1))', [name]);
    }
  } finally {
    await pool.releaseConnection(connection);
  }
}

async function runHooks(hooks: AfterCommit[], em: EntityManager): Promise<void> {
  for (const hook of hooks) await hook(em).catch(() => { /* best effort; the hook's own safety net covers it */ });
}

/** Runs `work`, a statement that is its own transaction, again while it fails with a deadlock or a serialization failure (as the transactions above do). */
export function retried<T>(em: EntityManager, work: () => Promise<T>): Promise<T> {
  return withRetries(em, () => work());
}

/** Runs one attempt after another while the failure is retryable; then the after-commit hooks left. */
async function withRetries<T>(em: EntityManager, attempt: (hooks: AfterCommit[]) => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    const hooks: AfterCommit[] = [];
    try {
      const result = await attempt(hooks);
      // Committed: now, and only now, what must follow the commit (a rollback runs none of it).
      await runHooks(hooks, em);
      return result;
    } catch (err) {
      if (n >= MAX_ATTEMPTS || !RETRYABLE.has(sqlState(err) ?? '')) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 10 * n));
    }
  }
}

type AfterCommit = (em: EntityManager) => Promise<unknown>;
const afterCommitHooks = new WeakMap<object, AfterCommit[]>();

/**
 * Runs `hook` after the transaction `tx` (from inTransaction) commits, outside it; never on
 * rollback. For signals whose loss is tolerable because something else catches up (NOTIFY).
 */
export function afterCommit(tx: EntityManager, hook: AfterCommit): void {
  const hooks = afterCommitHooks.get(tx);
  if (!hooks) throw new Error('afterCommit outside inTransaction');
  hooks.push(hook);
}

/** numeric_value_out_of_range: a value too large for its column (an int4 sum, a cast). */
export function isOutOfRange(err: unknown): boolean {
  return sqlState(err) === '22003';
}

/** True when PostgreSQL refused a write because of a unique constraint. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  if (sqlState(err) !== '23505') return false;
  if (!constraint) return true;
  const e = err as { constraint?: string; cause?: { constraint?: string } };
  return (e.constraint ?? e.cause?.constraint) === constraint;
}

/**
 * The shape of every keyed write: the stored result when the key was used before (or a
 * CONFLICT the replay raises), else the write; and when a concurrent write with the same
 * key won the race (unique violation), the winner's stored result. With `em` null the replay
 * is not read first: the write's own first statement tells a retry (recordPurchase's does).
 */
export async function idempotentWrite<T>(em: EntityManager | null, replay: (em: EntityManager) => Promise<T | null>, write: () => Promise<T>, raceEm?: EntityManager): Promise<T> {
  if (em) {
    const earlier = await replay(em);
    if (earlier) return earlier;
  }
  try {
    return await write();
  } catch (err) {
    const after = em ?? raceEm;
    if (after && isUniqueViolation(err)) {
      const settled = await replay(after);
      if (settled) return settled;
    }
    throw err;
  }
}
