import type { EntityManager } from '@mikro-orm/postgresql';
import { performance } from 'node:perf_hooks';
import { inSqlTransaction } from '../../db/transaction';
import { addDaysUtc, utcDayNumber } from '../../common/time.rules';
import { backtestOffThread, fitBgNbdOffThread, TUPLE_BASE, type HoldoutSummary } from './churn.fit';
import { withDates } from '../points/points.repository';
import { SEGMENT_FROM, compileFilter, type SegmentFilter } from '../segments/segment-filter';
import {
  expectedPurchases, type BgNbdParams, type WeightedSummary,
} from './churn.rules';

export interface ChurnModelRow extends BgNbdParams { customers: number; logLikelihood: number; asOf: Date; ks: number | null; gini: number | null }
export interface RetentionRow {
  memberId: string; stage: string; recencyDays: number | null; frequency: number | null; monetaryCents: number | null;
  r: number | null; f: number | null; m: number | null; rfmSegment: string | null;
  x: number | null; tx: number | null; tDays: number | null; aliveProbability: number | null; churnRisk: number | null;
}

const DAY_MS = 86_400_000;

/**
 * Memory for the sorts and hashes of one refresh (a million members, ten million purchases);
 * PostgreSQL's default 4 MB sent them to disk. Set for the refresh's own transactions only.
 */
const REFRESH_WORK_MEM = '256MB';

/** A purchase's UTC day number: the expression of purchase_member_day_index, so that the refresh reads that index. */
const DAY = `((pu.occurred_at at time zone 'UTC')::date - date '1970-01-01')`;

/**
 * A refresh, step 1: every buyer's purchase facts as of asOf (net of refunds), and as of the
 * backtest day, into a temporary table. One index-only pass over purchase_member_day_index,
 * which yields purchases in (member, day) order: the group needs no hash, and the array of
 * distinct purchase days no sort (PostgreSQL feeds that DISTINCT aggregate the presorted
 * rows). The days give x, first, last and previous day; width_bucket, a binary search in that
 * sorted array, the number of days up to the backtest day. Frequency and monetary count the
 * 365 days before asOf. Parameters: the backtest day twice, the 365-day start twice (a value:
 * timestamptz minus an interval would be computed again for every purchase), asOf.
 */
const FACTS_SQL = `
create temp table retention_facts on commit drop as
select member_id, first_at, last_at, frequency, monetary, days[1] as first_day, days[cardinality(days)] as last_day,
  days[cardinality(days) - 1] as prev_day, cardinality(days) - 1 as x,
  width_bucket(?::int, days) - 1 as bt_x, days[width_bucket(?::int, days)] as bt_last_day
from (
  select pu.member_id, min(pu.occurred_at) as first_at, max(pu.occurred_at) as last_at,
    count(*) filter (where pu.occurred_at > ?::timestamptz)::int as frequency,
    coalesce(sum(pu.amount_cents - pu.refunded_cents) filter (where pu.occurred_at > ?::timestamptz), 0)::bigint as monetary,
    array_agg(distinct ${DAY} order by ${DAY}) as days
  from purchase pu where pu.occurred_at <= ?::timestamptz group by pu.member_id
) per_member`;

/** The BG/NBD inputs (x, t_x, T) of every buyer as of asOf, grouped. Parameter: asOf's day. */
const TUPLES_SQL = `select x, last_day - first_day as tx, ?::int - first_day as "T", count(*)::int as count from retention_facts group by 1, 2, 3`;

/**
 * The same as of the backtest day, for buyers by then, with whether they bought after it
 * (up to asOf). Parameters: backtest day, twice.
 */
const BACKTEST_TUPLES_SQL = `
select bt_x as x, bt_last_day - first_day as tx, ?::int - first_day as "T", last_day > ?::int as bought, count(*)::int as count
from retention_facts where bt_x >= 0 group by 1, 2, 3, 4`;

/**
 * A refresh, step 2: one statement over every member from the facts. RFM scores by rank
 * quintile among buyers (recency and frequency take few distinct values, so their ranks come
 * from a histogram), the eight-cell cube against the programme means, the lifecycle stage,
 * the churn scores (computed in the fit's worker per distinct (x, t_x, T), passed as arrays keyed by tupleKey), a
 * transition row for each member whose stage moved, and each member's row written once.
 * Every join is a hash join on one key. Parameters: asOf, asOf's day, the score arrays (tuple
 * key, P(alive), churn risk), and asOf again (the members who had joined by then).
 */
const WRITE_SQL = `
with settings as (
  select ?::timestamptz as as_of, ?::int as as_of_day, lifecycle_new_days as new_days, lifecycle_active_days as active_days,
    lifecycle_at_risk_days as at_risk_days, lifecycle_dormant_days as dormant_days from program where id = 1
), facts as (
  select f.*, s.as_of_day - f.last_day as recency, s.as_of_day - f.first_day as t_days, f.last_day - f.first_day as tx,
    (f.x::bigint * ${TUPLE_BASE} + (f.last_day - f.first_day)) * ${TUPLE_BASE} + (s.as_of_day - f.first_day) as tuple_key,
    rank() over (order by f.monetary) as monetary_rank
  from retention_facts f cross join settings s
), stats as (
  select count(*) as n, avg(recency) as recency, avg(frequency) as frequency, avg(monetary) as monetary from facts
), by_recency as ( -- rank() over (order by recency desc) = 1 + the buyers with a longer recency
  select f.recency, 1 + floor(5.0 * (sum(count(*)) over (order by f.recency desc) - count(*)) / min(st.n))::int as score
  from facts f cross join stats st group by f.recency
), by_frequency as (
  select f.frequency, 1 + floor(5.0 * (sum(count(*)) over (order by f.frequency) - count(*)) / min(st.n))::int as score
  from facts f cross join stats st group by f.frequency
), scores as (
  select * from unnest(?::int8[], ?::float8[], ?::float8[]) as v(tuple_key, p, c)
), fresh as (
  select m.id as member_id, o.member_id is not null as known, o.stage as old_stage, o.stage_since as old_since,
    f.first_at, f.last_at, f.recency, f.frequency, f.monetary, br.score as r, bf.score as fs,
    1 + floor(5.0 * (f.monetary_rank - 1) / st.n)::int as ms, f.x, f.tx, f.t_days, v.p, v.c,
    case when f.member_id is null then null else
      (case when f.monetary >= st.monetary then 'IMPORTANT_' else 'GENERAL_' end) ||
      (case when f.recency < st.recency and f.frequency >= st.frequency then 'VALUE' when f.recency < st.recency then 'DEVELOP'
        when f.frequency >= st.frequency then 'RETAIN' else 'WINBACK' end)
    end as segment,
    case
      when f.member_id is null then 'PROSPECT'
      when f.t_days <= s.new_days then 'NEW'
      when f.recency <= s.new_days and f.prev_day is not null and f.last_day - f.prev_day > s.at_risk_days then 'REACTIVATED'
      when f.recency <= s.active_days then 'ACTIVE'
      when f.recency <= s.at_risk_days then 'AT_RISK'
      when f.recency <= s.dormant_days then 'DORMANT'
      else 'CHURNED'
    end as stage
  from member m cross join settings s cross join stats st
  left join facts f on f.member_id = m.id
  left join by_recency br on br.recency = f.recency
  left join by_frequency bf on bf.frequency = f.frequency
  left join scores v on v.tuple_key = f.tuple_key
  left join member_retention o on o.member_id = m.id
  where m.joined_at <= ?::timestamptz
), moved as (
  insert into lifecycle_transition (member_id, from_stage, to_stage, at)
  select n.member_id, n.old_stage, n.stage, s.as_of from fresh n cross join settings s where n.old_stage is distinct from n.stage
  returning 1
), updated as (
  update member_retention o set as_of = s.as_of, stage = n.stage,
    stage_since = case when n.old_stage = n.stage then n.old_since else s.as_of end,
    first_purchase_at = n.first_at, last_purchase_at = n.last_at, recency_days = n.recency, frequency = n.frequency,
    monetary_cents = n.monetary, r = n.r, f = n.fs, m = n.ms, rfm_segment = n.segment, x = n.x, tx = n.tx, t_days = n.t_days,
    alive_probability = n.p, churn_risk = n.c
  from fresh n cross join settings s where n.known and o.member_id = n.member_id
  returning 1
), inserted as (
  insert into member_retention (member_id, as_of, stage, stage_since, first_purchase_at, last_purchase_at, recency_days, frequency,
    monetary_cents, r, f, m, rfm_segment, x, tx, t_days, alive_probability, churn_risk)
  select n.member_id, s.as_of, n.stage, s.as_of, n.first_at, n.last_at, n.recency, n.frequency, n.monetary, n.r, n.fs, n.ms,
    n.segment, n.x, n.tx, n.t_days, n.p, n.c
  from fresh n cross join settings s where not n.known
  returning 1
)
select ((select count(*) from updated) + (select count(*) from inserted))::int as processed, (select count(*) from moved)::int as changed`;

/** RFM, lifecycle, rule tags and the churn model, refreshed set-based for every member. */
export class RetentionService {
  constructor(private readonly em: EntityManager) {}

  /**
   * Recomputes everything as of asOf, in one transaction: the purchase facts (one pass over
   * the purchases), the BG/NBD fit on them (in a worker thread), every member's row written
   * once with its scores, the rule tags, and the model with its backtest (fitted in a second
   * worker while the rows are written). Serialised by an advisory lock, so concurrent runs
   * queue; a second run with the same asOf records no new transition. `phases` are the
   * milliseconds each step took, for the job log and the benchmark.
   */
  async refresh(asOf: Date): Promise<{ processed: number; changed: number; phases: Record<string, number> }> {
    const asOfDay = utcDayNumber(asOf);
    const phases: Record<string, number> = {};
    let t = performance.now();
    const lap = (name: string) => { const now = performance.now(); phases[name] = Math.round(now - t); t = now; };
    const [{ horizon }] = (await this.em.execute('select churn_horizon_days as horizon from program where id = 1')) as { horizon: number }[];
    const backtestDay = asOfDay - horizon;
    const [start, backtestStart] = await Promise.all([this.storedFit(asOfDay), this.storedFit(backtestDay)]);
    const counts = await inSqlTransaction(this.em, async (tx) => {
      await tx.execute(`select pg_advisory_xact_lock(hashtext('retention.refresh'))`);
      await tx.execute(`set local work_mem = '${REFRESH_WORK_MEM}'`);
      const yearAgo = addDaysUtc(asOf, -365);
      await tx.execute(FACTS_SQL, [backtestDay, backtestDay, yearAgo, yearAgo, asOf]);
      await tx.execute('analyze retention_facts');
      const current = (await tx.execute(TUPLES_SQL, [asOfDay])) as WeightedSummary[];
      const backtestRows = (await tx.execute(BACKTEST_TUPLES_SQL, [backtestDay, backtestDay])) as HoldoutSummary[];
      lap('facts');
      const fit = current.some((c) => c.x > 0) ? await fitBgNbdOffThread(current, { start, horizon }) : null;
      const scores = fit?.scores ?? { keys: '{}', alive: '{}', risk: '{}' };
      lap('fit');
      // The model fitted at the backtest day. Only main fits are stored, and the one stored as of
      // that day was fitted on these same purchases: the best start there is; else today's fit.
      const backtest = fit ? backtestOffThread(backtestRows, horizon, { start: backtestStart ?? fit }) : Promise.resolve(null);
      backtest.catch(() => { /* awaited below */ });
      // Its joins are all on unsorted inputs; the planner, misled by the score arrays' unknown
      // statistics, would sort a million wide rows for a merge join.
      await tx.execute('set local enable_mergejoin = off');
      const [written] = (await tx.execute(WRITE_SQL, [asOf, asOfDay, scores.keys, scores.alive, scores.risk, asOf])) as { processed: number; changed: number }[];
      lap('write');
      await this.refreshRuleTags(tx);
      lap('tags');
      if (fit) {
        const scored = await backtest;
        await tx.execute(
          'insert into churn_model (as_of, r, alpha, a, b, customers, log_likelihood, ks, gini, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, now())',
          [asOf, fit.r, fit.alpha, fit.a, fit.b, fit.customers, fit.logLikelihood, scored?.ks ?? null, scored?.gini ?? null],
        );
      }
      lap('backtest');
      return written;
    });
    return { ...counts, phases };
  }

  /**
   * Every RULE tag's members are exactly those its filter selects now: one statement per tag
   * that selects the members once and changes only the difference (members who keep the
   * tag keep their row and its taggedAt).
   */
  private async refreshRuleTags(tx: EntityManager): Promise<void> {
    const tags = (await tx.execute(`select id, rule from tag where kind = 'RULE' and rule is not null`)) as { id: string; rule: SegmentFilter }[];
    for (const tag of tags) {
      const { where, params } = compileFilter(tag.rule);
      await tx.execute(
        `with selected as materialized (select m.id from ${SEGMENT_FROM} where ${where}),
         tagged as (select member_id from member_tag where tag_id = ?),
         dropped as (
           delete from member_tag mt where mt.tag_id = ? and mt.member_id in (select member_id from tagged except select id from selected)
         )
         insert into member_tag (member_id, tag_id, tagged_at)
         select id, ?, now() from (select id from selected except select member_id from tagged) joined`,
        [...params, tag.id, tag.id, tag.id],
      );
    }
  }

  /**
   * The parameters of the latest fit stored as of `day` or earlier. A fit starts from them
   * (fitBgNbd's warm start): the nightly fit from last night's, which saw nearly the same
   * customers, in a handful of likelihood evaluations instead of a few dozen. The result is the
   * same optimum either way.
   */
  private async storedFit(day: number): Promise<BgNbdParams | undefined> {
    const [row] = (await this.em.execute(
      'select r, alpha, a, b from churn_model where as_of < ? order by as_of desc, id desc limit 1',
      [new Date((day + 1) * DAY_MS)],
    )) as BgNbdParams[];
    return row;
  }

  async latestModel(): Promise<ChurnModelRow | null> {
    const [row] = await this.em.execute(
      `select as_of as "asOf", r, alpha, a, b, customers, log_likelihood as "logLikelihood", ks, gini from churn_model order by id desc limit 1`,
    );
    return row ? withDates(row as ChurnModelRow, ['asOf']) : null;
  }

  async forMembers(ids: readonly string[]): Promise<Map<string, RetentionRow>> {
    const rows = (await this.em.execute(
      `select member_id as "memberId", stage, recency_days as "recencyDays", frequency, monetary_cents::float8 as "monetaryCents",
         r, f, m, rfm_segment as "rfmSegment", x, tx, t_days as "tDays", alive_probability as "aliveProbability", churn_risk as "churnRisk"
       from member_retention where member_id in (?)`,
      [ids as string[]],
    )) as RetentionRow[];
    return new Map(rows.map((r) => [r.memberId, r]));
  }

  /** E[purchases in the next `days`] for a member, from the latest model; null before the model has data. */
  expected(model: BgNbdParams | null, row: RetentionRow | undefined, days: number): number | null {
    if (!model || !row || row.x == null || row.tx == null || row.tDays == null) return null;
    return expectedPurchases(model, { x: row.x, tx: row.tx, T: row.tDays }, days);
  }

  /** High churn risk, most valuable first: value = 365-day net spend × P(alive). */
  async winBackCandidates(first: number, minRisk = 0.5): Promise<string[]> {
    const rows = (await this.em.execute(
      `select member_id as id from member_retention where churn_risk >= ? and monetary_cents > 0
       order by monetary_cents * alive_probability desc, member_id limit ?`,
      [minRisk, first],
    )) as { id: string }[];
    return rows.map((r) => r.id);
  }

  async transitions(from: Date, to: Date): Promise<{ from: string | null; to: string; count: number }[]> {
    return (await this.em.execute(
      `select from_stage as "from", to_stage as "to", count(*)::int as count from lifecycle_transition
       where at >= ? and at < ? group by 1, 2 order by 1 nulls first, 2`,
      [from, to],
    )) as { from: string | null; to: string; count: number }[];
  }

  async programStats(): Promise<{ members: number; byTier: { tierId: string; count: number }[]; byStage: { stage: string; count: number }[]; pointsLiability: number }> {
    const [totals] = (await this.em.execute(
      `select (select count(*) from member)::int as members, (select coalesce(sum(balance), 0) from point_account)::bigint::float8 as liability`,
    )) as { members: number; liability: number }[];
    const byTier = (await this.em.execute(
      `select t.id as "tierId", count(m.id)::int as count from tier t left join member m on m.tier_id = t.id group by t.id, t.rank order by t.rank`,
    )) as { tierId: string; count: number }[];
    const byStage = (await this.em.execute(
      `select coalesce(r.stage, 'PROSPECT') as stage, count(*)::int as count from member m left join member_retention r on r.member_id = m.id group by 1 order by 1`,
    )) as { stage: string; count: number }[];
    return { members: totals.members, byTier, byStage, pointsLiability: totals.liability };
  }

  /** Points earned, redeemed and expired per month, with the redemption rate. */
  async pointsFlow(from: Date, to: Date): Promise<{ period: string; earned: number; redeemed: number; expired: number }[]> {
    return (await this.em.execute(
      `select to_char(date_trunc('month', occurred_at at time zone 'UTC'), 'YYYY-MM') as period,
         coalesce(sum(amount) filter (where amount > 0 and type in ('EARN', 'ADJUST')), 0)::int as earned,
         coalesce(-sum(amount) filter (where type = 'REDEEM'), 0)::int + coalesce(-sum(amount) filter (where type = 'REDEMPTION_CANCEL'), 0)::int as redeemed,
         coalesce(-sum(amount) filter (where type = 'EXPIRE'), 0)::int as expired
       from point_transaction where occurred_at >= ? and occurred_at < ? group by 1 order by 1`,
      [from, to],
    )) as { period: string; earned: number; redeemed: number; expired: number }[];
  }

  /**
   * Growth per month, the seed material's 规模 = 新增 + 持续 + 挽回 − 流失: a member is active
   * in a month it bought in; new = first purchase that month; retained = active this month
   * and last; won back = active again after a month without; churned = active last month,
   * not this one. active(M) = active(M−1) + new + wonBack − churned.
   */
  async growth(from: Date, to: Date): Promise<{ period: string; active: number; new: number; retained: number; wonBack: number; churned: number }[]> {
    return (await this.em.execute(
      `with act as (select distinct member_id, date_trunc('month', occurred_at at time zone 'UTC') as mo from purchase),
       firsts as (select member_id, min(mo) as first_mo from act group by member_id),
       months as (select generate_series(date_trunc('month', ?::timestamptz at time zone 'UTC'), date_trunc('month', ?::timestamptz at time zone 'UTC'), interval '1 month') as mo)
       select to_char(ms.mo, 'YYYY-MM') as period,
         (select count(*) from act a where a.mo = ms.mo)::int as active,
         (select count(*) from firsts f where f.first_mo = ms.mo)::int as new,
         (select count(*) from act a join act b on b.member_id = a.member_id and b.mo = ms.mo - interval '1 month' where a.mo = ms.mo)::int as retained,
         (select count(*) from act a join firsts f on f.member_id = a.member_id where a.mo = ms.mo and f.first_mo < ms.mo
            and not exists (select 1 from act b where b.member_id = a.member_id and b.mo = ms.mo - interval '1 month'))::int as "wonBack",
         (select count(*) from act b where b.mo = ms.mo - interval '1 month'
            and not exists (select 1 from act a where a.member_id = b.member_id and a.mo = ms.mo))::int as churned
       from months ms order by 1`,
      [from, to],
    )) as { period: string; active: number; new: number; retained: number; wonBack: number; churned: number }[];
  }
}

