import type { MikroORM } from '@mikro-orm/postgresql';

/** The database connection pool at one instant: connections in use, free, and callers waiting for one. */
export interface PoolStats { used: number; free: number; pending: number }

/** What this file reads of the pool behind MikroORM's knex (tarn.js); knex types its client `any`. */
interface TarnPool { numUsed(): number; numFree(): number; numPendingAcquires(): number }

/** The pool behind MikroORM's knex, now; null when it cannot be read (no pool: closed, not connected). */
export function poolStats(orm: MikroORM): PoolStats | null {
  try {
    const pool = (orm.em.getConnection().getKnex().client as { pool: TarnPool }).pool;
    return { used: pool.numUsed(), free: pool.numFree(), pending: pool.numPendingAcquires() };
  } catch {
    return null;
  }
}
