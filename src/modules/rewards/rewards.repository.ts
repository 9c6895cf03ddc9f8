import type { EntityManager } from '@mikro-orm/postgresql';
import { pgTextArray } from '../../db/entity-manager';
import { withDates } from '../points/points.repository';

/**
 * The catalogue's and the coupons' SQL. Every function takes the caller's EntityManager (a
 * transaction's, for the locking ones); none opens a transaction of its own: the service does.
 */

export interface RewardRow {
  id: string; code: string; name: string; description: string | null; faceValue: number | null; costPoints: number;
  stock: number | null; perMemberLimit: number | null; tierCodes: string[]; active: boolean; validFrom: Date | null; validTo: Date | null;
  couponValidDays: number | null;
}
export interface RedemptionRow {
  id: string; seq: string; memberId: string; rewardId: string; points: number; couponCode: string;
  /** As stored: ISSUED, USED or CANCELLED (EXPIRED is derived: rewards.rules.ts couponStatus). */
  status: string;
  createdAt: Date; transactionId: string; idempotencyKey: string;
  couponKey: string; expiresAt: Date | null; usedAt: Date | null; usedAtStore: string | null; useIdempotencyKey: string | null;
}

/** A reward's editable fields, as upsert and patches write them. */
export interface RewardValues {
  name: string; description: string | null; faceValue: string | null; costPoints: number; stock: number | null; perMemberLimit: number | null;
  tierCodes: string[]; active: boolean; validFrom: Date | null; validTo: Date | null; couponValidDays: number | null;
}

export const rewardColumns = (p = '') => `${p}id, ${p}code, ${p}name, ${p}description, ${p}face_value::float8 as "faceValue",
  ${p}cost_points as "costPoints", ${p}stock, ${p}per_member_limit as "perMemberLimit", ${p}tier_codes as "tierCodes", ${p}active,
  ${p}valid_from as "validFrom", ${p}valid_to as "validTo", ${p}coupon_valid_days as "couponValidDays"`;
export const REWARD_COLUMNS = rewardColumns();
export const REDEMPTION_COLUMNS = `id, seq::text, member_id as "memberId", reward_id as "rewardId", points, coupon_code as "couponCode", status,
  created_at as "createdAt", transaction_id::text as "transactionId", idempotency_key as "idempotencyKey", coupon_key as "couponKey",
  expires_at as "expiresAt", used_at as "usedAt", used_at_store as "usedAtStore", use_idempotency_key as "useIdempotencyKey"`;
export const rewardRow = (r: RewardRow) => withDates(r, ['validFrom', 'validTo']);
export const redemptionRow = (r: RedemptionRow) => withDates(r, ['createdAt', 'expiresAt', 'usedAt']);

const one = async <T>(rows: Promise<unknown[]>, map: (r: T) => T): Promise<T | null> => {
  const [row] = (await rows) as T[];
  return row ? map(row) : null;
};

/** The reward, locked for the rest of the transaction (a patch, an upsert). */
export function lockReward(tx: EntityManager, code: string): Promise<RewardRow | null> {
  return one(tx.execute(`select ${REWARD_COLUMNS} from reward where code = ? for update`, [code]), rewardRow);
}

export function updateReward(tx: EntityManager, code: string, v: RewardValues): Promise<RewardRow | null> {
  return one(tx.execute(
    `update reward set name = ?, description = ?, face_value = ?::numeric, cost_points = ?, stock = ?, per_member_limit = ?, tier_codes = ?::text[],
       active = ?, valid_from = ?, valid_to = ?, coupon_valid_days = ?, updated_at = now()
     where code = ? returning ${REWARD_COLUMNS}`,
    [v.name, v.description, v.faceValue, v.costPoints, v.stock, v.perMemberLimit, pgTextArray(v.tierCodes), v.active, v.validFrom, v.validTo,
      v.couponValidDays, code],
  ), rewardRow);
}

/** The tier codes of `codes` that name no tier. */
export async function unknownTiers(tx: EntityManager, codes: string[]): Promise<string[]> {
  const rows = (await tx.execute('select c from unnest(?::text[]) as c where c not in (select code from tier)', [pgTextArray(codes)])) as { c: string }[];
  return rows.map((r) => r.c);
}

/** A redemption by its coupon's normalised code (redemption_coupon_key_unique). */
export function redemptionByCouponKey(em: EntityManager, couponKey: string): Promise<RedemptionRow | null> {
  return one(em.execute(`select ${REDEMPTION_COLUMNS} from redemption where coupon_key = ?`, [couponKey]), redemptionRow);
}

/**
 * The same, with the row locked until the transaction ends: a use and a cancel of one coupon
 * (which locks it too, after its member's account) are decided one after the other, each on
 * what the other left.
 */
export function lockRedemptionByCouponKey(tx: EntityManager, couponKey: string): Promise<RedemptionRow | null> {
  return one(tx.execute(`select ${REDEMPTION_COLUMNS} from redemption where coupon_key = ? for update`, [couponKey]), redemptionRow);
}

/** The redemption a till's useCoupon key marked used, if any. */
export function redemptionByUseKey(em: EntityManager, useKey: string): Promise<RedemptionRow | null> {
  return one(em.execute(`select ${REDEMPTION_COLUMNS} from redemption where use_idempotency_key = ?`, [useKey]), redemptionRow);
}

/** ISSUED → USED; only from ISSUED (null when the row is no longer ISSUED). */
export function markUsed(tx: EntityManager, id: string, use: { usedAt: Date; store: string | null; useKey: string }): Promise<RedemptionRow | null> {
  return one(tx.execute(
    `update redemption set status = 'USED', used_at = ?, used_at_store = ?, use_idempotency_key = ?
     where id = ? and status = 'ISSUED' returning ${REDEMPTION_COLUMNS}`,
    [use.usedAt, use.store, use.useKey, id],
  ), redemptionRow);
}
