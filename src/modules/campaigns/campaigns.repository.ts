import type { EntityManager } from '@mikro-orm/postgresql';
import { safeInteger } from '../../common/safe-integer';
import { withDates } from '../../db/rows';
import type { MemberSelection } from '../segments/segments.service';
import type { CampaignStatus } from './campaign.entities';
import type { CampaignValues } from './campaigns.rules';

/**
 * The SQL of campaign and campaign_member (the definition and its arms), and the read of
 * campaign_award's totals, in one place. Every function takes the caller's EntityManager (the
 * transaction's, for writes); none opens a transaction: the service does. Rows leave with real
 * Dates and exact values (cents as a number, the multiplier as decimal text).
 */

export interface CampaignRow extends CampaignValues {
  id: string;
  code: string;
  status: CampaignStatus;
  endedReason: string | null;
  activatedAt: Date | null;
  endedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

type RawCampaignRow = Omit<CampaignRow, 'startsAt' | 'endsAt' | 'minAmountCents'> & { startsAt: Date | string; endsAt: Date | string | null; minAmountCents: string | null };

const COLUMNS = `c.id, c.code, c.name, c.trigger, c.status, c.ended_reason as "endedReason", c.starts_at as "startsAt", c.ends_at as "endsAt",
  c.audience, c.activity_kind as "activityKind", c.min_amount_cents::text as "minAmountCents", c.bonus_points as "bonusPoints",
  c.multiplier::text as multiplier, c.reward_code as "rewardCode", c.per_member_limit as "perMemberLimit", c.budget_points as "budgetPoints",
  c.control_percent as "controlPercent", c.activated_at as "activatedAt", c.ended_at as "endedAt", c.created_at as "createdAt", c.updated_at as "updatedAt"`;

/** numeric(8,4) as text ("1.5000") in its shortest form ("1.5"), as campaignValues writes it. */
const shortDecimal = (text: string) => (text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text);

function campaignRow(raw: RawCampaignRow): CampaignRow {
  const r = withDates(raw, ['activatedAt', 'endedAt', 'createdAt', 'updatedAt']);
  return {
    ...r,
    startsAt: new Date(r.startsAt).toISOString(),
    endsAt: r.endsAt == null ? null : new Date(r.endsAt).toISOString(),
    minAmountCents: r.minAmountCents == null ? null : safeInteger(r.minAmountCents),
    multiplier: r.multiplier == null ? null : shortDecimal(r.multiplier),
  };
}

/** The budget gate's advisory lock (migration campaign_budget_gate): class and key, as campaign_effects takes it shared. */
const BUDGET_GATE = `hashtext('campaign.budget'), hashtext(c.id::text)`;

/**
 * Lock: the campaign's budget gate EXCLUSIVE, for the rest of the transaction, when `budgetPoints`
 * differs from the campaign's (a budget given, changed or removed); whether it was taken. Taken
 * before the campaign's row (`lockCampaign`): every award holds the gate SHARED from before it
 * reads the campaign to its commit (campaign_effects, migration campaign_budget_gate), so this
 * waits for the awards in flight to commit and holds new ones until the edit commits; what the
 * edit then reads of the budget's awards is all of them. First, because an award that ends its
 * campaign (BUDGET_SPENT) updates the campaign's row while holding the gate.
 */
export async function gateBudgetEdit(tx: EntityManager, code: string, budgetPoints: number | null): Promise<boolean> {
  const rows = await tx.execute<{ gated: boolean }[]>(
    `select true as gated, pg_advisory_xact_lock(${BUDGET_GATE})::text from campaign c where c.code = ? and c.budget_points is distinct from ?::int`,
    [code, budgetPoints],
  );
  return rows.length > 0;
}

/** Lock: the campaign's budget gate EXCLUSIVE, at once (`gateBudgetEdit` found the budget unchanged, and another edit changed it since). */
export async function gateBudget(tx: EntityManager, campaignId: string): Promise<void> {
  await tx.execute(`select pg_advisory_xact_lock(${BUDGET_GATE})::text from (select ?::uuid as id) c`, [campaignId]);
}

/** Lock: the campaign with this code (`for update`), as it is; null when there is none. */
export async function lockCampaign(tx: EntityManager, code: string): Promise<CampaignRow | null> {
  const [row] = await tx.execute<RawCampaignRow[]>(`select ${COLUMNS} from campaign c where c.code = ? for update`, [code]);
  return row ? campaignRow(row) : null;
}

/**
 * A new campaign's code held (a transaction advisory lock on it in lower case: first saves of
 * `Spring` and `spring` queue), and the code of another campaign only the case tells from it, if any.
 */
export async function otherCaseCode(tx: EntityManager, code: string): Promise<string | null> {
  await tx.execute(`select pg_advisory_xact_lock(hashtext('campaign.code'), hashtext(lower(?)))`, [code]);
  const [row] = await tx.execute<{ code: string }[]>('select code from campaign where lower(code) = lower(?) and code <> ? limit 1', [code, code]);
  return row?.code ?? null;
}

export async function campaignByCode(em: EntityManager, code: string): Promise<CampaignRow | null> {
  const [row] = await em.execute<RawCampaignRow[]>(`select ${COLUMNS} from campaign c where c.code = ?`, [code]);
  return row ? campaignRow(row) : null;
}

/** The member's arm in the campaign (by its code): true for control, false for treatment, null when never assigned. */
export async function armOf(em: EntityManager, code: string, memberId: string): Promise<boolean | null> {
  const [row] = await em.execute<{ control: boolean }[]>(
    'select cm.control from campaign_member cm join campaign c on c.id = cm.campaign_id where c.code = ? and cm.member_id = ?', [code, memberId]);
  return row ? row.control : null;
}

/** Every campaign, newest window first, then by code. */
export async function listCampaigns(em: EntityManager): Promise<CampaignRow[]> {
  return (await em.execute<RawCampaignRow[]>(`select ${COLUMNS} from campaign c order by c.starts_at desc, c.code`)).map(campaignRow);
}

function valueParams(v: CampaignValues): unknown[] {
  return [
    v.name, v.trigger, v.startsAt, v.endsAt, v.audience === null ? null : JSON.stringify(v.audience), v.activityKind, v.minAmountCents,
    v.bonusPoints, v.multiplier, v.rewardCode, v.perMemberLimit, v.budgetPoints, v.controlPercent,
  ];
}

/** Inserts a DRAFT campaign with this id (campaignIdOf(code)); a concurrent first insert of the code fails on a unique key. */
export async function insertCampaign(tx: EntityManager, id: string, code: string, v: CampaignValues): Promise<CampaignRow> {
  const [row] = await tx.execute<RawCampaignRow[]>(
    `insert into campaign as c (id, code, name, trigger, starts_at, ends_at, audience, activity_kind, min_amount_cents, bonus_points, multiplier,
       reward_code, per_member_limit, budget_points, control_percent, status, updated_at)
     values (?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?::numeric, ?, ?, ?, ?, 'DRAFT', now()) returning ${COLUMNS}`,
    [id, code, ...valueParams(v)],
  );
  return campaignRow(row);
}

/** Writes the definition over the campaign's row (which the caller holds locked); the status stays. */
export async function updateCampaign(tx: EntityManager, code: string, v: CampaignValues): Promise<CampaignRow> {
  const [row] = await tx.execute<RawCampaignRow[]>(
    `update campaign c set name = ?, trigger = ?, starts_at = ?, ends_at = ?, audience = ?::jsonb, activity_kind = ?, min_amount_cents = ?,
       bonus_points = ?, multiplier = ?::numeric, reward_code = ?, per_member_limit = ?, budget_points = ?, control_percent = ?, updated_at = now()
     where code = ? returning ${COLUMNS}`,
    [...valueParams(v), code],
  );
  return campaignRow(row);
}

/**
 * Moves the campaign (locked by the caller) to `status` at `at`: ACTIVE stamps activated_at the
 * first time and closes an open pause at `at`; PAUSED opens one at `at` (`paused`: the periods
 * in which it gave nothing, campaigns.rules.ts givesAt); ENDED records why and when.
 */
export async function setCampaignStatus(
  tx: EntityManager, id: string, status: CampaignStatus, at: Date, endedReason: string | null = null, endedAt: Date | null = null,
): Promise<CampaignRow> {
  const [row] = await tx.execute<RawCampaignRow[]>(
    `update campaign c set status = ?, activated_at = case when ? = 'ACTIVE' then coalesce(activated_at, ?::timestamptz) else activated_at end,
       paused = case ? when 'ACTIVE' then paused - tstzmultirange(tstzrange(?::timestamptz, null))
         when 'PAUSED' then paused + tstzmultirange(tstzrange(?::timestamptz, null)) else paused end,
       ended_reason = coalesce(?, ended_reason), ended_at = coalesce(?::timestamptz, ended_at), updated_at = now()
     where id = ? returning ${COLUMNS}`,
    [status, status, at, status, at, at, endedReason, endedAt, id],
  );
  return campaignRow(row);
}

/**
 * Assigns every member `selection` selects and the campaign has not assigned yet to its arm, as
 * of `at` (the activation's instant, or the campaign's startsAt at its first activation; the
 * nightly job's asOf; an event's arm takes the event's instant, in campaign_effects), or of the
 * member's joining when that is later (`joinedBy`: only members who had joined by then, the
 * nightly job's asOf: a run as of a past instant does not assign members who joined after it), in one statement: control iff campaign_control(campaign, member, controlPercent); a member
 * already assigned keeps its arm (on conflict do nothing), one no longer selected keeps it too.
 * Returns how many it assigned. Cross-module read: the selection is the segments module's
 * (member, tier, member_retention, point_account, member_tag), set-based.
 */
export async function assignArms(
  tx: EntityManager, campaignId: string, controlPercent: number, selection: MemberSelection, at: Date, joinedBy: Date | null = null,
): Promise<number> {
  const [row] = await tx.execute<{ n: string }[]>(
    `with assigned as (
       insert into campaign_member (campaign_id, member_id, control, assigned_at)
       select ?::uuid, s.id, campaign_control(?::uuid, s.id, ?), greatest(?::timestamptz, m.joined_at)
       from (${selection.sql}) s join member m on m.id = s.id
       ${joinedBy ? 'where m.joined_at <= ?::timestamptz' : ''}
       on conflict do nothing returning 1
     ) select count(*) as n from assigned`,
    [campaignId, campaignId, controlPercent, at, ...selection.params, ...(joinedBy ? [joinedBy] : [])],
  );
  return safeInteger(row.n);
}

/** The campaigns (ACTIVE or PAUSED) whose window has closed at `asOf`, locked (`for update`), by code. */
export async function lockCampaignsPastEnd(tx: EntityManager, asOf: Date): Promise<CampaignRow[]> {
  const rows = await tx.execute<RawCampaignRow[]>(
    `select ${COLUMNS} from campaign c where c.status in ('ACTIVE', 'PAUSED') and c.ends_at <= ? order by c.code for update`,
    [asOf],
  );
  return rows.map(campaignRow);
}

/** The ACTIVE campaigns, by code. */
export async function activeCampaigns(em: EntityManager): Promise<CampaignRow[]> {
  return (await em.execute<RawCampaignRow[]>(`select ${COLUMNS} from campaign c where c.status = 'ACTIVE' order by c.code`)).map(campaignRow);
}

/**
 * An award's points given, net of what refunds took back (they reversed `reversed_points`, of
 * which the member had spent `unrecovered_points`): SQL over campaign_award's columns. The one
 * formula pointsGiven, the budget and the report count by (migration award_sources_and_recovery
 * writes it into campaign_budget_reset).
 */
export const NET_POINTS = 'points - reversed_points + unrecovered_points';

/** A campaign's totals over its awards: the points it has given and what its budget has paid, both net of what refunds took back. */
export interface AwardTotals { pointsGiven: number; budgetSpent: number }

/**
 * Each of these campaigns' award totals: points given, Σ NET_POINTS; budget spent, that plus
 * the issued rewards' costPoints (budgetSpent below, for many campaigns in one statement).
 */
export async function awardTotals(em: EntityManager, campaignIds: readonly string[]): Promise<Map<string, AwardTotals>> {
  if (!campaignIds.length) return new Map();
  const rows = await em.execute<{ id: string; given: string; spent: string }[]>(
    `select campaign_id as id, coalesce(sum(${NET_POINTS}), 0)::text as given, coalesce(sum(${NET_POINTS} + reward_points), 0)::text as spent
     from campaign_award where campaign_id in (?) group by campaign_id`,
    [campaignIds as string[]],
  );
  return new Map(rows.map((r) => [r.id, { pointsGiven: safeInteger(r.given), budgetSpent: safeInteger(r.spent) }]));
}

/**
 * Locks the campaign's budget slots (slot order, as campaign_budget_reset and a take's
 * rebalancing lock them): no award takes from the budget until this transaction ends, and awards
 * that took from it before have committed, so what the budget has paid, read next, stays true.
 */
export async function lockBudget(tx: EntityManager, campaignId: string): Promise<void> {
  await tx.execute('select 1 from campaign_budget b where b.campaign_id = ? order by b.slot for update', [campaignId]);
}

/** What a campaign's budget has paid so far: its awards' points net of what refunds took back, and its issued rewards' costPoints. */
export async function budgetSpent(em: EntityManager, campaignId: string): Promise<number> {
  return (await awardTotals(em, [campaignId])).get(campaignId)?.budgetSpent ?? 0;
}

