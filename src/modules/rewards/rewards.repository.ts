import type { EntityManager } from '@mikro-orm/postgresql';
import { keyset } from '../../common/pagination';
import { pgArray, pgTextArray } from '../../db/entity-manager';
import * as locks from '../../db/locks';
import { withDates } from '../../db/rows';

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
  /** Whether it took a unit of the reward's stock (null: made before that was recorded; migration redemption_took_stock). */
  tookStock: boolean | null;
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
  expires_at as "expiresAt", used_at as "usedAt", used_at_store as "usedAtStore", use_idempotency_key as "useIdempotencyKey",
  took_stock as "tookStock"`;
export const rewardRow = (r: RewardRow) => withDates(r, ['validFrom', 'validTo']);
export const redemptionRow = <T extends RedemptionRow>(r: T): T => withDates(r, ['createdAt', 'expiresAt', 'usedAt']);

const one = async <T>(rows: Promise<unknown[]>, map: (r: T) => T): Promise<T | null> => {
  const [row] = (await rows) as T[];
  return row ? map(row) : null;
};

/*
 * The locks (db/locks.ts takes them, in the one order of every writer: account, member,
 * redemption, reward), as this module's typed rows.
 */

/** The reward, locked for the rest of the transaction (a patch, an upsert). */
export async function lockReward(tx: EntityManager, code: string): Promise<RewardRow | null> {
  // The code first (a transaction advisory lock): two first upserts of a code have no row to lock yet, and both recorded a `reward.create`.
  // Locked by its code in lower case: first upserts of `Latte` and `latte` queue, and the second finds the first (otherCaseCode).
  await tx.execute(`select pg_advisory_xact_lock(hashtext('reward.code'), hashtext(lower(?)))`, [code]);
  const row = await locks.lockReward<RewardRow>(tx, code, REWARD_COLUMNS);
  return row ? rewardRow(row) : null;
}

/** The code of another reward that only the case tells from `code`, if any. */
export async function otherCaseCode(em: EntityManager, code: string): Promise<string | null> {
  const [row] = await em.execute<{ code: string }[]>('select code from reward where lower(code) = lower(?) and code <> ? limit 1', [code, code]);
  return row?.code ?? null;
}

/** A redemption by id, locked (a cancellation, after its member's account). */
export async function lockRedemption(tx: EntityManager, id: string): Promise<RedemptionRow | null> {
  const row = await locks.lockRedemption<RedemptionRow>(tx, id, REDEMPTION_COLUMNS);
  return row ? redemptionRow(row) : null;
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

/** A redemption by its coupon's normalised code (redemption_coupon_key_unique). */
export function redemptionByCouponKey(em: EntityManager, couponKey: string, erased = true): Promise<RedemptionRow | null> {
  const live = erased ? '' : ' and exists (select 1 from member m where m.id = redemption.member_id and m.erased_at is null)';
  return one(em.execute(`select ${REDEMPTION_COLUMNS} from redemption where coupon_key = ?${live}`, [couponKey]), redemptionRow);
}

/**
 * The same, with the row locked until the transaction ends: a use and a cancel of one coupon
 * (which locks it too, after its member's account) are decided one after the other, each on
 * what the other left.
 */
export async function lockRedemptionByCouponKey(tx: EntityManager, couponKey: string): Promise<RedemptionRow | null> {
  const row = await locks.lockRedemptionByCouponKey<RedemptionRow>(tx, couponKey, REDEMPTION_COLUMNS);
  return row ? redemptionRow(row) : null;
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

/**
 * Creates or replaces the reward with this code. The row as the driver returns it (dates not
 * yet mapped: the audit entry records it so); rewardRow maps it.
 */
export async function upsertReward(tx: EntityManager, code: string, v: RewardValues): Promise<RewardRow> {
  const [row] = await tx.execute<RewardRow[]>(
    `insert into reward (id, code, name, description, face_value, cost_points, stock, per_member_limit, tier_codes, active, valid_from, valid_to,
       coupon_valid_days, updated_at)
     values (gen_random_uuid(), ?, ?, ?, ?::numeric, ?, ?, ?, ?::text[], ?, ?, ?, ?, now())
     on conflict (code) do update set name = excluded.name, description = excluded.description, face_value = excluded.face_value,
       cost_points = excluded.cost_points, stock = excluded.stock, per_member_limit = excluded.per_member_limit, tier_codes = excluded.tier_codes,
       active = excluded.active, valid_from = excluded.valid_from, valid_to = excluded.valid_to, coupon_valid_days = excluded.coupon_valid_days,
       updated_at = now()
     returning ${REWARD_COLUMNS}`,
    [code, v.name, v.description, v.faceValue, v.costPoints, v.stock, v.perMemberLimit, pgTextArray(v.tierCodes),
      v.active, v.validFrom, v.validTo, v.couponValidDays],
  );
  return row;
}

export async function listRewards(em: EntityManager): Promise<RewardRow[]> {
  return (await em.execute<RewardRow[]>(`select ${REWARD_COLUMNS} from reward order by cost_points, code`)).map(rewardRow);
}

/**
 * The rewards a member may redeem at `now`: active, in their window, for the tier `tierId` (null:
 * the member row's, read in the same statement) or all tiers, in stock, and under their
 * per-member limit for this member (its redemptions not cancelled, as redeem counts them).
 */
export async function rewardsOpenTo(em: EntityManager, memberId: string, now: Date, tierId: string | null = null): Promise<RewardRow[]> {
  const rows = await em.execute<RewardRow[]>(
    `select ${rewardColumns('r.')} from reward r join member m on m.id = ? join tier t on t.id = coalesce(?::uuid, m.tier_id)
     where r.active and (r.valid_from is null or r.valid_from <= ?) and (r.valid_to is null or r.valid_to > ?)
       and (cardinality(r.tier_codes) = 0 or t.code = any(r.tier_codes)) and (r.stock is null or r.stock > 0)
       and (r.per_member_limit is null or (select count(*) from redemption d
         where d.member_id = m.id and d.reward_id = r.id and d.status <> 'CANCELLED') < r.per_member_limit)
     order by r.cost_points, r.code`,
    [memberId, tierId, now, now],
  );
  return rows.map(rewardRow);
}

export async function rewardsByIds(em: EntityManager, ids: readonly string[]): Promise<RewardRow[]> {
  return (await em.execute<RewardRow[]>(`select ${REWARD_COLUMNS} from reward where id in (?)`, [ids as string[]])).map(rewardRow);
}

export function rewardByCode(em: EntityManager, code: string): Promise<RewardRow | null> {
  return one(em.execute(`select ${REWARD_COLUMNS} from reward where code = ?`, [code]), rewardRow);
}

/** The reward's stock (null: unlimited); undefined when there is no such reward. */
export async function rewardStock(em: EntityManager, code: string): Promise<{ stock: number | null; active: boolean } | undefined> {
  const [row] = await em.execute<{ stock: number | null; active: boolean }[]>('select stock, active from reward where code = ?', [code]);
  return row;
}

/** Takes one unit of stock if there is one left; false when there is not. Locks the reward row (the last lock a redemption takes). */
export async function takeStock(tx: EntityManager, rewardId: string): Promise<boolean> {
  const took = await tx.execute('update reward set stock = stock - 1 where id = ? and stock > 0 returning stock', [rewardId]);
  return took.length > 0;
}

/**
 * Gives back the unit of stock a cancelled redemption took (the reward row is locked): none when
 * it took none (its reward had no stock then: a stock set since is not raised by it); one made
 * before that was recorded (`tookStock` null) gives one back when the reward has a stock.
 */
export async function restock(tx: EntityManager, redemption: Pick<RedemptionRow, 'rewardId' | 'tookStock'>): Promise<void> {
  if (redemption.tookStock === false) return;
  // Saturates at the int column's top: a stock set to 2147483647 is unlimited in practice, and
  // one unit more overflowed the column, which refused every cancellation (INTERNAL_SERVER_ERROR).
  await tx.execute('update reward set stock = least(stock, 2147483646) + 1 where id = ? and stock is not null', [redemption.rewardId]);
}

/** A tier's code, by id (the tier a member held at an instant: PointsService.catchUpTier). Cross-module read: `tier`. */
export async function tierCode(tx: EntityManager, tierId: string): Promise<string> {
  const [t] = await tx.execute<{ code: string }[]>('select code from tier where id = ?', [tierId]);
  return t.code;
}

/** The code of the member's current tier. Cross-module read: `member` and `tier`. */
export async function memberTierCode(tx: EntityManager, memberId: string): Promise<string> {
  const [m] = await tx.execute<{ code: string }[]>('select t.code from member m join tier t on t.id = m.tier_id where m.id = ?', [memberId]);
  return m.code;
}

/** A member's redemption by its idempotency key (the member's own), with its reward's code (a retry compares it). */
export async function redemptionByKey(em: EntityManager, memberId: string, key: string): Promise<(RedemptionRow & { rewardCode: string }) | null> {
  const [row] = await em.execute<(RedemptionRow & { rewardCode: string })[]>(
    `select ${REDEMPTION_COLUMNS}, (select code from reward where id = reward_id) as "rewardCode" from redemption
     where member_id = ? and idempotency_key = ? and exists (select 1 from member m where m.id = redemption.member_id and m.erased_at is null)`,
    [memberId, key],
  );
  return row ? redemptionRow(row) : null;
}

export interface NewRedemption {
  memberId: string; rewardId: string; points: number; couponCode: string; idempotencyKey: string; transactionId: string; createdAt: Date; expiresAt: Date | null;
  tookStock: boolean;
}

export async function insertRedemption(tx: EntityManager, r: NewRedemption): Promise<RedemptionRow> {
  const [row] = await tx.execute<RedemptionRow[]>(
    `insert into redemption (id, member_id, reward_id, points, coupon_code, status, idempotency_key, transaction_id, created_at, expires_at, took_stock)
     values (gen_random_uuid(), ?, ?, ?, ?, 'ISSUED', ?, ?, ?, ?, ?) returning ${REDEMPTION_COLUMNS}`,
    [r.memberId, r.rewardId, r.points, r.couponCode, r.idempotencyKey, r.transactionId, r.createdAt, r.expiresAt, r.tookStock],
  );
  return redemptionRow(row);
}

/** Redemptions of the reward by the member that kept their points (issued, used or expired; not cancelled). */
export async function redemptionsKept(tx: EntityManager, memberId: string, rewardId: string): Promise<number> {
  const [{ n }] = await tx.execute<{ n: number }[]>(
    `select count(*)::int as n from redemption where member_id = ? and reward_id = ? and status <> 'CANCELLED'`, [memberId, rewardId],
  );
  return n;
}

/** The member a redemption belongs to; null when there is no such redemption. */
export async function redemptionOwner(em: EntityManager, id: string): Promise<string | null> {
  const [row] = await em.execute<{ memberId: string }[]>('select member_id as "memberId" from redemption where id = ?', [id]);
  return row?.memberId ?? null;
}

export async function markCancelled(tx: EntityManager, id: string, at: Date, reason: string): Promise<RedemptionRow> {
  const [row] = await tx.execute<RedemptionRow[]>(
    `update redemption set status = 'CANCELLED', cancelled_at = ?, cancel_reason = ? where id = ? returning ${REDEMPTION_COLUMNS}`,
    [at, reason, id],
  );
  return redemptionRow(row);
}

/** A page of the member's redemptions, newest first (keyset on seq); one row more than `first` if there is a next page. */
export async function redemptionsPage(em: EntityManager, memberId: string, first: number, afterSeq: string | null): Promise<RedemptionRow[]> {
  const page = keyset('r.seq', 'desc', afterSeq);
  const rows = await em.execute<RedemptionRow[]>(
    `select ${REDEMPTION_COLUMNS} from redemption r where r.member_id = ? and ${page.where} ${page.orderBy} limit ?`,
    [memberId, ...page.params, first + 1],
  );
  return rows.map(redemptionRow);
}

/**
 * The first page (the latest `limit` redemptions, newest first) of each member's redemptions, in
 * one statement (redemptionsPage's first page for a list of members: one statement, not one per member).
 */
export async function redemptionsFirstPages(em: EntityManager, memberIds: readonly string[], limit: number): Promise<RedemptionRow[]> {
  const rows = await em.execute<RedemptionRow[]>(
    `select h.* from unnest(?::uuid[]) as m(mid) cross join lateral (
       select ${REDEMPTION_COLUMNS} from redemption r where r.member_id = m.mid order by r.seq desc limit ?) h`,
    [pgArray(memberIds), limit],
  );
  return rows.map(redemptionRow);
}

/** The member's coupons still ISSUED (not cancelled, used or expired at `now`), by id: what an erasure cancels. */
export async function issuedRedemptionIds(tx: EntityManager, memberId: string, now: Date): Promise<string[]> {
  const rows = await tx.execute<{ id: string }[]>(
    `select id from redemption where member_id = ? and status = 'ISSUED' and (expires_at is null or expires_at > ?) order by id`, [memberId, now],
  );
  return rows.map((r) => r.id);
}

/** Whether the member was erased (cross-module read of `member`: its coupons are then no coupon to a till). */
export async function memberErased(em: EntityManager, memberId: string): Promise<boolean> {
  const [row] = await em.execute<{ erased: boolean }[]>('select erased_at is not null as erased from member where id = ?', [memberId]);
  return row?.erased ?? false;
}

/** Every redemption id of the member (its coupons, whatever their status), in id order. */
export async function redemptionIdsOf(tx: EntityManager, memberId: string): Promise<string[]> {
  const rows = await tx.execute<{ id: string }[]>('select r.id::text as id from redemption r where r.member_id = ? order by r.id', [memberId]);
  return rows.map((r) => r.id);
}

/** Personal values quoted in the member's cancellation reasons replaced by '[erased]' (text_scrub). */
export async function scrubCancelReasons(tx: EntityManager, memberId: string, values: string[]): Promise<void> {
  await tx.execute(
    `update redemption set cancel_reason = text_scrub(cancel_reason, ?::text[])
     where member_id = ? and cancel_reason is not null and cancel_reason <> text_scrub(cancel_reason, ?::text[])`,
    [pgTextArray(values), memberId, pgTextArray(values)],
  );
}
