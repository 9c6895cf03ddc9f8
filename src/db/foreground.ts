import type { EntityManager } from '@mikro-orm/postgresql';
import { drainInLanes } from '../common/lanes';

/** How often a probe looks at the database at most, and how long what it saw counts. */
const PROBE_EVERY_MS = 100;
const BUSY_FOR_MS = 1_000;

/**
 * The application_name of connections that do the app's own background work (the outbox
 * dispatcher's): a probe does not count them as foreground work.
 */
export const BACKGROUND_APPLICATION = 'loyalty-background';

/** The application_name of the webhook delivery worker's connection: background work too, which a probe does not count either. */
export const WEBHOOK_APPLICATION = 'loyalty-webhooks';

/**
 * Tells a background job whether anything else is working on its database right now, so that
 * it can use every core when nothing is (a review at night) and leave room when something is
 * (purchases during the day). "Something" is another client backend of this database inside a
 * statement or a transaction, on any instance: `pg_stat_activity` shows every session of the
 * same role (run the app's writers as one role, or grant `pg_read_all_stats`: see
 * docs/decisions.md). The job's own connections are left out by pid (`own`), and the app's
 * background connections by name (BACKGROUND_APPLICATION: the dispatcher reading back what a
 * batch has just committed is no reason to slow the batches down; WEBHOOK_APPLICATION: nor is
 * the webhook worker delivering the batch's events). A single look can miss a
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
         and application_name <> ? and pid <> pg_backend_pid() and pid <> all(?::int[]) and application_name <> ?`,
      [BACKGROUND_APPLICATION, `{${[...this.own()].join(',')}}`, WEBHOOK_APPLICATION],
    );
    this.lookedAt = Date.now();
    if (n > 0) this.busyUntil = this.lookedAt + BUSY_FOR_MS;
    return n > 0;
  }
}

/** A pace: batches at once (lanes), members a batch, and the pause after each as a share of the time it took. */
export interface Pace { lanes: number; batch: number; pause: number }
/** The pace while nothing else works on the database (idle), and while something does (busy). */
export interface Paces { idle: Pace; busy: Pace }

/** A lane that may not run (the database is busy and the other lane is working) looks again after this. */
const WAIT_FOR_LANE_MS = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A background job's batches, run at the pace the database allows (ForegroundProbe): while
 * nothing else works on it, `paces.idle` (several batches at once, no pause); while anything
 * does, `paces.busy` (fewer at once, smaller, each followed by a pause). The job drains its
 * work on `lanes` lanes (the most either pace allows) and runs each batch through `inTurn`,
 * which waits while as many batches run as the pace of the moment allows. Its connections
 * count as its own (the probe leaves them out) while `withOwnConnections` runs.
 */
export class PacedLanes {
  /** Batches run at each pace so far. */
  readonly batches = { idle: 0, busy: 0 };
  private readonly own = new Set<number>();
  private readonly probe: ForegroundProbe;
  private running = 0;

  constructor(em: EntityManager, private readonly paces: Paces) {
    this.probe = new ForegroundProbe(em, () => this.own);
  }

  /** Lanes that always run at `pace`, whatever else the database is doing: they never probe. */
  static steady(em: EntityManager, pace: Pace): PacedLanes {
    return new PacedLanes(em, { idle: pace, busy: pace });
  }

  /** Whether the moment's pace can differ: with one pace for both, the probe is never asked. */
  private get adaptive(): boolean {
    const { idle, busy } = this.paces;
    return idle !== busy && (idle.lanes !== busy.lanes || idle.batch !== busy.batch || idle.pause !== busy.pause);
  }

  /** Lanes to drain on: the most either pace runs at once. */
  get lanes(): number {
    return Math.max(this.paces.idle.lanes, this.paces.busy.lanes);
  }

  /** The pace of the moment (to size what is handed out next). */
  async pace(): Promise<Pace> {
    return this.paces[await this.mode()];
  }

  private async mode(): Promise<'idle' | 'busy'> {
    return this.adaptive && (await this.probe.busy()) ? 'busy' : 'idle';
  }

  /** Works through what `next` hands out (null: no more) on `lanes` lanes (drainInLanes). */
  drain<T>(next: () => Promise<T | null> | T | null, work: (item: T) => Promise<void>): Promise<void> {
    return drainInLanes(this.lanes, next, work);
  }

  /**
   * Runs one batch in a turn at the pace of the moment: waits while as many batches run as that
   * pace allows, then runs it, then yields a share of the time it took (as vacuum_cost_delay
   * does for vacuum) before giving the turn back: work running alongside keeps its latency.
   */
  async inTurn<R>(batch: (pace: Pace) => Promise<R>): Promise<R> {
    const pace = await this.turn();
    try {
      const started = Date.now();
      const result = await batch(pace);
      if (pace.pause > 0) await sleep((Date.now() - started) * pace.pause);
      return result;
    } finally {
      this.running--;
    }
  }

  /**
   * Runs `work`, whose connections count as the job's own from the moment it names each
   * (`claim(pid)`) until it ends. A batch names its connection before its BEGIN, from the
   * connection's start-up (asking the server for its pid takes a statement, during which a
   * probe would see it busy), so that a probe looking at any moment of its transaction, its
   * COMMIT included, does not take it for foreground work.
   */
  async withOwnConnections<R>(work: (claim: (pid: number) => void) => Promise<R>): Promise<R> {
    const pids: number[] = [];
    try {
      return await work((pid) => {
        pids.push(pid);
        this.own.add(pid);
      });
    } finally {
      for (const pid of pids) this.own.delete(pid);
    }
  }

  private async turn(): Promise<Pace> {
    for (;;) {
      const mode = await this.mode();
      if (this.running < this.paces[mode].lanes) {
        this.running++;
        this.batches[mode]++;
        return this.paces[mode];
      }
      await sleep(WAIT_FOR_LANE_MS);
    }
  }
}
