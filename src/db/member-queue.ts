import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppEntityManager } from './entity-manager';

/**
 * One write at a time per key (a member) in this process, first come first served, the others
 * waiting here instead of in PostgreSQL. The database's row lock (db/locks.ts) is what makes
 * writes of one member serialize, on every instance; this only keeps the waiting out of the
 * database. Without it, 32 purchases for one member hold 20 pooled connections waiting on one
 * row lock, and the one that holds it waits for the event loop behind 31 others' work before
 * it can send its next statement, so the lock is held for many times the transaction's own
 * time (docs/benchmarks.md, "Points ledger": the hot member). Waiting here costs a promise.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key);
    const mine = (before ? before.then(work, work) : work());
    const tail = mine.then(() => undefined, () => undefined);
    this.tails.set(key, tail);
    // The last in line leaves no entry behind.
    void tail.then(() => { if (this.tails.get(key) === tail) this.tails.delete(key); });
    return mine;
  }

  /** Keys with writes in progress or waiting (for tests). */
  get size(): number {
    return this.tails.size;
  }
}

const queues = new WeakMap<object, KeyedQueue>();

/** The queue of member writes of the instance `em` belongs to (its connection pool). */
export function memberWrites(em: EntityManager): KeyedQueue {
  const pool = (em as unknown as AppEntityManager).pool();
  let q = queues.get(pool);
  if (!q) queues.set(pool, (q = new KeyedQueue()));
  return q;
}
