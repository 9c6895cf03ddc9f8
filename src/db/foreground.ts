import type { EntityManager } from '@mikro-orm/postgresql';

/** How often a probe looks at the database at most, and how long what it saw counts. */
const PROBE_EVERY_MS = 100;
const BUSY_FOR_MS = 1_000;

/**
 * The application_name of connections that do the app's own background work (the outbox
 * dispatcher's): a probe does not count them as foreground work.
 */
export const BACKGROUND_APPLICATION = 'loyalty-background';

/**
 * Tells a background job whether anything else is working on its database right now, so that
 * it can use every core when nothing is (a review at night) and leave room when something is
 * (purchases during the day). "Something" is another client backend of this database inside a
 * statement or a transaction, on any instance: `pg_stat_activity` shows every session of the
 * same role (run the app's writers as one role, or grant `pg_read_all_stats`: see
 * docs/decisions.md). The job's own connections are left out by pid (`own`), and the app's
 * background connections by name (BACKGROUND_APPLICATION: the dispatcher reading back what a
 * batch has just committed is no reason to slow the batches down). A single look can miss a
 * busy database between two of its statements, so one that looked busy counts as busy for a
 * second after.
 */
export class ForegroundProbe {
  private lookedAt = 0;
  private busyUntil = 0;
  private looking: Promise<boolean> | null = null;

  constructor(private readonly em: EntityManager, private readonly own: () => Iterable<number>) {}

  async busy(now = Date.now()): Promise<boolean> {
    if (now < this.busyUntil) return true;
    if (now - this.lookedAt < PROBE_EVERY_MS) return false;
    // Lanes asking at once share one look.
    this.looking ??= this.look().finally(() => (this.looking = null));
    return this.looking;
  }

  private async look(): Promise<boolean> {
    const [{ n }] = await this.em.execute<{ n: number }[]>(
      `select count(*)::int as n from pg_stat_activity
       where datname = current_database() and backend_type = 'client backend' and state <> 'idle'
         and application_name <> ? and pid <> pg_backend_pid() and pid <> all(?::int[])`,
      [BACKGROUND_APPLICATION, `{${[...this.own()].join(',')}}`],
    );
    this.lookedAt = Date.now();
    if (n > 0) this.busyUntil = this.lookedAt + BUSY_FOR_MS;
    return n > 0;
  }
}
