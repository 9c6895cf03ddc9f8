import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { prepared } from '../../db/entity-manager';
import { withDates } from '../../db/rows';
import { type DowngradePolicy, Program } from './program.entity';
import { PURCHASE_DAY_INDEX, purchaseDayIndexSql } from '../points/points.entities';

/** The programme's settings row (id 1, from the first migration on). */
const SETTINGS_ID = 1;

export function programSettings(em: EntityManager): Promise<Program> {
  return em.findOneOrFail(Program, SETTINGS_ID);
}

/**
 * The programme's settings as the other modules' statements decide with them, read in the
 * caller's transaction or EntityManager (raw SQL: a SQL-only transaction may read it too). One
 * row, one statement; each module takes its fields (the points ledger, the tier engine, imports,
 * the retention refresh).
 */
export interface ProgrammeSettings {
  pointsPerUnit: number;
  pointsExpiryMonths: number | null;
  pointsPendingDays: number;
  allowNegativeBalance: boolean;
  /** The programme's IANA time zone (what a day is). */
  timeZone: string;
  /** The tier qualification window and a tier's validity, in months. */
  windowMonths: number;
  validityMonths: number;
  policy: DowngradePolicy;
  noticeDays: number;
  /** The latest review run's asOf. */
  reviewedThrough: Date | null;
  churnHorizonDays: number;
}

export async function settingsRow(em: EntityManager): Promise<ProgrammeSettings> {
  const [row] = await em.execute<ProgrammeSettings[]>(
    `select points_per_unit::float8 as "pointsPerUnit", points_expiry_months as "pointsExpiryMonths", points_pending_days as "pointsPendingDays",
       allow_negative_balance as "allowNegativeBalance", time_zone as "timeZone", qualification_window_months as "windowMonths",
       tier_validity_months as "validityMonths", downgrade_policy as policy, tier_notice_days as "noticeDays",
       tier_reviewed_through as "reviewedThrough", churn_horizon_days as "churnHorizonDays"
     from program where id = 1`,
  );
  return withDates(row, ['reviewedThrough']);
}

/** Lock: the settings row (`for update`), for an update of the settings in the caller's transaction. */
export function lockProgram(tx: EntityManager): Promise<Program> {
  return tx.findOneOrFail(Program, SETTINGS_ID, { lockMode: LockMode.PESSIMISTIC_WRITE });
}

/**
 * Whether PostgreSQL knows the time zone by this name (its tz database may differ from the
 * runtime's: a zone Node's Intl knows and PostgreSQL does not would fail every local-day query).
 */
export async function postgresKnowsZone(tx: EntityManager, zone: string): Promise<boolean> {
  const [row] = await tx.execute<{ known: boolean }[]>('select exists (select 1 from pg_timezone_names where name = ?) as known', [zone]);
  return row.known;
}

/**
 * Rebuilds purchase_member_day_index for the programme's new time zone, in the caller's
 * transaction (the update's: the new zone and its index commit together, or neither does).
 * Cross-module DDL on purchase (the points module's table; the index is declared in
 * points.entities.ts). It holds purchase writes for as long as the build takes: a time zone
 * is set once, when a programme starts, not changed in business hours.
 */
export async function rebuildPurchaseDayIndex(tx: EntityManager, zone: string): Promise<void> {
  await tx.execute(`drop index if exists "${PURCHASE_DAY_INDEX}"`);
  await tx.execute(purchaseDayIndexSql(zone));
}

/** A tier of the ladder as the purchase path decides with it. */
export interface ConfigRung { id: string; code: string; rank: number; qualifyingPoints: number; retainPoints: number; multiplier: number }

/** A version of a benefit as benefit_version stores it (its snapshot's values), with when it was saved. */
export interface ConfigBenefitVersion {
  code: string; version: number; changedAt: Date;
  kind: string; active: boolean; value: number | null; validFrom: Date | null; validTo: Date | null; tierCodes: string[]; requiredTags: string[];
}

/** The configuration a purchase decides with, and the config_version it was read at. */
export interface ConfigRows {
  version: string;
  pointsPerUnit: number; pointsExpiryMonths: number | null; pointsPendingDays: number; allowNegativeBalance: boolean;
  windowMonths: number; validityMonths: number; policy: DowngradePolicy; noticeDays: number;
  /** The programme's IANA time zone: what a day, a month and a birthday mean (docs/decisions.md, "Programme-local days"). */
  timeZone: string;
  /** Check-in points by streak day (daily check-in decides with them). */
  checkInPoints: number[];
  ladder: ConfigRung[];
  multiplierBenefits: ConfigBenefitVersion[];
  /**
   * The ACTIVE campaigns (issue 24) as `campaign` stores them, at the same version: the
   * campaigns module reads them (campaign-effects.service.ts campaignsOf). JSON rows, in
   * (starts_at, code) order.
   */
  /** Every campaign ever activated that can give at some instant (ACTIVE, PAUSED or ENDED, not by its budget; campaigns.rules.ts givesAt). */
  givingCampaigns: Record<string, unknown>[];
  /** Referrals (issue 25): what a completing purchase gives each side, the hold, the referrer's monthly limit. */
  referrerPoints: number; refereePoints: number; referralHoldDays: number; referralMonthlyLimit: number;
}

/**
 * The configuration and its version, in one statement (one snapshot: the version is the one
 * these rows were at). Cross-module read: `tier` (tiers), `benefit_version` (benefits) and
 * `campaign` (campaigns: those ever activated, which a purchase's effects depend on),
 * every version of each benefit that was ever a POINTS_MULTIPLIER (a later version may have
 * changed its kind: the version in force at an instant decides).
 */
export async function configRows(em: EntityManager): Promise<ConfigRows> {
  const [row] = await em.execute<(Omit<ConfigRows, 'multiplierBenefits'> & { multiplierBenefits: (Omit<ConfigBenefitVersion, 'changedAt' | 'validFrom' | 'validTo'> & { changedAt: string; validFrom: string | null; validTo: string | null })[] })[]>(
    `select (select version::text from config_version where id = 1) as version,
       p.points_per_unit::float8 as "pointsPerUnit", p.points_expiry_months as "pointsExpiryMonths", p.points_pending_days as "pointsPendingDays",
       p.allow_negative_balance as "allowNegativeBalance", p.qualification_window_months as "windowMonths", p.tier_validity_months as "validityMonths",
       p.downgrade_policy as policy, p.tier_notice_days as "noticeDays", p.time_zone as "timeZone", p.check_in_points as "checkInPoints",
       coalesce((select json_agg(json_build_object('id', t.id, 'code', t.code, 'rank', t.rank, 'qualifyingPoints', t.qualifying_points,
         'retainPoints', t.retain_points, 'multiplier', t.points_multiplier::float8) order by t.rank) from tier t), '[]') as ladder,
       coalesce((select json_agg(json_build_object('code', bv.code, 'version', bv.version, 'changedAt', bv.changed_at,
         'kind', bv.snapshot->>'kind', 'active', (bv.snapshot->>'active')::boolean, 'value', (bv.snapshot->>'value')::float8,
         'validFrom', bv.snapshot->>'validFrom', 'validTo', bv.snapshot->>'validTo',
         'tierCodes', coalesce(bv.snapshot->'tierCodes', '[]'), 'requiredTags', coalesce(bv.snapshot->'requiredTags', '[]')) order by bv.code, bv.version)
         from benefit_version bv where bv.code in (select code from benefit_version where snapshot->>'kind' = 'POINTS_MULTIPLIER')), '[]') as "multiplierBenefits",
       coalesce((select json_agg(json_build_object('id', c.id, 'code', c.code, 'trigger', c.trigger, 'startsAt', c.starts_at, 'endsAt', c.ends_at,
         'endedAt', c.ended_at, 'paused', (select coalesce(json_agg(json_build_array(lower(r), upper(r)) order by r), '[]') from unnest(c.paused) r),
         'audience', c.audience, 'activityKind', c.activity_kind, 'minAmountCents', c.min_amount_cents::text, 'bonusPoints', c.bonus_points,
         'multiplier', c.multiplier::text, 'rewardCode', c.reward_code) order by c.starts_at, c.code collate "C")
         from campaign c where c.activated_at is not null and (c.ended_at is null or c.ended_at > c.starts_at)
           and c.ended_reason is distinct from 'BUDGET_SPENT'), '[]') as "givingCampaigns",
       p.referrer_points as "referrerPoints", p.referee_points as "refereePoints", p.referral_hold_days as "referralHoldDays",
       p.referral_monthly_limit as "referralMonthlyLimit"
     from program p where p.id = ?`,
    [SETTINGS_ID],
  );
  const date = (s: string | null) => (s == null ? null : new Date(s));
  return {
    ...row,
    multiplierBenefits: row.multiplierBenefits.map((b) => ({ ...b, changedAt: new Date(b.changedAt), validFrom: date(b.validFrom), validTo: date(b.validTo) })),
  };
}

/** The configuration's version now. */
export async function configVersion(em: EntityManager): Promise<string> {
  const [row] = await em.execute<{ version: string }[]>(prepared('select version::text as version from config_version where id = 1'));
  return row.version;
}
