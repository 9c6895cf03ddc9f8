import { createHash } from 'node:crypto';
import { badInput } from '../../common/errors';
import { hasVisibleText } from '../../common/text.rules';
import type { CampaignStatus, CampaignTrigger } from './campaign.entities';
import { MoneyInputError, parseDecimalScaled, parseMoneyToCents } from '../../common/money';
import { MAX_INT32 } from '../../common/safe-integer';

/**
 * Whether a member is in a campaign's control group: the first 32 bits of
 * md5(`${campaignId}:${memberId}`), unsigned, modulo 100, below controlPercent. The same as
 * the SQL function campaign_control (migration Migration20261207090000_campaigns_foundation):
 * deterministic, so re-evaluating the audience never moves anyone, and about controlPercent %
 * of any large set of members lands in control.
 */
export function controlArm(campaignId: string, memberId: string, controlPercent: number): boolean {
  const bucket = createHash('md5').update(`${campaignId}:${memberId}`).digest().readUInt32BE(0) % 100;
  return bucket < controlPercent;
}

/**
 * A PURCHASE campaign's multiplier effect: extra = floor(base × (multiplier − 1)), base being
 * the points the programme rate gives before tier and benefit multipliers. The multiplier is an
 * exact decimal string (at most 4 decimals): computed in integers, never in floats.
 */
export function multiplierExtra(basePoints: number, multiplier: string): number {
  const m = /^(\d+)(?:\.(\d{1,4}))?$/.exec(multiplier);
  if (!m) throw new Error(`not a multiplier: ${multiplier}`);
  const tenThousandths = BigInt(m[1]) * 10_000n + BigInt((m[2] ?? '').padEnd(4, '0'));
  if (tenThousandths <= 10_000n || basePoints <= 0) return 0;
  return Number((BigInt(basePoints) * (tenThousandths - 10_000n)) / 10_000n);
}

/**
 * A campaign's id: md5('campaign:' || code)::uuid, the same bytes in TypeScript as in SQL. The
 * id follows from the code alone, so a simulation of a code never saved assigns the arms the
 * real campaign will (campaign_control hashes the id).
 */
export function campaignIdOf(code: string): string {
  const h = createHash('md5').update(`campaign:${code}`, 'utf8').digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export type CampaignAction = 'activate' | 'pause' | 'end';

const TARGET: Record<CampaignAction, CampaignStatus> = { activate: 'ACTIVE', pause: 'PAUSED', end: 'ENDED' };
const FROM: Record<CampaignAction, CampaignStatus[]> = { activate: ['DRAFT', 'PAUSED'], pause: ['ACTIVE'], end: ['DRAFT', 'ACTIVE', 'PAUSED'] };

/**
 * The lifecycle DRAFT → ACTIVE → PAUSED ↔ ACTIVE → ENDED (and DRAFT or PAUSED → ENDED): the
 * status `action` leads to from `from`; `noop` when the campaign is already there (the action
 * repeated: idempotent, nothing written); null when the transition is not allowed.
 */
export function lifecycleStep(from: CampaignStatus, action: CampaignAction): { to: CampaignStatus; noop: boolean } | null {
  const to = TARGET[action];
  if (from === to) return { to, noop: true };
  return FROM[action].includes(from) ? { to, noop: false } : null;
}

/**
 * A campaign as it stands at `now`: one that has run (ACTIVE or PAUSED) and whose endsAt has
 * come is ENDED, endedReason ENDS_AT, endedAt its endsAt, whether or not the nightly
 * re-evaluation has written so yet (domain.md, "Time": a rule holds at its own instant, never
 * at whenever the job fired). Its awards stop at endsAt either way; this is what a client reads
 * and what a lifecycle action starts from. A DRAFT never ran: it stays a DRAFT.
 */
export function standingAt<T extends { status: CampaignStatus; endsAt: string | null; endedReason: string | null; endedAt: Date | null }>(c: T, now: Date): T {
  if ((c.status !== 'ACTIVE' && c.status !== 'PAUSED') || c.endsAt === null || new Date(c.endsAt).getTime() > now.getTime()) return c;
  return { ...c, status: 'ENDED', endedReason: 'ENDS_AT', endedAt: new Date(c.endsAt) };
}

/**
 * A segment filter as a campaign stores it: conditions that select nothing away (null, an
 * empty list) dropped, dates as ISO text; a filter without conditions is null (every member).
 */
export function normalizedAudience(filter: Record<string, unknown> | null | undefined): Record<string, unknown> | null {
  if (!filter) return null;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(filter).sort()) {
    const v = filter[key];
    if (v == null || (Array.isArray(v) && v.length === 0)) continue;
    out[key] = v instanceof Date ? v.toISOString() : Array.isArray(v) ? [...(v as unknown[])] : v;
  }
  return Object.keys(out).length ? out : null;
}

/** The fields whose values differ between two flat records (values compared as JSON). */
export function changedFields<T extends object>(before: T, after: T): (keyof T)[] {
  return (Object.keys(after) as (keyof T)[]).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
}

/** A campaign as an admin writes it (upsertCampaign), money and multiplier as the API gives them. */
export interface CampaignDefinition {
  code: string;
  name: string;
  trigger: CampaignTrigger;
  startsAt: Date;
  endsAt?: Date | null;
  audience?: Record<string, unknown> | null;
  activityKind?: string | null;
  minAmount?: number | null;
  bonusPoints?: number | null;
  multiplier?: number | null;
  rewardCode?: string | null;
  perMemberLimit?: number | null;
  budgetPoints?: number | null;
  controlPercent?: number | null;
}

/** A campaign's definition as stored: exact (cents, a decimal string), instants as ISO text, the audience normalised. */
export interface CampaignValues {
  name: string;
  trigger: CampaignTrigger;
  startsAt: string;
  endsAt: string | null;
  audience: Record<string, unknown> | null;
  activityKind: string | null;
  minAmountCents: number | null;
  bonusPoints: number | null;
  multiplier: string | null;
  rewardCode: string | null;
  perMemberLimit: number | null;
  budgetPoints: number | null;
  controlPercent: number;
}

/**
 * Stored values as the audit log shows them: the API's field names and units, as an operator
 * typed them (`minAmount` in money, not `minAmountCents`; `multiplier` a number, not its text).
 */
export function auditedValues(v: Partial<CampaignValues>): Record<string, unknown> {
  const { minAmountCents, multiplier, ...rest } = v;
  return {
    ...rest,
    ...(minAmountCents !== undefined ? { minAmount: minAmountCents === null ? null : minAmountCents / 100 } : {}),
    ...(multiplier !== undefined ? { multiplier: multiplier === null ? null : Number(multiplier) } : {}),
  };
}

/** A stored field's name as the API (and so the audit log) names it. */
export const auditedField = (field: keyof CampaignValues): string => (field === 'minAmountCents' ? 'minAmount' : field);

/** A multiplier above this is a typing mistake, not a promotion (a tier's multiplier stops at 100 too). */
export const MAX_CAMPAIGN_MULTIPLIER = 100;
export const CAMPAIGN_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

/** A decimal with at most 4 decimals as its shortest exact text: 1.5 → "1.5", 2 → "2". */
export function multiplierText(units: bigint): string {
  const int = units / 10_000n;
  const frac = (units % 10_000n).toString().padStart(4, '0').replace(/0+$/, '');
  return frac ? `${int}.${frac}` : `${int}`;
}

function positiveInt(value: number | null | undefined, field: string): number | null {
  if (value == null) return null;
  if (!Number.isInteger(value) || value < 1 || value > MAX_INT32) throw badInput(field, `${field} must be a whole number from 1 to ${MAX_INT32}`);
  return value;
}

function money(value: number, field: string): number {
  try {
    return parseMoneyToCents(value, field);
  } catch (err) {
    if (err instanceof MoneyInputError) throw badInput(field, err.message);
    throw err;
  }
}

function multiplierOf(value: number): string {
  let units: bigint;
  try {
    units = parseDecimalScaled(value, 4, 'multiplier').units;
  } catch (err) {
    if (err instanceof MoneyInputError) throw badInput('multiplier', err.message);
    throw err;
  }
  if (units <= 10_000n || units > BigInt(MAX_CAMPAIGN_MULTIPLIER) * 10_000n) {
    throw badInput('multiplier', `multiplier must be greater than 1 and at most ${MAX_CAMPAIGN_MULTIPLIER}`);
  }
  return multiplierText(units);
}

function instant(value: Date | null | undefined, field: string): string | null {
  if (value == null) return null;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw badInput(field, `${field} is not a date`);
  return d.toISOString();
}

/**
 * Checks a definition on its own (what needs no lookup: the audience's filter, the activity
 * kind and the reward are the service's to check) and returns it as stored. Each refusal is
 * BAD_USER_INPUT naming the field, with a message saying what is expected.
 */
export function campaignValues(d: CampaignDefinition): CampaignValues {
  if (!CAMPAIGN_CODE.test(d.code)) throw badInput('code', 'code is 1 to 64 letters, digits, _ . -');
  const name = d.name.trim();
  if (!hasVisibleText(name) || name.length > 200) throw badInput('name', 'name is required (a visible character), at most 200 characters');
  const startsAt = instant(d.startsAt, 'startsAt')!;
  const endsAt = instant(d.endsAt, 'endsAt');
  if (endsAt !== null && endsAt <= startsAt) throw badInput('endsAt', 'endsAt must be after startsAt');
  const purchase = d.trigger === 'PURCHASE';
  if (d.minAmount != null && !purchase) throw badInput('minAmount', 'minAmount applies to PURCHASE campaigns only');
  if (d.multiplier != null && !purchase && d.trigger !== 'REFERRAL') {
    throw badInput('multiplier', 'multiplier applies to PURCHASE and REFERRAL campaigns only (it multiplies a purchase\'s base points, or the referrer\'s referral points)');
  }
  const activityKind = d.activityKind == null || d.activityKind === '' ? null : d.activityKind;
  if (d.trigger === 'ACTIVITY' && activityKind === null) throw badInput('activityKind', 'an ACTIVITY campaign needs activityKind');
  if (d.trigger !== 'ACTIVITY' && activityKind !== null) throw badInput('activityKind', 'activityKind applies to ACTIVITY campaigns only');
  const rewardCode = d.rewardCode == null || d.rewardCode === '' ? null : d.rewardCode;
  if (d.bonusPoints == null && d.multiplier == null && rewardCode === null) {
    throw badInput('bonusPoints', 'a campaign needs at least one effect: bonusPoints, multiplier or rewardCode');
  }
  const controlPercent = d.controlPercent ?? 10;
  if (!Number.isInteger(controlPercent) || controlPercent < 0 || controlPercent > 50) {
    throw badInput('controlPercent', 'controlPercent must be a whole number from 0 to 50');
  }
  return {
    name, trigger: d.trigger, startsAt, endsAt,
    audience: normalizedAudience(d.audience),
    activityKind,
    minAmountCents: d.minAmount == null ? null : money(d.minAmount, 'minAmount'),
    bonusPoints: positiveInt(d.bonusPoints, 'bonusPoints'),
    multiplier: d.multiplier == null ? null : multiplierOf(d.multiplier),
    rewardCode,
    perMemberLimit: positiveInt(d.perMemberLimit, 'perMemberLimit'),
    budgetPoints: positiveInt(d.budgetPoints, 'budgetPoints'),
    controlPercent,
  };
}

export type EffectTrigger = 'PURCHASE' | 'ACTIVITY' | 'REGISTRATION' | 'TIER_UPGRADE' | 'CHECK_IN' | 'REFERRAL';

/** An ACTIVE campaign as the effects see it (held in memory with the configuration's version). */
export interface EffectCampaign extends GivingTimes {
  id: string; code: string; trigger: EffectTrigger;
  activityKind: string | null; minAmountCents: number | null; bonusPoints: number | null; multiplier: string | null; rewardCode: string | null;
}

/**
 * When a campaign that has been activated gives: its window [startsAt, endsAt), before `endedAt`
 * (when it stopped giving: its endsAt, an admin's end; null while it runs or is paused) and
 * outside its pauses ([from, until): until null while paused). A campaign whose budget ran out
 * gives nothing more, to any event: it is not held at all (program.repository.ts configRows).
 */
export interface GivingTimes { startsAt: Date; endsAt: Date | null; endedAt: Date | null; paused: readonly (readonly [Date, Date | null])[] }

/**
 * Whether a campaign gives to an event dated `at`: judged at that instant alone, never by when
 * the event arrives (domain.md, "Time"). A purchase posted late, dated inside the window before
 * the campaign ended, is given what it would have got posted on time; one dated during a pause
 * gets nothing, whether it arrives during the pause or after the campaign resumed.
 */
export function givesAt(c: GivingTimes, at: Date): boolean {
  const t = at.getTime();
  return inWindowAt(c, at) && (c.endedAt == null || t < c.endedAt.getTime())
    && !c.paused.some(([from, until]) => from.getTime() <= t && (until == null || t < until.getTime()));
}

/**
 * A triggering event: a purchase (its amount and base points: the programme rate's, before tier
 * and benefit multipliers), an activity (its kind), a registration, an upgrade, a completed
 * referral (its base points: the referrer's referral points, which a multiplier multiplies; the
 * member is the referrer).
 */
export interface EffectEvent { trigger: EffectTrigger; at: Date; amountCents?: number; basePoints?: number; activityKind?: string }

/**
 * The campaigns that may act on an event, in the order they apply (starts_at, then code), with
 * the points each would give: the trigger, whether it gave at the event's instant (`givesAt`:
 * its window, its end, its pauses), and the conditions (minAmount for a purchase, activityKind
 * for an activity). The member's audience, arm, limit and the budget are the database's to
 * check, at the write. Points past the int range are given as its top: the statement's
 * parameter is an int, and passing more failed every event the campaign matched, members outside
 * its audience included; for one inside, the award then takes the balance past the range and is
 * refused as before (BAD_USER_INPUT on the write's field).
 */
export function matchingCampaigns<C extends EffectCampaign>(campaigns: readonly C[], e: EffectEvent): { campaign: C; points: number }[] {
  return campaigns
    .filter((c) => c.trigger === e.trigger && givesAt(c, e.at))
    .filter((c) => e.trigger !== 'PURCHASE' || (e.amountCents ?? 0) >= (c.minAmountCents ?? 0))
    .filter((c) => e.trigger !== 'ACTIVITY' || c.activityKind == null || c.activityKind === e.activityKind)
    .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime() || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0))
    .map((campaign) => ({
      campaign,
      points: Math.min(MAX_INT32, (campaign.bonusPoints ?? 0)
        + ((e.trigger === 'PURCHASE' || e.trigger === 'REFERRAL') && campaign.multiplier ? multiplierExtra(e.basePoints ?? 0, campaign.multiplier) : 0)),
    }));
}

/** Whether `at` is inside a campaign's window [startsAt, endsAt) (a null endsAt: no end). */
export function inWindowAt(c: { startsAt: Date; endsAt: Date | null }, at: Date): boolean {
  const t = at.getTime();
  return c.startsAt.getTime() <= t && (c.endsAt == null || t < c.endsAt.getTime());
}

/**
 * The points a refund takes back from an award, as the purchase's own reversal (points.rules.ts
 * refundReversal): cumulative, floor(points × refunded in all / amount) less what earlier
 * refunds took, so refunds adding up to the whole take back exactly what was given.
 */
export function awardReversal(points: number, amountCents: number, refundedCentsAfter: number, reversedBefore: number): number {
  if (amountCents <= 0) return 0;
  const through = Number((BigInt(points) * BigInt(Math.min(refundedCentsAfter, amountCents))) / BigInt(amountCents));
  return Math.max(0, through - reversedBefore);
}
