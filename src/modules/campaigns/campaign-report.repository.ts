import type { EntityManager } from '@mikro-orm/postgresql';
import { safeInteger } from '../../common/safe-integer';
import type { CampaignTrigger } from './campaign.entities';
import type { UuidRange } from '../../common/uuid-range.rules';
import type { ArmAggregate } from './campaign-report.rules';
import type { CampaignValues } from './campaigns.rules';
import { NET_POINTS } from './campaigns.repository';

/**
 * The campaign report's and the simulation's SQL (issue 24), set-based: one statement each,
 * whatever the number of members. Every function takes the caller's EntityManager; none
 * writes.
 *
 * Both span modules, as the purchase's hot-path statement does: they read the points module's
 * `purchase`, `refund` and `activity`, the tiers module's `tier_change`, the members module's
 * `member` (registrations), the check-in module's `check_in` and the referrals module's
 * `referral` (the CHECK_IN and REFERRAL triggers' events), the rewards module's `reward` (an
 * issued reward's cost; the simulation's coupons: its stock, limit and state) and `redemption`
 * (what a member holds of it, the campaign's own coupons) and the
 * programme's `program.point_value`, beside this module's `campaign`, `campaign_member` and
 * `campaign_award`. A report is a read over other modules' facts by the campaign's arms; going
 * through each module's service would mean one member at a time.
 */

/** The campaign a report is about: its id and window. */
/** `endedAt`: when it was ended (endCampaign, a spent budget, its end passed): it gives nothing to events from then on. */
export interface ReportCampaignRow { id: string; code: string; startsAt: Date; endsAt: Date | null; endedAt: Date | null }

export async function reportCampaign(em: EntityManager, code: string): Promise<ReportCampaignRow | null> {
  const [row] = await em.execute<{ id: string; code: string; starts_at: Date; ends_at: Date | null; ended_at: Date | null }[]>(
    'select id, code, starts_at, ends_at, ended_at from campaign where code = ?', [code],
  );
  return row ? {
    id: row.id, code: row.code, startsAt: new Date(row.starts_at), endsAt: row.ends_at && new Date(row.ends_at), endedAt: row.ended_at && new Date(row.ended_at),
  } : null;
}

/**
 * The latest instant of the campaign's awards dated at or after `from` (its end), or null. An
 * award can be dated after the instant its campaign was ended: one whose event came in while an
 * admin's end or the award that spent the budget was being written (its check made before that
 * end committed, its event dated after the end's instant: a till's clock ahead within the
 * allowed skew, or the end's instant its transaction's start). Reads the campaign's awards (no
 * index by date): only for a campaign that ended.
 */
export async function lastAwardFrom(em: EntityManager, campaignId: string, from: Date): Promise<Date | null> {
  const [row] = await em.execute<{ at: Date | null }[]>(
    'select max(occurred_at) as at from campaign_award where campaign_id = ? and occurred_at >= ?', [campaignId, from],
  );
  return row?.at ? new Date(row.at) : null;
}

/** Both arms' aggregates over one range of members (reportArms). */
export interface ArmSums { treatment: ArmAggregate; control: ArmAggregate }

/** What the campaign gave in the window, and the programme's point value (exact text). */
export interface AwardSums { pointsGiven: number; rewardPoints: number; pointValue: string }

type ArmRow = Record<`${'t' | 'c'}_${'members' | 'buyers' | 'purchases' | 'spend' | 'spend2'}`, string>;

/**
 * The report's memory for its hash aggregate, for the rest of the transaction `tx`: at 1M
 * members the per-member sums of the window's purchases outgrow the default 4 MB and spill to disk.
 */
export async function useReportWorkMem(tx: EntityManager): Promise<void> {
  await tx.execute(`set local work_mem = '256MB'`);
}

/** One arm's columns: its members, buyers, purchases, Σ spend and Σ spend² (exact: bigint sums, the squares in numeric). */
const armColumns = (prefix: 't' | 'c', arm: string) => `count(*) filter (where ${arm}) as ${prefix}_members,
         count(s.member_id) filter (where ${arm}) as ${prefix}_buyers,
         coalesce(sum(s.purchases) filter (where ${arm}), 0) as ${prefix}_purchases,
         coalesce(sum(s.cents) filter (where ${arm}), 0) as ${prefix}_spend,
         coalesce(sum(s.cents::numeric * s.cents) filter (where ${arm}), 0) as ${prefix}_spend2`;

/**
 * Both arms over [from, to), for the members from `range.low` to `range.high` (the report splits
 * the members by range and sums the parts, inSharedSnapshot): every member assigned by `to`
 * (buyer or not), the purchases its members made in the window, each net of the refunds dated
 * before `refundsBefore` (the report's asOf, at or after `to`: a return after the campaign's end
 * takes its purchase's money out of GMV, as it takes the award's points out of the cost; and net
 * of what a history import recorded as refunded, which has no date); per arm the count of members, buyers (a purchase in the window) and purchases,
 * Σ net spend and Σ net spend² per member. One statement: the window's purchases summed per
 * member first (one pass; only a purchase with refunds, refunded_cents > 0, looks them up, by
 * order on refund_order_index, as retention's refundedBy does), then the arms joined to those
 * sums by hash, both arms in one aggregate (filters, no sort by arm). Joining every purchase to
 * its order's refunds by hash instead measured 2–5× slower at 1M members and 10M purchases,
 * and joining the arms to every purchase before grouping about 1.5× slower
 * (docs/benchmarks.md). Cross-module read (see the file's comment).
 */
export async function reportArms(em: EntityManager, campaignId: string, from: Date, to: Date, refundsBefore: Date, range: UuidRange): Promise<ArmSums> {
  const [row] = await em.execute<ArmRow[]>(
    `with spend as (
       select p.member_id, count(*) as purchases,
         sum(p.amount_cents - case when p.refunded_cents = 0 then 0
           else p.refunded_cents - (select coalesce(sum(r.amount_cents), 0) from refund r where r.order_id = p.order_id and r.occurred_at >= ?)::bigint end) as cents
       from purchase p
       where p.occurred_at >= ? and p.occurred_at < ? and p.member_id between ? and ?
       group by p.member_id
     )
     select ${armColumns('t', 'not a.control')},
       ${armColumns('c', 'a.control')}
     from campaign_member a left join spend s on s.member_id = a.member_id
     where a.campaign_id = ? and a.assigned_at <= ? and a.member_id between ? and ?`,
    [refundsBefore, from, to, range.low, range.high, campaignId, to, range.low, range.high],
  );
  const arm = (prefix: 't' | 'c'): ArmAggregate => ({
    members: safeInteger(row[`${prefix}_members`]), buyers: safeInteger(row[`${prefix}_buyers`]), purchases: safeInteger(row[`${prefix}_purchases`]),
    spendCents: BigInt(row[`${prefix}_spend`]), spendSquaredCents: BigInt(row[`${prefix}_spend2`]),
  });
  return { treatment: arm('t'), control: arm('c') };
}

/**
 * The campaign's awards for events in [from, to) to the members the report counts (assigned by
 * `to`, as reportArms): points net of reversals, issued rewards' points; and program.point_value.
 * An award dated before its member's arm (a purchase dated before the member joined, posted
 * after) costs nothing in a report that ends before the arm: its member and purchase are not
 * in that report either. Every award's member has an arm, so the awards left out are those of
 * the few members assigned after `to` (a hashed list: at 1M members and 450,000 awards, 0.1–0.3 s
 * over the plain sum, where a semi-join of every award to its arm added 0.6 s).
 */
export async function reportAwards(em: EntityManager, campaignId: string, from: Date, to: Date): Promise<AwardSums> {
  const [row] = await em.execute<{ points: string; reward_points: string; point_value: string }[]>(
    `select coalesce(sum(${NET_POINTS}), 0)::text as points, coalesce(sum(reward_points), 0)::text as reward_points,
       (select point_value::text from program where id = 1) as point_value
     from campaign_award w
     where w.campaign_id = ? and w.occurred_at >= ? and w.occurred_at < ?
       and w.member_id not in (select a.member_id from campaign_member a where a.campaign_id = ? and a.assigned_at > ?)`,
    [campaignId, from, to, campaignId, to],
  );
  return { pointsGiven: safeInteger(row.points), rewardPoints: safeInteger(row.reward_points), pointValue: row.point_value };
}

/** An active or inactive reward's costPoints by code; null when there is none. Cross-module read (rewards' `reward`). */
export async function rewardCostPoints(em: EntityManager, code: string): Promise<number | null> {
  const [row] = await em.execute<{ cost_points: number }[]>('select cost_points from reward where code = ?', [code]);
  return row ? row.cost_points : null;
}

/** A campaign's definition as the simulation applies it: the stored values (cents, the multiplier as exact text) with the arms' key and the audience as a query. */
export type SimulatedCampaign = Omit<CampaignValues, 'name' | 'startsAt' | 'endsAt' | 'audience'> & {
  /** The arms' key: campaignIdOf(code), or the stored campaign's id. */
  id: string;
  /** The audience as one query of member ids (segments' memberSelection) and its parameters. */
  audience: { sql: string; params: unknown[] };
};

export interface SimulationSums { eligibleMembers: number; qualifyingEvents: number; points: number; awards: number; rewardCostPoints: number; pointValue: string }

/** Each trigger's events by the eligible members in [from, to): member, instant, source key (the award's), base points. */
const EVENTS: Record<CampaignTrigger, string> = {
  PURCHASE: `select p.member_id, p.occurred_at as at, 'purchase:' || p.order_id as source, p.qualifying_points as base
    from purchase p join eligible e on e.member_id = p.member_id
    where p.occurred_at >= ? and p.occurred_at < ? and p.amount_cents >= ?`,
  ACTIVITY: `select a.member_id, a.occurred_at as at, 'activity:' || a.idempotency_key as source, 0 as base
    from activity a join eligible e on e.member_id = a.member_id
    where a.occurred_at >= ? and a.occurred_at < ? and a.kind = ?
      -- an activity the daily cap left with nothing (its rule gives points) earned no bonus
      and not (a.points = 0 and a.qualifying_points = 0 and exists (select 1 from activity_rule r where r.kind = a.kind and r.points > 0))`,
  REGISTRATION: `select m.id as member_id, m.joined_at as at, 'registration:' || m.id as source, 0 as base
    from member m join eligible e on e.member_id = m.id
    where m.joined_at >= ? and m.joined_at < ? and ?::text is null`,
  TIER_UPGRADE: `select c.member_id, c.occurred_at as at, 'tier:' || c.id as source, 0 as base
    from tier_change c join eligible e on e.member_id = c.member_id
    where c.occurred_at >= ? and c.occurred_at < ? and c.kind = 'UPGRADE' and c.superseded_at is null and ?::text is null`,
  CHECK_IN: `select c.member_id, c.checked_in_at as at, 'check_in:' || c.member_id || ':' || c.day as source, c.points as base
    from check_in c join eligible e on e.member_id = c.member_id
    where c.checked_in_at >= ? and c.checked_in_at < ? and ?::text is null`,
  REFERRAL: `select r.referrer_id as member_id, r.completed_at as at, 'referral:' || r.id as source, r.referrer_points as base
    from referral r join eligible e on e.member_id = r.referrer_id
    where r.completed_at >= ? and r.completed_at < ? and r.status in ('COMPLETED', 'REVERSED') and ?::text is null`,
};

/**
 * What a campaign would have given over [from, to), in one statement that writes nothing:
 * the audience's members now, treatment arm only (campaign_control with the campaign's id);
 * their events of the trigger in the window meeting the conditions; each priced at
 * bonusPoints + floor(base × (multiplier − 1)) (numeric: exact); then as an award goes
 * (campaign_effects), in event order (instant, then source):
 * - the reward's coupon, as the award would issue it: none for an inactive reward; a member
 *   gets one while it holds fewer of the reward (not cancelled) than the reward's per-member
 *   limit, and while the campaign's own perMemberLimit leaves room; with a stock, only the first
 *   `stock` such coupons in event order. The reward as it is now, this campaign's own coupons
 *   given back (their units to the stock, their places in the members' limits): a simulation of
 *   a campaign that ran draws on what it drew on. So a member's coupons are the first of its
 *   events, up to the first of those three limits;
 * - an event that gives no points and no coupon is no award (as campaign_effects' NOTHING, or
 *   OUT_OF_STOCK, REWARD_LIMIT for a coupon-only campaign): it takes no place in perMemberLimit;
 * - the member's first perMemberLimit awards kept;
 * - the running sum of what each award costs the budget (its points, and its coupon's
 *   costPoints): an award the rest cannot cover ends the campaign, so exactly the awards whose
 *   running sum stays within the budget are given (all or nothing).
 * Cross-module read (see the file's comment).
 */
export async function simulationSums(em: EntityManager, c: SimulatedCampaign, from: Date, to: Date): Promise<SimulationSums> {
  const condition = c.trigger === 'PURCHASE' ? (c.minAmountCents ?? 0) : c.trigger === 'ACTIVITY' ? c.activityKind : null;
  const [row] = await em.execute<{ eligible: string; events: string; points: string; awards: string; coupons: string; reward_cost: string; point_value: string }[]>(
    `with eligible as materialized (
       select s.id as member_id from (${c.audience.sql}) s where not campaign_control(?::uuid, s.id, ?)
     ),
     events as materialized (${EVENTS[c.trigger]}),
     own as materialized (  -- this campaign's coupons standing (a campaign that ran), given back to what it drew on
       select d.id, d.member_id, d.took_stock from campaign_award a join redemption d on d.id = a.coupon_id
       where a.campaign_id = ?::uuid and d.status <> 'CANCELLED'
     ),
     gift as (  -- the reward, active only (an inactive one gives no coupon)
       select r.id, r.cost_points::bigint as cost, r.per_member_limit as lim,
         r.stock::bigint + (select count(*) from own where own.took_stock is not false) as stock
       from reward r where r.code = ?::text and r.active
     ),
     held as (  -- what each member holds of it now (not cancelled), this campaign's coupons left out
       select d.member_id, count(*) as n from redemption d join gift r on r.id = d.reward_id
       where r.lim is not null and d.status <> 'CANCELLED' and d.member_id in (select member_id from events)
         and not exists (select 1 from own where own.id = d.id)
       group by d.member_id
     ),
     priced as (
       select e.member_id, e.at, e.source,
         (coalesce(?::int, 0) + coalesce(floor(e.base * (?::numeric - 1)), 0))::bigint as points,
         row_number() over (partition by e.member_id order by e.at, e.source) as nth
       from events e
     ),
     may as (  -- a coupon if the stock lasts: the member's first events, within both limits
       select p.*, r.id is not null and p.nth <= least(coalesce(?::int, p.nth), coalesce(r.lim - coalesce(h.n, 0), p.nth)) as may
       from priced p left join gift r on true left join held h on h.member_id = p.member_id
     ),
     stocked as (
       select m.*, m.may and (r.stock is null
           or count(*) filter (where m.may) over (order by m.at, m.source, m.member_id rows unbounded preceding) <= r.stock) as coupon
       from may m left join gift r on true
     ),
     limited as (
       select * from (
         select s.*, count(*) filter (where s.coupon or s.points > 0)
           over (partition by s.member_id order by s.at, s.source rows unbounded preceding) as kth
         from stocked s
       ) k where (coupon or points > 0) and (?::int is null or kth <= ?::int)
     ),
     budgeted as (
       select l.points, l.coupon,
         sum(l.points + case when l.coupon then r.cost else 0 end) over (order by l.at, l.source, l.member_id rows unbounded preceding) as spent
       from limited l left join gift r on true
     ),
     given as (select * from budgeted where ?::bigint is null or spent <= ?::bigint)
     select (select count(*) from eligible)::text as eligible, (select count(*) from events)::text as events,
       coalesce(sum(g.points), 0)::text as points, count(g.*)::text as awards, count(*) filter (where g.coupon)::text as coupons,
       coalesce((select cost from gift), 0)::text as reward_cost,
       (select point_value::text from program where id = 1) as point_value
     from given g`,
    [
      ...c.audience.params, c.id, c.controlPercent,
      from, to, condition,
      c.id, c.rewardCode,
      c.bonusPoints, c.multiplier,
      c.perMemberLimit,
      c.perMemberLimit, c.perMemberLimit,
      c.budgetPoints, c.budgetPoints,
    ],
  );
  return {
    eligibleMembers: safeInteger(row.eligible), qualifyingEvents: safeInteger(row.events), points: safeInteger(row.points),
    awards: safeInteger(row.awards), rewardCostPoints: safeInteger(row.coupons) * safeInteger(row.reward_cost), pointValue: row.point_value,
  };
}
