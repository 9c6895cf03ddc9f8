import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from '../../db/entity-manager';
import type { EffectTrigger } from './campaigns.rules';
import { keptShortBy, reversalDebt, reversalOutstanding, reversalTakes, type LotTake } from '../points/points.rules';

/** An ACTIVE campaign's row as the programme's configuration holds it (program.repository.ts configRows). */
export interface ActiveCampaignRow {
  id: string; code: string; trigger: EffectTrigger; startsAt: string; endsAt: string | null; endedAt: string | null; paused: [string, string | null][];
  audience: Record<string, unknown> | null;
  activityKind: string | null; minAmountCents: string | null; bonusPoints: number | null; multiplier: string | null; rewardCode: string | null;
}

/** An award of a purchase, for its refund: what it gave and what refunds took back so far. */
export interface PurchaseAwardRow { id: string; campaignId: string; code: string; points: number; reversedPoints: number; transactionId: string | null }

/** The awards a purchase gave (source 'purchase:<orderId>'), in the order they applied; locked for the refund. */
export async function purchaseAwards(tx: EntityManager, memberId: string, orderId: string): Promise<PurchaseAwardRow[]> {
  return sourceAwards(tx, memberId, `purchase:${orderId}`);
}

/** The member's awards for one event (its source: 'referral:<id>', say) that gave points, locked. */
export async function sourceAwards(tx: EntityManager, memberId: string, source: string): Promise<PurchaseAwardRow[]> {
  return tx.execute<PurchaseAwardRow[]>(
    `select a.id::text as id, a.campaign_id::text as "campaignId", c.code, a.points, a.reversed_points as "reversedPoints", a.transaction_id::text as "transactionId"
     from campaign_award a join campaign c on c.id = a.campaign_id
     where a.member_id = ? and a.source = ? and a.points > 0 order by c.starts_at, c.code collate "C" for update of a`,
    [memberId, source],
  );
}

/**
 * Of these TIER_UPGRADE campaigns, those that have rewarded the member for as many upgrades into
 * `toTierId` as its history holds (standing changes, the one just recorded included): the upgrade
 * being rewarded is one they rewarded already, recorded again because a backdated fact moved it
 * (the recorded change superseded, the same upgrade recorded at its new instant, maybe several
 * times). Counting, not following the superseded change: an award keeps its source (a retried
 * purchase reads it back by its own change), and a second move finds it all the same. A member
 * upgraded into a tier again after a downgrade has one more standing upgrade than awards.
 * Reads the tiers module's tier_change.
 */
export async function upgradeRewardedAlready(tx: EntityManager, campaignIds: string[], memberId: string, toTierId: string): Promise<string[]> {
  if (!campaignIds.length) return [];
  const rows = await tx.execute<{ id: string }[]>(
    `select cid::text as id from unnest(?::uuid[]) as cid
     where (select count(*) from campaign_award a join tier_change c on c.member_id = a.member_id and a.source = 'tier:' || c.id
            where a.member_id = ? and a.campaign_id = cid and c.kind = 'UPGRADE' and c.to_tier_id = ?)
        >= (select count(*) from tier_change c where c.member_id = ? and c.kind = 'UPGRADE' and c.to_tier_id = ? and c.superseded_at is null)`,
    [pgArray(campaignIds), memberId, toTierId, memberId, toTierId],
  );
  return rows.map((r) => r.id);
}

/**
 * Records what a refund reversed of an award (`points`) and what of that it could not take back
 * (`unrecovered`: the member had spent it), and gives the campaign's budget what came back.
 */
export async function reverseAward(tx: EntityManager, award: PurchaseAwardRow, memberId: string, points: number, unrecovered: number): Promise<void> {
  await tx.execute(
    `with a as (update campaign_award set reversed_points = reversed_points + ?, unrecovered_points = unrecovered_points + ? where id = ? returning campaign_id)
     select campaign_budget_return(a.campaign_id, ?, ?) from a`,
    [points, unrecovered, award.id, memberId, points - unrecovered],
  );
}

/** A campaign award's refund reversal that left points unrecovered, and what of that is still owed. */
export interface UnrecoveredAwardReversal { awardId: string; refundId: string; orderId: string; reversalId: string; outstanding: number; occurredAt: Date }

/**
 * The member's campaign award reversals (REFUND_REVERSAL, key 'refund:<refundId>:campaign:<code>',
 * of the award of that order) that left points unrecovered and that debit `debitId` may have kept
 * short (null: all of them), with what each still lacks (points.rules.ts keptShortBy, reversalOutstanding); only those still owed. The points
 * module's recoverRefunds reads them with the refunds' own reversals.
 */
export async function unrecoveredAwardReversals(tx: EntityManager, memberId: string, debitId: string | null): Promise<UnrecoveredAwardReversal[]> {
  const rows = await tx.execute<UnrecoveredAwardReversal[]>(
    `select a.id::text as "awardId", r.refund_id as "refundId", t.reference as "orderId", t.id::text as "reversalId",
       (${reversalOutstanding('t')})::int as outstanding, t.occurred_at as "occurredAt"
     from point_transaction t
       left join point_transaction d on d.id = ?::bigint
       join refund r on r.order_id = t.reference
       join campaign_award a on a.member_id = t.member_id and a.source = 'purchase:' || t.reference
       join campaign c on c.id = a.campaign_id and t.idempotency_key = 'refund:' || r.refund_id || ':campaign:' || c.code
     where t.member_id = ? and t.type = 'REFUND_REVERSAL' and t.unrecovered > 0 and t.idempotency_key like 'refund:%:campaign:%'
       and (?::bigint is null or ${keptShortBy('t', 'd')})
     order by t.occurred_at, t.id`,
    [debitId, memberId, debitId],
  );
  return rows.filter((r) => r.outstanding > 0);
}

/** A campaign award's refund reversal as a re-plan takes it (the points module's RefundTakes, with its award). */
export interface AwardReversalTakes {
  id: string; refundId: string; orderId: string; at: Date; ownLotId: string | null; takes: LotTake[]; outstanding: number; debt: boolean; awardId: string;
}

/**
 * The member's campaign award reversals (REFUND_REVERSAL, key 'refund:<refundId>:campaign:<code>')
 * dated at or after `from`, in date order then id, each with its award, the award's BONUS lot
 * (what the reversal takes first), its takes (its allocations and its recoveries'), what it
 * still lacks and whether it left a debt: for the points module's re-plan of refunds in date
 * order (PointsService.replanWithRefunds). None in the usual case.
 */
export async function awardReversalsFrom(tx: EntityManager, memberId: string, from: Date): Promise<AwardReversalTakes[]> {
  const rows = await tx.execute<(Omit<AwardReversalTakes, 'takes'> & { takes: LotTake[] | null })[]>(
    `select t.id::text as id, r.refund_id as "refundId", t.reference as "orderId", t.occurred_at as at, a.id::text as "awardId",
       (select l.id::text from point_lot l where l.member_id = t.member_id and l.transaction_id = a.transaction_id) as "ownLotId",
       (${reversalOutstanding('t')})::int as outstanding, ${reversalDebt('t')} as debt, ${reversalTakes('t')} as takes
     from refund r
       join point_transaction t on t.member_id = r.member_id and t.type = 'REFUND_REVERSAL' and t.reference = r.order_id
         and t.idempotency_key like 'refund:%:campaign:%'
       join campaign_award a on a.member_id = t.member_id and a.source = 'purchase:' || r.order_id
       join campaign c on c.id = a.campaign_id and t.idempotency_key = 'refund:' || r.refund_id || ':campaign:' || c.code
     where r.member_id = ? and r.occurred_at >= ?
     order by t.occurred_at, t.id`,
    [memberId, from],
  );
  return rows.map((r) => ({ ...r, at: new Date(r.at), takes: r.takes ?? [] }));
}

/**
 * Points an award's reversal could not take back, taken back later (a cancelled redemption gave
 * them back): the award's unrecovered_points fall by them and they return to the campaign's
 * budget (the member's slot, under the budget gate), as the refund's reversal returns what it takes.
 */
export async function recoverAward(tx: EntityManager, awardId: string, memberId: string, points: number): Promise<void> {
  await tx.execute(
    `with a as (update campaign_award set unrecovered_points = unrecovered_points - ? where id = ? returning campaign_id)
     select campaign_budget_return(a.campaign_id, ?, ?) from a`,
    [points, awardId, memberId, points],
  );
}

/**
 * A campaign's coupon cancelled (an admin's cancelRedemption, an erasure): its costPoints leave
 * the award (the report's cost) and go back to the campaign's budget, as its stock unit goes
 * back to the reward. In the cancellation's transaction, after the reward's lock (db/locks.ts:
 * the budget's slot comes after step 4). Nothing for a redemption that is no campaign's coupon.
 */
export async function returnCouponCost(tx: EntityManager, memberId: string, couponId: string): Promise<void> {
  await tx.execute(
    // By the member first: campaign_award_member_index (no index on coupon_id; a member has few awards).
    `with old as (select id, campaign_id, member_id, reward_points from campaign_award
       where member_id = ? and coupon_id = ? and reward_points > 0 for update),
     a as (update campaign_award w set reward_points = 0 from old where w.id = old.id returning old.campaign_id, old.member_id, old.reward_points)
     select campaign_budget_return(a.campaign_id, a.member_id, a.reward_points) from a`,
    [memberId, couponId],
  );
}

/** The coupons the member's awards for one event (its source: 'referral:<id>') issued, by id. */
export async function sourceCoupons(tx: EntityManager, memberId: string, source: string): Promise<string[]> {
  const rows = await tx.execute<{ id: string }[]>(
    'select coupon_id::text as id from campaign_award where member_id = ? and source = ? and coupon_id is not null order by coupon_id', [memberId, source],
  );
  return rows.map((r) => r.id);
}

/** The BONUS transaction a caller wrote for an award (campaign_effects without the ledger). */
export async function linkAwardTransaction(tx: EntityManager, awardId: string, transactionId: string): Promise<void> {
  await tx.execute('update campaign_award set transaction_id = ? where id = ?', [transactionId, awardId]);
}

/** The campaign points events gave their member (its awards by source), before any refund. */
export async function awardedPoints(em: EntityManager, memberId: string, sources: string[]): Promise<number> {
  const [row] = await em.execute<{ points: number }[]>(
    'select coalesce(sum(points), 0)::int as points from campaign_award where member_id = ? and source in (?)', [memberId, sources],
  );
  return row.points;
}
