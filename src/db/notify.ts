import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppEntityManager, KnexClient } from './entity-manager';
import { afterCommit } from './transaction';

/**
 * Sends `pg_notify(channel, 'lo-hi')` once `tx` has committed (never on rollback), for an id of
 * a row it wrote; ids of transactions that commit close together share one NOTIFY naming the
 * range from the lowest to the highest. The listener reads the range back and keeps what it
 * has not seen: ids in it that are not committed (yet) are not read, and their own NOTIFY
 * follows their commit.
 *
 * Why not a NOTIFY per transaction, as PostgreSQL would send it from inside the transaction:
 * PostgreSQL then holds a lock on its notification queue from before each notifying commit
 * until the commit is flushed, so those commits run one at a time. Why not one per transaction
 * after it, on its connection: a round trip and a commit of its own for each (a notifying
 * transaction takes a transaction id, so its commit is a WAL record and a flush), with the
 * connection held from the pool meanwhile. Here the writer's transaction hands its id over
 * and returns; NOTIFYs go out one at a time from a pooled connection, each naming every id
 * committed while the one before it was under way, and each commits asynchronously
 * (`synchronous_commit` off for that one transaction: it writes nothing a crash could lose
 * but the signal itself). A NOTIFY lost anyway (a crash, a failed connection) is what the
 * listener's periodic catch-up is for.
 */
export function notifyAfterCommit(tx: EntityManager, channel: string, id: string): void {
  afterCommit(tx, async (em) => notifier((em as unknown as AppEntityManager).pool(), channel).add(BigInt(id)));
}

/** The same NOTIFY for a row a statement of its own has committed (outside any transaction): sent at once, coalesced the same way. */
export function notifyCommitted(em: EntityManager, channel: string, id: string): void {
  notifier((em as unknown as AppEntityManager).pool(), channel).add(BigInt(id));
}

/**
 * The same NOTIFY, for one transaction of a job, sent from its own connection before it goes
 * back to the pool: a job that paces itself by what else runs (ForegroundProbe) leaves its own
 * connections out, and would take a NOTIFY from another connection for foreground work. A
 * job's batches commit a few times a second at most, so there is nothing to coalesce.
 */
export function notifyFromConnectionAfterCommit(tx: EntityManager, channel: string, id: string): void {
  afterCommit(tx, (em) => em.execute(`select set_config('synchronous_commit', 'off', true), pg_notify(?, ?)`, [channel, `${id}-${id}`]));
}

class RangeNotifier {
  private pending: { lo: bigint; hi: bigint } | null = null;
  private draining = false;

  constructor(private readonly pool: KnexClient, private readonly channel: string) {}

  add(id: bigint): void {
    const p = this.pending;
    this.pending = p ? { lo: id < p.lo ? id : p.lo, hi: id > p.hi ? id : p.hi } : { lo: id, hi: id };
    if (this.draining) return;
    this.draining = true;
    void this.drain(); // fire-and-forget: drain() catches its own errors (a lost NOTIFY is caught up by the listener)
  }

  /** Sends what is pending, one NOTIFY at a time, until nothing is. */
  private async drain(): Promise<void> {
    try {
      while (this.pending) {
        const { lo, hi } = this.pending;
        this.pending = null;
        try {
          const connection = await this.pool.acquireConnection();
          try {
            await connection.query(`select set_config('synchronous_commit', 'off', true), pg_notify($1, $2)`, [this.channel, `${lo}-${hi}`]);
          } finally {
            await this.pool.releaseConnection(connection);
          }
        } catch {
          // Lost (the pool is closing, the connection failed): the listener's catch-up reads it.
        }
      }
    } finally {
      this.draining = false;
    }
  }
}

const notifiers = new WeakMap<KnexClient, Map<string, RangeNotifier>>();

/** One notifier per pool (an ORM instance) and channel. */
function notifier(pool: KnexClient, channel: string): RangeNotifier {
  let byChannel = notifiers.get(pool);
  if (!byChannel) notifiers.set(pool, (byChannel = new Map<string, RangeNotifier>()));
  let n = byChannel.get(channel);
  if (!n) byChannel.set(channel, (n = new RangeNotifier(pool, channel)));
  return n;
}
