import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from '../../db/entity-manager';
import { inSqlTransaction, inTransaction } from '../../db/transaction';
import { utcDayNumber } from '../../common/time.rules';
import { fitBgNbdOffThread } from './churn.fit';
import { withDates } from '../points/points.repository';
import { SEGMENT_FROM, compileFilter, type SegmentFilter } from '../segments/segment-filter';
import {
  aliveProbability, churnRisk, expectedPurchases, gini, ksStatistic, type BgNbdFit, type BgNbdParams, type WeightedSummary,
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

/**
 * One pass over every member as of asOf, as a single statement: purchase facts, RFM
 * scores by rank quintile among buying members, the eight-cell cube against the
 * programme means, the lifecycle stage, and a transition row for each member whose
 * stage moved. Purchases count net of refunds.
 */
const REFRESH_SQL = `
with settings as (
  select ?::timestamptz as as_of, ?::int as as_of_day, lifecycle_new_days as new_days, lifecycle_active_days as active_days,
    lifecycle_at_risk_days as at_risk_days, lifecycle_dormant_days as dormant_days from program where id = 1
), p as (
  select pu.member_id, pu.occurred_at, (pu.amount_cents - pu.refunded_cents) as net,
    ((pu.occurred_at at time zone 'UTC')::date - date '1970-01-01') as day -- the UTC day number, in integer arithmetic
  from purchase pu, settings s where pu.occurred_at <= s.as_of
), facts as (
  select p.member_id, min(p.occurred_at) as first_at, max(p.occurred_at) as last_at, min(p.day) as first_day, max(p.day) as last_day,
    count(*) filter (where p.occurred_at > s.as_of - interval '365 days')::int as frequency,
    coalesce(sum(p.net) filter (where p.occurred_at > s.as_of - interval '365 days'), 0)::bigint as monetary,
    count(distinct p.day)::int - 1 as x,
    -- The purchase day before the last (REACTIVATED): the aggregate's input is already sorted
    -- by member and day, so this costs nothing, where a window over the purchases sorted them again.
    (array_agg(distinct p.day order by p.day desc))[2] as prev_day
  from p, settings s group by p.member_id
), scored as (
  select f.*, s.as_of_day - f.last_day as recency,
    1 + floor(5.0 * (rank() over (order by s.as_of_day - f.last_day desc) - 1) / count(*) over ())::int as r,
    1 + floor(5.0 * (rank() over (order by f.frequency) - 1) / count(*) over ())::int as fs,
    1 + floor(5.0 * (rank() over (order by f.monetary) - 1) / count(*) over ())::int as ms,
    (s.as_of_day - f.last_day) < avg(s.as_of_day - f.last_day) over () as r_high,
    f.frequency >= avg(f.frequency) over () as f_high,
    f.monetary >= avg(f.monetary) over () as m_high
  from facts f cross join settings s
), fresh as (
  select m.id as member_id, sc.first_at, sc.last_at, sc.recency, sc.frequency, sc.monetary, sc.r, sc.fs, sc.ms, sc.x,
    sc.last_day - sc.first_day as tx, s.as_of_day - sc.first_day as t_days,
    case when sc.member_id is null then null else
      (case when sc.m_high then 'IMPORTANT_' else 'GENERAL_' end) ||
      (case when sc.r_high and sc.f_high then 'VALUE' when sc.r_high then 'DEVELOP' when sc.f_high then 'RETAIN' else 'WINBACK' end)
    end as segment,
    case
      when sc.member_id is null then 'PROSPECT'
      when s.as_of_day - sc.first_day <= s.new_days then 'NEW'
      when sc.recency <= s.new_days and sc.prev_day is not null and sc.last_day - sc.prev_day > s.at_risk_days then 'REACTIVATED'
      when sc.recency <= s.active_days then 'ACTIVE'
      when sc.recency <= s.at_risk_days then 'AT_RISK'
      when sc.recency <= s.dormant_days then 'DORMANT'
      else 'CHURNED'
    end as stage
  from member m cross join settings s left join scored sc on sc.member_id = m.id
  where m.joined_at <= s.as_of
), moved as (
  insert into lifecycle_transition (member_id, from_stage, to_stage, at)
  select n.member_id, o.stage, n.stage, s.as_of from fresh n cross join settings s
  left join member_retention o on o.member_id = n.member_id
  where o.stage is distinct from n.stage
  returning 1
), saved as (
  insert into member_retention as o (member_id, as_of, stage, stage_since, first_purchase_at, last_purchase_at, recency_days, frequency,
    monetary_cents, r, f, m, rfm_segment, x, tx, t_days, alive_probability, churn_risk)
  select n.member_id, s.as_of, n.stage, s.as_of, n.first_at, n.last_at, n.recency, n.frequency, n.monetary, n.r, n.fs, n.ms,
    n.segment, n.x, n.tx, n.t_days, null, null
  from fresh n cross join settings s
  on conflict (member_id) do update set as_of = excluded.as_of, stage = excluded.stage,
    stage_since = case when o.stage = excluded.stage then o.stage_since else excluded.stage_since end,
    first_purchase_at = excluded.first_purchase_at, last_purchase_at = excluded.last_purchase_at, recency_days = excluded.recency_days,
    frequency = excluded.frequency, monetary_cents = excluded.monetary_cents, r = excluded.r, f = excluded.f, m = excluded.m,
    rfm_segment = excluded.rfm_segment, x = excluded.x, tx = excluded.tx, t_days = excluded.t_days,
    alive_probability = null, churn_risk = null
  returning 1
)
select (select count(*) from saved)::int as processed, (select count(*) from moved)::int as changed`;

/**
 * Purchase-day summaries as of a day, grouped, with whether each group bought in
 * (asOfDay, untilDay]: one pass over the purchase days, one aggregate per member (a
 * correlated EXISTS over the days here was quadratic: minutes at a million buyers).
 */
export const SUMMARY_AT_SQL = `
with p as (select ?::int as as_of, ?::int as until_day),
d as (
  select member_id, ((occurred_at at time zone 'UTC')::date - date '1970-01-01') as day from purchase group by 1, 2
), per as (
  select count(*) filter (where d.day <= p.as_of) - 1 as x,
    max(d.day) filter (where d.day <= p.as_of) - min(d.day) filter (where d.day <= p.as_of) as tx,
    p.as_of - min(d.day) filter (where d.day <= p.as_of) as t,
    coalesce(bool_or(d.day > p.as_of and d.day <= p.until_day), false) as bought
  from d cross join p group by d.member_id, p.as_of
)
select x::int, tx::int, t::int as "T", bought, count(*)::int as count
from per where x >= 0 group by 1, 2, 3, 4`;

/** RFM, lifecycle, rule tags and the churn model, refreshed set-based for every member. */
export class RetentionService {
  constructor(private readonly em: EntityManager) {}

  /**
   * Recomputes everything as of asOf. Serialised by an advisory lock, so concurrent runs
   * queue; a second run with the same asOf records no new transition.
   */
  async refresh(asOf: Date): Promise<{ processed: number; changed: number }> {
    const asOfDay = utcDayNumber(asOf);
    const result = await inTransaction(this.em, async (tx) => {
      await tx.execute(`select pg_advisory_xact_lock(hashtext('retention.refresh'))`);
      await tx.execute(`set local work_mem = '${REFRESH_WORK_MEM}'`);
      const [counts] = (await tx.execute(REFRESH_SQL, [asOf, asOfDay])) as { processed: number; changed: number }[];
      await this.refreshRuleTags(tx);
      return counts;
    });
    await this.fitChurnModel(asOf);
    return result;
  }

  /** Every RULE tag's members are exactly those its filter selects now. */
  private async refreshRuleTags(tx: EntityManager): Promise<void> {
    const tags = (await tx.execute(`select id, rule from tag where kind = 'RULE' and rule is not null`)) as { id: string; rule: SegmentFilter }[];
    for (const tag of tags) {
      const { where, params } = compileFilter(tag.rule);
      await tx.execute(
        `delete from member_tag mt where mt.tag_id = ? and not exists (select 1 from ${SEGMENT_FROM} where m.id = mt.member_id and ${where})`,
        [tag.id, ...params],
      );
      await tx.execute(
        `insert into member_tag (member_id, tag_id, tagged_at) select m.id, ?, now() from ${SEGMENT_FROM} where ${where} on conflict do nothing`,
        [tag.id, ...params],
      );
    }
  }

  private summaries(asOfDay: number, untilDay: number) {
    return inSqlTransaction(this.em, async (tx) => {
      await tx.execute(`set local work_mem = '${REFRESH_WORK_MEM}'`);
      return (await tx.execute(SUMMARY_AT_SQL, [asOfDay, untilDay])) as (WeightedSummary & { bought: boolean })[];
    });
  }

  /**
   * Fits BG/NBD on every buyer as of the last refresh (whose (x, t_x, T) per member are in
   * member_retention), scores every member, and backtests a fit made churnHorizonDays earlier.
   * The backtest's pass over the purchases runs in the database while the main fit runs in a
   * worker thread and the scores are written.
   */
  async fitChurnModel(asOf: Date): Promise<ChurnModelRow | null> {
    const [{ horizon }] = (await this.em.execute('select churn_horizon_days as horizon from program where id = 1')) as { horizon: number }[];
    const asOfDay = utcDayNumber(asOf);
    const current = (await this.em.execute(
      'select x, tx, t_days as "T", count(*)::int as count from member_retention where x is not null group by 1, 2, 3',
    )) as WeightedSummary[];
    if (current.length === 0 || current.every((c) => c.x === 0)) return null;
    const backtestRows = this.summaries(asOfDay - horizon, asOfDay);
    backtestRows.catch(() => { /* awaited below */ });
    const fit = await fitBgNbdOffThread(current, { start: await this.storedFit(asOfDay) });
    await this.scoreMembers(fit, horizon);
    const backtest = await this.backtest(await backtestRows, asOfDay - horizon, horizon, fit);
    const [row] = await this.em.execute(
      `insert into churn_model (as_of, r, alpha, a, b, customers, log_likelihood, ks, gini, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, now())
       returning as_of as "asOf", r, alpha, a, b, customers, log_likelihood as "logLikelihood", ks, gini`,
      [asOf, fit.r, fit.alpha, fit.a, fit.b, fit.customers, fit.logLikelihood, backtest?.ks ?? null, backtest?.gini ?? null],
    );
    return withDates(row as ChurnModelRow, ['asOf']);
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

  /**
   * The model fitted at `fromDay`, scored by K-S and Gini against who did not buy in (fromDay, toDay].
   * Only main fits are stored, and the one stored as of fromDay was fitted on these same
   * purchases: the best start there is; without that much history, today's fit.
   */
  private async backtest(rows: (WeightedSummary & { bought: boolean })[], fromDay: number, horizon: number, latest: BgNbdParams): Promise<{ ks: number; gini: number } | null> {
    if (!rows.length || rows.every((r) => r.bought) || rows.every((r) => !r.bought) || rows.every((r) => r.x === 0)) return null;
    let fit: BgNbdFit;
    try {
      fit = await fitBgNbdOffThread(merge(rows), { start: (await this.storedFit(fromDay)) ?? latest });
    } catch {
      return null;
    }
    const scores: number[] = [];
    const churned: boolean[] = [];
    for (const r of rows) {
      const risk = churnRisk(fit, r, horizon);
      for (let i = 0; i < r.count; i++) {
        scores.push(risk);
        churned.push(!r.bought);
      }
    }
    return { ks: ksStatistic(scores, churned), gini: gini(scores, churned) };
  }

  /**
   * Writes P(alive) and churn risk per distinct (x, t_x, T): the scores are computed once per
   * tuple here and joined to every member in one UPDATE (arrays in, one hash join out).
   */
  private async scoreMembers(fit: BgNbdParams, horizon: number): Promise<void> {
    const tuples = (await this.em.execute(
      'select distinct x, tx, t_days as "T" from member_retention where x is not null',
    )) as { x: number; tx: number; T: number }[];
    if (!tuples.length) return;
    await this.em.execute(
      `update member_retention r set alive_probability = v.p, churn_risk = v.c
       from unnest(?::int[], ?::int[], ?::int[], ?::float8[], ?::float8[]) as v(x, tx, t, p, c)
       where r.x = v.x and r.tx = v.tx and r.t_days = v.t`,
      [tuples.map((c) => c.x), tuples.map((c) => c.tx), tuples.map((c) => c.T),
        tuples.map((c) => aliveProbability(fit, c)), tuples.map((c) => churnRisk(fit, c, horizon))].map(pgArray),
    );
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

/** Drops the holdout flag and merges identical tuples. */
export function merge(rows: (WeightedSummary & { bought?: boolean })[]): WeightedSummary[] {
  const map = new Map<string, WeightedSummary>();
  for (const r of rows) {
    const key = `${r.x}:${r.tx}:${r.T}`;
    const found = map.get(key);
    if (found) found.count += r.count;
    else map.set(key, { x: r.x, tx: r.tx, T: r.T, count: r.count });
  }
  return [...map.values()];
}

