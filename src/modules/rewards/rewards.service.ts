import type { EntityManager } from '@mikro-orm/postgresql';
import { resolveOccurredAt } from '../../common/clock';
import { AppError, assertReason, badInput, conflict, couponNotUsable, ErrorCode, notFound, otherCaseOf } from '../../common/errors';
import { formatCents, MoneyInputError, parseMoneyToCents } from '../../common/money';
import { decodeCursor, encodeCursor, groupBy, pageOf, type Page } from '../../common/pagination';
import { lockAccount, lockRewardById, type LockedAccount } from '../../db/locks';
import { idempotentWrite, inSqlTransaction, inTransaction } from '../../db/transaction';
import { SYSTEM_ACTOR, type Actor } from '../actor';
import { AuditService } from '../audit/audit.service';
import { isUuid } from '../members/members.service';
import type { PointsService } from '../points/points.service';
import { returnCouponCost, sourceCoupons } from '../campaigns/campaign-effects.service';
import { unknownTierCodes } from '../tiers/tiers.service';
import * as rewardsRepo from './rewards.repository';
import type { RedemptionRow, RewardRow, RewardValues } from './rewards.repository';
import {
  applyPatch, couponCancelRefusal, couponExpiresAt, couponUseRefusal, isAffordable, MAX_COUPON_VALID_DAYS, newCouponCode, normalizeCouponCode, type CouponRefusal,
  type PatchSpec, unreleasedFor,
} from './rewards.rules';

export type { RedemptionRow, RewardRow } from './rewards.repository';

export interface RewardInput {
  code: string; name: string; description?: string | null; faceValue?: number | null; costPoints: number; stock?: number | null;
  perMemberLimit?: number | null; tierCodes?: string[] | null; active: boolean; validFrom?: Date | null; validTo?: Date | null;
  couponValidDays?: number | null;
}
/** A partial update: a field absent (not an own property) is kept, null clears a nullable one (and is refused on the others). */
export type RewardPatch = { [K in Exclude<keyof RewardInput, 'code'>]?: RewardInput[K] | null };
export interface RedeemInput { memberId: string; rewardCode: string; idempotencyKey: string; occurredAt?: Date | null }
export interface UseCouponInput { couponCode: string; idempotencyKey: string; storeId?: string | null; occurredAt?: Date | null }

/** Why an erasure cancelled a coupon (its redemption's cancelReason). */
export const ERASURE_CANCEL_REASON = 'member erased';

type RewardFields = Omit<RewardRow, 'id' | 'code'>;
const REWARD_PATCH: PatchSpec<RewardFields> = {
  name: 'required', description: 'nullable', faceValue: 'nullable', costPoints: 'required', stock: 'nullable', perMemberLimit: 'nullable',
  tierCodes: 'required', active: 'required', validFrom: 'nullable', validTo: 'nullable', couponValidDays: 'nullable',
};
/** Longer than any code we issue with separators (19), with room for spaces: anything longer is not a code. */
const MAX_COUPON_INPUT = 64;

/** The kind of a member's redemptions' cursors (on the redemption's seq). */
const REDEMPTION_CURSOR = 'redemption';

/** What a reward's fields are written as, checked as upsert and patches both check them. */
function rewardValues(input: Omit<RewardInput, 'code'>): RewardValues {
  if (input.validFrom && input.validTo && input.validTo <= input.validFrom) throw badInput('validTo', 'validTo must be after validFrom');
  let faceValue: string | null = null;
  if (input.faceValue != null) {
    try {
      faceValue = formatCents(parseMoneyToCents(input.faceValue, 'faceValue'));
    } catch (err) {
      if (err instanceof MoneyInputError) throw badInput(err.field, err.message);
      throw err;
    }
  }
  const days = input.couponValidDays ?? null;
  if (days != null && (!Number.isInteger(days) || days < 1 || days > MAX_COUPON_VALID_DAYS)) {
    throw badInput('couponValidDays', `couponValidDays must be a whole number from 1 to ${MAX_COUPON_VALID_DAYS}`);
  }
  return {
    name: input.name, description: input.description ?? null, faceValue, costPoints: input.costPoints, stock: input.stock ?? null,
    perMemberLimit: input.perMemberLimit ?? null, tierCodes: [...new Set(input.tierCodes ?? [])].sort(), active: input.active,
    validFrom: input.validFrom ?? null, validTo: input.validTo ?? null, couponValidDays: days,
  };
}

/** RewardInput's fields beyond the base contract's (the store part's, and the validity window): kept by an upsert that leaves them out. */
const KEPT_WHEN_ABSENT = ['description', 'faceValue', 'couponValidDays', 'validFrom', 'validTo'] as const;

/** The input with each KEPT_WHEN_ABSENT field it leaves out (undefined) taken from the stored reward. */
function withKeptFields(input: RewardInput, stored: RewardRow): RewardInput {
  const kept: Partial<RewardInput> = Object.fromEntries(KEPT_WHEN_ABSENT.filter((f) => input[f] === undefined).map((f) => [f, stored[f]]));
  return { ...input, ...kept };
}

/** The same values in one comparable form (dates as instants, money as its 2-decimal text). */
const sameValues = (a: RewardValues, b: RewardValues) => {
  const key = (v: RewardValues) => JSON.stringify({ ...v, validFrom: v.validFrom?.getTime() ?? null, validTo: v.validTo?.getTime() ?? null });
  return key(a) === key(b);
};

/** The normalised lookup key of a code as typed; BAD_USER_INPUT when it cannot be one. */
function couponKeyOf(raw: string): string {
  if (raw.length > MAX_COUPON_INPUT) throw badInput('couponCode', `couponCode must be at most ${MAX_COUPON_INPUT} characters`);
  const key = normalizeCouponCode(raw);
  if (!key) throw badInput('couponCode', 'couponCode must contain letters or digits');
  return key;
}

const refused = (r: CouponRefusal) => couponNotUsable(r.status, r.message, r.field ? { field: r.field } : {});


/** The catalogue and redemptions: eligibility, stock, limit and balance checked in one transaction. */
export class RewardsService {
  constructor(private readonly em: EntityManager, private readonly audit: AuditService, private readonly points: PointsService) {}

  /**
   * Creates the reward or replaces its definition. Of an existing reward, the fields beyond the
   * base contract's RewardInput (KEPT_WHEN_ABSENT) that the input leaves out keep their values: a
   * client written against the base contract cannot send them, and its edit of the stock must
   * not open a scheduled reward or make its coupons never expire. An explicit null clears them.
   */
  async upsert(actor: Actor, input: RewardInput): Promise<RewardRow> {
    rewardValues(input); // the input's own values checked before anything is read
    return inTransaction(this.em, async (tx) => {
      const before = await rewardsRepo.lockReward(tx, input.code);
      const otherCase = before ? null : await rewardsRepo.otherCaseCode(tx, input.code);
      if (otherCase) throw otherCaseOf('code', 'reward', input.code, otherCase);
      const v = rewardValues(before ? withKeptFields(input, before) : input);
      const unknown = await unknownTierCodes(tx, v.tierCodes);
      if (unknown.length) throw badInput('tierCodes', `Unknown tier ${unknown[0]}`);
      // The same reward again (a retry) writes nothing: no update, no audit entry.
      if (before) {
        const { id: _id, code: _code, ...fields } = before;
        if (sameValues(rewardValues(fields), v)) return before;
      }
      const row = await rewardsRepo.upsertReward(tx, input.code, v);
      this.audit.record(tx, actor, { action: before ? 'reward.update' : 'reward.create', entity: 'Reward', entityId: input.code, before: before ?? null, after: row });
      await tx.flush();
      return rewardsRepo.rewardRow(row);
    });
  }

  /**
   * Changes the fields the patch gives, nothing else (rewards.rules.ts applyPatch), checked as
   * upsert checks them. A patch that changes nothing writes nothing: no update, no audit entry.
   * The reward row is locked, so concurrent patches apply one after the other.
   */
  async update(actor: Actor, code: string, patch: RewardPatch): Promise<RewardRow> {
    return inTransaction(this.em, async (tx) => {
      const current = await rewardsRepo.lockReward(tx, code);
      if (!current) throw notFound('Reward', code);
      const { id: _id, code: _code, ...fields } = current;
      const before = rewardValues(fields);
      const next = rewardValues(applyPatch<RewardFields>(fields, patch, REWARD_PATCH).next);
      if (sameValues(before, next)) return current;
      const unknown = await unknownTierCodes(tx, next.tierCodes);
      if (unknown.length) throw badInput('tierCodes', `Unknown tier ${unknown[0]}`);
      const row = (await rewardsRepo.updateReward(tx, code, next))!;
      this.audit.record(tx, actor, { action: 'reward.update', entity: 'Reward', entityId: code, before: current, after: row });
      await tx.flush();
      return row;
    });
  }

  async list(): Promise<RewardRow[]> {
    return rewardsRepo.listRewards(this.em);
  }

  /**
   * What a member may redeem now (active, in its window, its tier eligible, in stock, its limit
   * not reached), with affordability. The tier is the one a redemption now is judged on
   * (checkEligible): a tier that has expired and that no review has recorded yet is not offered.
   */
  async forMember(memberId: string, now = new Date()): Promise<(RewardRow & { affordable: boolean })[]> {
    const [bal] = (await this.points.balances([memberId], now)).values();
    const balance = bal?.balance ?? 0;
    const tierId = await this.points.heldTierAt(memberId, now);
    const rows = await rewardsRepo.rewardsOpenTo(this.em, memberId, now, tierId);
    return rows.map((r) => ({ ...r, affordable: isAffordable(r.costPoints, balance) }));
  }

  async byIds(ids: readonly string[]): Promise<RewardRow[]> {
    return rewardsRepo.rewardsByIds(this.em, ids);
  }

  /**
   * Redeems a reward for a member. Locks the member's account, checks eligibility, validity,
   * per-member limit and balance, debits lots soonest-expiring first, issues a coupon and
   * takes one unit of stock last (account before reward, as cancellation does). The same
   * idempotency key (the member's own: keys are unique per member) returns the same
   * redemption, even for retries in flight.
   */
  async redeem(actor: Actor, input: RedeemInput, now = new Date()): Promise<RedemptionRow> {
    if (!isUuid(input.memberId)) throw notFound('Member', input.memberId);
    const occurredAt = resolveOccurredAt(actor, input.occurredAt, now);
    const replay = async (em: EntityManager) => {
      const r = await rewardsRepo.redemptionByKey(em, input.memberId, input.idempotencyKey);
      if (!r) return null;
      // As a purchase's: a retry without occurredAt is the same redemption; with it (services
      // and admins), only at the stored instant (whether the first call gave it or took the clock).
      const sameWhen = input.occurredAt == null || r.createdAt.getTime() === input.occurredAt.getTime();
      if (r.rewardCode !== input.rewardCode || !sameWhen) {
        throw conflict(`Idempotency key ${input.idempotencyKey} was used with another payload`, { field: 'idempotencyKey' });
      }
      return r;
    };
    return idempotentWrite(this.em, replay, async () => {
      // Sold out: answer at once, before taking any lock (a replay above still returns the
      // stored redemption). The check inside the transaction is the one that counts.
      const known = await rewardsRepo.rewardStock(this.em, input.rewardCode);
      if (known && unreleasedFor(actor.role, known)) throw notFound('Reward', input.rewardCode);
      if (known && known.stock != null && known.stock <= 0) {
        // The unit may have gone to this very key, committed since the replay above (a double
        // tap: the first tap took the last unit while the second was on its way): its answer.
        const settled = await replay(this.em);
        if (settled) return settled;
        throw new AppError(ErrorCode.OUT_OF_STOCK, `${input.rewardCode} is out of stock`);
      }
      return this.redeemLocked(actor, input, occurredAt, replay);
    });
  }

  private redeemLocked(actor: Actor, input: RedeemInput, occurredAt: Date, replay: (em: EntityManager) => Promise<RedemptionRow | null>): Promise<RedemptionRow> {
    return inSqlTransaction(this.em, async (tx) => {
      const account = await lockAccount(tx, input.memberId);
      if (!account) throw notFound('Member', input.memberId);
      const settled = await replay(tx);
      if (settled) return settled;
      // The reward row is not locked here: redemptions of one reward by different members
      // must not queue behind each other. Stock is taken by one atomic conditional UPDATE,
      // last, so the row lock it takes is held only from there to the commit.
      const reward = await rewardsRepo.rewardByCode(tx, input.rewardCode);
      if (!reward || unreleasedFor(actor.role, reward)) throw notFound('Reward', input.rewardCode);
      await this.checkEligible(tx, account, reward, input.memberId, occurredAt);
      const outOfStock = () => new AppError(ErrorCode.OUT_OF_STOCK, `${reward.code} is out of stock`);
      if (reward.stock != null && reward.stock <= 0) throw outOfStock(); // sold out: answer at once
      const couponCode = newCouponCode();
      const txn = await this.points.debit(tx, account, {
        memberId: input.memberId, type: 'REDEEM', amount: reward.costPoints, occurredAt,
        reason: `reward ${reward.code}`, reference: couponCode, idempotencyKey: `redeem:${input.memberId}:${input.idempotencyKey}`,
      });
      // The coupon's end is fixed now, from the reward as it is now: a later change to the reward does not move it.
      const row = await rewardsRepo.insertRedemption(tx, {
        memberId: input.memberId, rewardId: reward.id, points: reward.costPoints, couponCode, idempotencyKey: input.idempotencyKey,
        transactionId: txn.id, createdAt: occurredAt, expiresAt: couponExpiresAt(occurredAt, reward.couponValidDays),
        tookStock: reward.stock != null, // taken below, or the whole redemption rolls back
      });
      // The reward row's lock, last (db/locks.ts).
      if (reward.stock != null && !(await rewardsRepo.takeStock(tx, reward.id))) throw outOfStock(); // the whole redemption rolls back
      return row;
    });
  }

  private async checkEligible(tx: EntityManager, account: LockedAccount, reward: RewardRow, memberId: string, at: Date): Promise<void> {
    const notEligible = (why: string) => new AppError(ErrorCode.NOT_ELIGIBLE, why, { reward: reward.code });
    if (!reward.active) throw notEligible(`${reward.code} is not active`);
    if ((reward.validFrom && reward.validFrom > at) || (reward.validTo && reward.validTo <= at)) throw notEligible(`${reward.code} is not available at this time`);
    if (reward.tierCodes.length) {
      // The tier held at the redemption's instant, as its validity window and balance are read
      // there: one expired and not yet reviewed is reviewed first (as a purchase would), and a
      // backdated redemption is judged on the tier it held then, not on today's.
      const heldTierId = await this.points.catchUpTier(tx, account, memberId, at);
      const tierCode = heldTierId != null ? await rewardsRepo.tierCode(tx, heldTierId) : await rewardsRepo.memberTierCode(tx, memberId);
      if (!reward.tierCodes.includes(tierCode)) throw notEligible(`${reward.code} is for ${reward.tierCodes.join(', ')} members`);
    }
    if (reward.perMemberLimit != null) {
      // Every redemption that kept its points counts: issued, used or expired; a cancelled one does not.
      const n = await rewardsRepo.redemptionsKept(tx, memberId, reward.id);
      if (n >= reward.perMemberLimit) {
        throw new AppError(ErrorCode.LIMIT_REACHED, `${reward.code} can be redeemed ${reward.perMemberLimit} time(s) per member`, { limit: reward.perMemberLimit });
      }
    }
  }

  /**
   * Cancels a redemption: the points go back to the lots they came from (a lot that has
   * expired since stays expired: those points are not returned), stock is restored.
   * Idempotent: cancelling a cancelled redemption returns it as it is. A coupon used at a till,
   * or expired, cannot be cancelled (COUPON_NOT_USABLE with its status). The redemption row is
   * locked (after the member's account), as useCoupon locks it: of a use and a cancel racing,
   * the second decides on what the first left, so never both happen.
   */
  async cancel(actor: Actor, id: string, reason: string, now = new Date()): Promise<RedemptionRow> {
    if (!isUuid(id)) throw notFound('Redemption', id);
    assertReason(reason); // as adjustPoints': it is shown in the member's points history
    const memberId = await rewardsRepo.redemptionOwner(this.em, id);
    if (memberId == null) throw notFound('Redemption', id);
    return inTransaction(this.em, async (tx) => {
      const { account, redemption } = await this.lockForCancel(tx, memberId, id);
      if (redemption.status === 'CANCELLED') return redemption;
      const refusal = couponCancelRefusal(redemption, now);
      if (refusal) throw refused(refusal);
      await lockRewardById(tx, redemption.rewardId);
      const back = await this.points.giveBack(tx, account, {
        memberId: redemption.memberId, debitTransactionId: redemption.transactionId, type: 'REDEMPTION_CANCEL', occurredAt: now,
        reason: `cancelled: ${reason}`, reference: redemption.couponCode, idempotencyKey: `redeem-cancel:${redemption.id}`, field: 'id',
      });
      await rewardsRepo.restock(tx, redemption);
      if (redemption.transactionId == null) await returnCouponCost(tx, redemption.memberId, redemption.id); // a campaign's coupon: its cost back to the budget
      const after = await rewardsRepo.markCancelled(tx, id, now, reason);
      this.auditCancel(tx, actor, id, redemption, reason, back);
      await tx.flush();
      return after;
    });
  }

  /** The cancel's first locks (db/locks.ts order): the member's account (and member row), then the redemption. */
  private async lockForCancel(tx: EntityManager, memberId: string, id: string): Promise<{ account: LockedAccount; redemption: RedemptionRow }> {
    const account = await lockAccount(tx, memberId);
    // An erased member's coupons were cancelled with its erasure; it has no account to return points to.
    if (!account) throw notFound('Redemption', id);
    const redemption = (await rewardsRepo.lockRedemption(tx, id))!;
    return { account, redemption };
  }

  /**
   * An erasure's part (data-rights.service.ts), in its transaction, the member's account held:
   * the member's coupons still ISSUED are cancelled as cancelRedemption cancels one (points back
   * to their lots, which the erasure then forfeits; the stock back; audited), so that no till
   * can use them after; personal values quoted in its cancellation reasons are replaced.
   * Locks in db/locks.ts's order: every redemption (by id), then their rewards (by id). Returns
   * how many coupons were cancelled.
   */
  async cancelIssuedForErasure(tx: EntityManager, actor: Actor, memberId: string, account: LockedAccount, now: Date, personal: string[]): Promise<number> {
    if (personal.length) await rewardsRepo.scrubCancelReasons(tx, memberId, personal);
    const issued = await this.lockCancellable(tx, await rewardsRepo.issuedRedemptionIds(tx, memberId, now), now);
    for (const r of issued) {
      const back = await this.points.giveBack(tx, account, {
        memberId, debitTransactionId: r.transactionId, type: 'REDEMPTION_CANCEL', occurredAt: now,
        reason: ERASURE_CANCEL_REASON, reference: r.couponCode, idempotencyKey: `redeem-cancel:${r.id}`, field: 'memberId',
      });
      await rewardsRepo.restock(tx, r);
      if (r.transactionId == null) await returnCouponCost(tx, memberId, r.id);
      await rewardsRepo.markCancelled(tx, r.id, now, ERASURE_CANCEL_REASON);
      this.auditCancel(tx, actor, r.id, r, ERASURE_CANCEL_REASON, back);
    }
    return issued.length;
  }

  /**
   * A referral's reversal's part (PointsService.reverseReferral, through its `coupons` hook), in
   * its transaction, the referrer's account held: the coupons its REFERRAL campaigns issued for
   * that referral (`source` 'referral:<id>'), still ISSUED and usable at `now`, are cancelled as
   * cancelRedemption cancels one (the stock and the campaign's budget given back; audited as the
   * system's, with `reason`). A coupon used at a till, or expired, stays: what was given is given.
   * Locks in db/locks.ts's order: the redemptions (by id), then their rewards (by id).
   */
  async cancelReversedCoupons(tx: EntityManager, memberId: string, source: string, reason: string, now: Date): Promise<number> {
    const issued = await this.lockCancellable(tx, await sourceCoupons(tx, memberId, source), now);
    for (const r of issued) {
      await rewardsRepo.restock(tx, r);
      await returnCouponCost(tx, memberId, r.id);
      await rewardsRepo.markCancelled(tx, r.id, now, reason);
      await this.audit.recordInSql(tx, SYSTEM_ACTOR, {
        action: 'redemption.cancel', entity: 'Redemption', entityId: r.id, before: { status: r.status },
        after: { status: 'CANCELLED', reason, pointsReturned: 0, pointsLostToExpiry: 0 },
      });
    }
    return issued.length;
  }

  /**
   * The redemptions of `ids` (the caller gives them in id order) that are still ISSUED and may be cancelled at `now`,
   * locked, then their rewards locked by id: db/locks.ts's order for cancelling several at once.
   */
  private async lockCancellable(tx: EntityManager, ids: readonly string[], now: Date): Promise<RedemptionRow[]> {
    const issued: RedemptionRow[] = [];
    for (const id of ids) {
      const r = await rewardsRepo.lockRedemption(tx, id);
      if (r && r.status === 'ISSUED' && !couponCancelRefusal(r, now)) issued.push(r);
    }
    for (const rewardId of [...new Set(issued.map((r) => r.rewardId))].sort()) await lockRewardById(tx, rewardId);
    return issued;
  }

  /** The ids of the member's redemptions (an erasure's part: the audit log's entries on them are the member's too). */
  redemptionIdsOf(tx: EntityManager, memberId: string): Promise<string[]> {
    return rewardsRepo.redemptionIdsOf(tx, memberId);
  }

  private auditCancel(tx: EntityManager, actor: Actor, id: string, r: RedemptionRow, reason: string, back: { returned: number; recovered: number }): void {
    this.audit.record(tx, actor, {
      action: 'redemption.cancel', entity: 'Redemption', entityId: id,
      before: { status: r.status },
      after: {
        status: 'CANCELLED', reason, pointsReturned: back.returned, pointsLostToExpiry: r.points - back.returned,
        ...(back.recovered > 0 ? { pointsTakenByRefunds: back.recovered } : {}),
      },
    });
  }

  /**
   * Uses a coupon at a till: ISSUED → USED, once. `occurredAt` (services and admins: a till
   * that was offline) is when it was used; the coupon must have been usable then (issued
   * before, not expired, not cancelled). The same idempotency key with the same coupon and
   * store returns the same answer, however often a till retries; with another coupon or store
   * it is a CONFLICT. Another key on a used coupon is COUPON_NOT_USABLE (status USED).
   * The redemption row is locked for the decision (see cancel): two tills using one coupon at
   * once are decided one after the other.
   */
  async useCoupon(actor: Actor, input: UseCouponInput, now = new Date()): Promise<RedemptionRow> {
    const couponKey = couponKeyOf(input.couponCode);
    const usedAt = resolveOccurredAt(actor, input.occurredAt, now);
    const store = input.storeId ?? null;
    const replay = async (em: EntityManager) => {
      const r = await rewardsRepo.redemptionByUseKey(em, input.idempotencyKey);
      if (!r) return null;
      const sameInstant = input.occurredAt == null || r.usedAt?.getTime() === input.occurredAt.getTime();
      if (r.couponKey !== couponKey || r.usedAtStore !== store || !sameInstant) {
        throw conflict(`Idempotency key ${input.idempotencyKey} was used with another payload`, { field: 'idempotencyKey' });
      }
      // An erased member's coupon is no coupon to a till (as redemptionByCoupon answers), a retry of its use included.
      if (await rewardsRepo.memberErased(em, r.memberId)) throw notFound('Coupon', input.couponCode);
      return r;
    };
    return idempotentWrite(this.em, replay, () => inSqlTransaction(this.em, async (tx) => {
      const r = await rewardsRepo.lockRedemptionByCouponKey(tx, couponKey);
      if (!r) throw notFound('Coupon', input.couponCode); // none, or its member's (erased: lockRedemptionByCouponKey)
      // The same key may have committed while this one waited for the row.
      const settled = await replay(tx);
      if (settled) return settled;
      const refusal = couponUseRefusal(r, usedAt, now);
      if (refusal) throw refused(refusal);
      return (await rewardsRepo.markUsed(tx, r.id, { usedAt, store, useKey: input.idempotencyKey }))!;
    }));
  }

  /**
   * A till checks a coupon before use: the redemption its code (as typed) names, or null. An
   * erased member's coupon (cancelled by the erasure) is null to a service, as the member is:
   * only an admin still reads it.
   */
  async byCoupon(actor: Actor, couponCode: string): Promise<RedemptionRow | null> {
    return rewardsRepo.redemptionByCouponKey(this.em, couponKeyOf(couponCode), actor.role === 'admin');
  }

  /** The member's redemptions, a page after the cursor `after` (a `redemption` cursor of this member's: BAD_USER_INPUT otherwise). */
  async ofMember(memberId: string, first: number, after: string | null): Promise<Page<RedemptionRow>> {
    const rows = await rewardsRepo.redemptionsPage(this.em, memberId, first, decodeCursor(REDEMPTION_CURSOR, after, 'after', memberId));
    return pageOf(rows, first, (r) => encodeCursor(REDEMPTION_CURSOR, r.seq, memberId));
  }

  /** ofMember(memberId, first, null) for many members in one statement (a list of members, each with its redemptions), in `memberIds`' order. */
  async firstPagesOfMembers(memberIds: readonly string[], first: number): Promise<Page<RedemptionRow>[]> {
    const byMember = groupBy(await rewardsRepo.redemptionsFirstPages(this.em, memberIds, first + 1), (r) => r.memberId);
    return memberIds.map((id) => pageOf(byMember.get(id) ?? [], first, (r) => encodeCursor(REDEMPTION_CURSOR, r.seq, id)));
  }
}
