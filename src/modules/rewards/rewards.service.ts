import type { EntityManager } from '@mikro-orm/postgresql';
import { randomBytes } from 'node:crypto';
import { resolveOccurredAt } from '../../common/clock';
import { AppError, badInput, conflict, ErrorCode, notFound } from '../../common/errors';
import { keyset } from '../../common/pagination';
import { idempotentWrite, inSqlTransaction, inTransaction } from '../../db/transaction';
import { pgTextArray } from '../../db/entity-manager';
import type { Actor } from '../actor';
import { AuditService } from '../audit/audit.service';
import { isUuid } from '../members/members.service';
import * as repo from '../points/points.repository';
import { MAX_POINTS, fitsPoints } from '../points/points.rules';
import type { PointsService } from '../points/points.service';

export interface RewardInput {
  code: string; name: string; costPoints: number; stock?: number | null; perMemberLimit?: number | null;
  tierCodes?: string[] | null; active: boolean; validFrom?: Date | null; validTo?: Date | null;
}
export interface RewardRow {
  id: string; code: string; name: string; costPoints: number; stock: number | null; perMemberLimit: number | null;
  tierCodes: string[]; active: boolean; validFrom: Date | null; validTo: Date | null;
}
export interface RedemptionRow {
  id: string; seq: string; memberId: string; rewardId: string; points: number; couponCode: string; status: string;
  createdAt: Date; transactionId: string; idempotencyKey: string;
}
export interface RedeemInput { memberId: string; rewardCode: string; idempotencyKey: string; occurredAt?: Date | null }

const rewardColumns = (p = '') => `${p}id, ${p}code, ${p}name, ${p}cost_points as "costPoints", ${p}stock, ${p}per_member_limit as "perMemberLimit",
  ${p}tier_codes as "tierCodes", ${p}active, ${p}valid_from as "validFrom", ${p}valid_to as "validTo"`;
const REWARD_COLUMNS = rewardColumns();
const REDEMPTION_COLUMNS = `id, seq::text, member_id as "memberId", reward_id as "rewardId", points, coupon_code as "couponCode", status,
  created_at as "createdAt", transaction_id::text as "transactionId", idempotency_key as "idempotencyKey"`;
const rewardRow = (r: RewardRow) => repo.withDates(r, ['validFrom', 'validTo']);
const redemptionRow = (r: RedemptionRow) => repo.withDates(r, ['createdAt']);

/** 16 characters of Crockford base32 (80 random bits): unguessable and easy to read out at a till. */
export function newCouponCode(): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  const bytes = randomBytes(16);
  let code = '';
  for (let i = 0; i < 16; i++) code += alphabet[bytes[i] & 31];
  return code.match(/.{4}/g)!.join('-');
}

/** The catalogue and redemptions: eligibility, stock, limit and balance checked in one transaction. */
export class RewardsService {
  constructor(private readonly em: EntityManager, private readonly audit: AuditService, private readonly points: PointsService) {}

  async upsert(actor: Actor, input: RewardInput): Promise<RewardRow> {
    if (input.validFrom && input.validTo && input.validTo <= input.validFrom) throw badInput('validTo', 'validTo must be after validFrom');
    const tierCodes = [...new Set(input.tierCodes ?? [])].sort();
    return inTransaction(this.em, async (tx) => {
      const unknown = (await tx.execute('select c from unnest(?::text[]) as c where c not in (select code from tier)', [pgTextArray(tierCodes)])) as { c: string }[];
      if (unknown.length) throw badInput('tierCodes', `Unknown tier ${unknown[0].c}`);
      const [before] = (await tx.execute(`select ${REWARD_COLUMNS} from reward where code = ? for update`, [input.code])) as RewardRow[];
      const [row] = (await tx.execute(
        `insert into reward (id, code, name, cost_points, stock, per_member_limit, tier_codes, active, valid_from, valid_to, updated_at)
         values (gen_random_uuid(), ?, ?, ?, ?, ?, ?::text[], ?, ?, ?, now())
         on conflict (code) do update set name = excluded.name, cost_points = excluded.cost_points, stock = excluded.stock,
           per_member_limit = excluded.per_member_limit, tier_codes = excluded.tier_codes, active = excluded.active,
           valid_from = excluded.valid_from, valid_to = excluded.valid_to, updated_at = now()
         returning ${REWARD_COLUMNS}`,
        [input.code, input.name, input.costPoints, input.stock ?? null, input.perMemberLimit ?? null, pgTextArray(tierCodes),
          input.active, input.validFrom ?? null, input.validTo ?? null],
      )) as RewardRow[];
      this.audit.record(tx, actor, { action: before ? 'reward.update' : 'reward.create', entity: 'Reward', entityId: input.code, before: before ?? null, after: row });
      await tx.flush();
      return rewardRow(row);
    });
  }

  async list(): Promise<RewardRow[]> {
    return ((await this.em.execute(`select ${REWARD_COLUMNS} from reward order by cost_points, code`)) as RewardRow[]).map(rewardRow);
  }

  /** What a member may redeem now (active, in its window, its tier eligible, in stock), with affordability. */
  async forMember(memberId: string, now = new Date()): Promise<(RewardRow & { affordable: boolean })[]> {
    const [bal] = (await this.points.balances([memberId], now)).values();
    const balance = bal?.balance ?? 0;
    const rows = (await this.em.execute(
      `select ${rewardColumns('r.')} from reward r join member m on m.id = ? join tier t on t.id = m.tier_id
       where r.active and (r.valid_from is null or r.valid_from <= ?) and (r.valid_to is null or r.valid_to > ?)
         and (cardinality(r.tier_codes) = 0 or t.code = any(r.tier_codes)) and (r.stock is null or r.stock > 0)
       order by r.cost_points, r.code`,
      [memberId, now, now],
    )) as RewardRow[];
    return rows.map((r) => ({ ...rewardRow(r), affordable: r.costPoints <= balance }));
  }

  async byIds(ids: readonly string[]): Promise<RewardRow[]> {
    return ((await this.em.execute(`select ${REWARD_COLUMNS} from reward where id in (?)`, [ids as string[]])) as RewardRow[]).map(rewardRow);
  }

  /**
   * Redeems a reward for a member. Locks the member's account, checks eligibility, validity,
   * per-member limit and balance, debits lots soonest-expiring first, issues a coupon and
   * takes one unit of stock last (account before reward, as cancellation does). The same
   * idempotency key returns the same redemption, even for retries in flight.
   */
  async redeem(actor: Actor, input: RedeemInput, now = new Date()): Promise<RedemptionRow> {
    if (!isUuid(input.memberId)) throw notFound('Member', input.memberId);
    const occurredAt = resolveOccurredAt(actor, input.occurredAt, now);
    const replay = async (em: EntityManager) => {
      const [r] = (await em.execute(
        `select ${REDEMPTION_COLUMNS}, (select code from reward where id = reward_id) as "rewardCode" from redemption where idempotency_key = ?`,
        [input.idempotencyKey],
      )) as (RedemptionRow & { rewardCode: string })[];
      if (!r) return null;
      if (r.memberId !== input.memberId || r.rewardCode !== input.rewardCode) {
        throw conflict(`Idempotency key ${input.idempotencyKey} was used with another payload`, { field: 'idempotencyKey' });
      }
      return redemptionRow(r);
    };
    return idempotentWrite(this.em, replay, async () => {
      // Sold out: answer at once, before taking any lock (a replay above still returns the
      // stored redemption). The check inside the transaction is the one that counts.
      const [known] = (await this.em.execute('select stock from reward where code = ?', [input.rewardCode])) as { stock: number | null }[];
      if (known && known.stock != null && known.stock <= 0) throw new AppError(ErrorCode.OUT_OF_STOCK, `${input.rewardCode} is out of stock`);
      return this.redeemLocked(input, occurredAt, replay);
    });
  }

  private redeemLocked(input: RedeemInput, occurredAt: Date, replay: (em: EntityManager) => Promise<RedemptionRow | null>): Promise<RedemptionRow> {
    return inSqlTransaction(this.em, async (tx) => {
      const account = await repo.lockAccount(tx, input.memberId);
      if (!account) throw notFound('Member', input.memberId);
      const settled = await replay(tx);
      if (settled) return settled;
      // The reward row is not locked here: redemptions of one reward by different members
      // must not queue behind each other. Stock is taken by one atomic conditional UPDATE,
      // last, so the row lock it takes is held only from there to the commit.
      const [reward] = (await tx.execute(`select ${REWARD_COLUMNS} from reward where code = ?`, [input.rewardCode])) as RewardRow[];
      if (!reward) throw notFound('Reward', input.rewardCode);
      await this.checkEligible(tx, rewardRow(reward), input.memberId, occurredAt);
      const outOfStock = () => new AppError(ErrorCode.OUT_OF_STOCK, `${reward.code} is out of stock`);
      if (reward.stock != null && reward.stock <= 0) throw outOfStock(); // sold out: answer at once
      const couponCode = newCouponCode();
      const txn = await this.points.debit(tx, account, {
        memberId: input.memberId, type: 'REDEEM', amount: reward.costPoints, occurredAt,
        reason: `reward ${reward.code}`, reference: couponCode, idempotencyKey: `redeem:${input.idempotencyKey}`,
      });
      const [row] = (await tx.execute(
        `insert into redemption (id, member_id, reward_id, points, coupon_code, status, idempotency_key, transaction_id, created_at)
         values (gen_random_uuid(), ?, ?, ?, ?, 'ISSUED', ?, ?, ?) returning ${REDEMPTION_COLUMNS}`,
        [input.memberId, reward.id, reward.costPoints, couponCode, input.idempotencyKey, txn.id, occurredAt],
      )) as RedemptionRow[];
      if (reward.stock != null) {
        const took = await tx.execute('update reward set stock = stock - 1 where id = ? and stock > 0 returning stock', [reward.id]);
        if (!took.length) throw outOfStock(); // the whole redemption rolls back
      }
      return redemptionRow(row);
    });
  }

  private async checkEligible(tx: EntityManager, reward: RewardRow, memberId: string, at: Date): Promise<void> {
    const notEligible = (why: string) => new AppError(ErrorCode.NOT_ELIGIBLE, why, { reward: reward.code });
    if (!reward.active) throw notEligible(`${reward.code} is not active`);
    if ((reward.validFrom && reward.validFrom > at) || (reward.validTo && reward.validTo <= at)) throw notEligible(`${reward.code} is not available at this time`);
    if (reward.tierCodes.length) {
      const [m] = (await tx.execute('select t.code from member m join tier t on t.id = m.tier_id where m.id = ?', [memberId])) as { code: string }[];
      if (!reward.tierCodes.includes(m.code)) throw notEligible(`${reward.code} is for ${reward.tierCodes.join(', ')} members`);
    }
    if (reward.perMemberLimit != null) {
      const [{ n }] = (await tx.execute(
        `select count(*)::int as n from redemption where member_id = ? and reward_id = ? and status = 'ISSUED'`, [memberId, reward.id],
      )) as { n: number }[];
      if (n >= reward.perMemberLimit) {
        throw new AppError(ErrorCode.LIMIT_REACHED, `${reward.code} can be redeemed ${reward.perMemberLimit} time(s) per member`, { limit: reward.perMemberLimit });
      }
    }
  }

  /**
   * Cancels a redemption: the points go back to the lots they came from (a lot that has
   * expired since stays expired: those points are not returned), stock is restored.
   * Idempotent: cancelling a cancelled redemption returns it as it is.
   */
  async cancel(actor: Actor, id: string, reason: string, now = new Date()): Promise<RedemptionRow> {
    if (!isUuid(id)) throw notFound('Redemption', id);
    const [owner] = (await this.em.execute('select member_id as "memberId" from redemption where id = ?', [id])) as { memberId: string }[];
    if (!owner) throw notFound('Redemption', id);
    return inTransaction(this.em, async (tx) => {
      const account = (await repo.lockAccount(tx, owner.memberId))!;
      const [r] = (await tx.execute(`select ${REDEMPTION_COLUMNS} from redemption where id = ? for update`, [id])) as RedemptionRow[];
      if (r.status === 'CANCELLED') return redemptionRow(r);
      await tx.execute('select 1 from reward where id = ? for update', [r.rewardId]);
      const back = (await tx.execute(
        // Only to lots still live and not past their expiry (by the database's clock too: the
        // expiry run's floor is measured by it).
        `select al.lot_id::text as "lotId", al.amount from point_allocation al join point_lot l on l.id = al.lot_id
           join point_account a on a.member_id = l.member_id
         where al.transaction_id = ? and coalesce(l.expires_at, 'infinity') > greatest(?::timestamptz, now()) and ${repo.LIVE_LOT}`,
        [r.transactionId, now],
      )) as { lotId: string; amount: number }[];
      const returned = back.reduce((s, b) => s + b.amount, 0);
      if (returned > 0) {
        const balanceAfter = account.balance + returned;
        if (!fitsPoints(balanceAfter)) throw badInput('id', `Returning ${returned} points would take the balance beyond ${MAX_POINTS}`);
        const txn = await repo.insertTransaction(tx, {
          memberId: r.memberId, type: 'REDEMPTION_CANCEL', amount: returned, balanceAfter, occurredAt: now,
          reason: `cancelled: ${reason}`, reference: r.couponCode, idempotencyKey: `redeem-cancel:${r.id}`,
        });
        await repo.applyTakes(tx, r.memberId, txn.id, back.map((b) => ({ lotId: b.lotId, amount: -b.amount })));
        await repo.saveAccount(tx, r.memberId, balanceAfter, 0);
      }
      await tx.execute('update reward set stock = stock + 1 where id = ? and stock is not null', [r.rewardId]);
      const [after] = (await tx.execute(
        `update redemption set status = 'CANCELLED', cancelled_at = ?, cancel_reason = ? where id = ? returning ${REDEMPTION_COLUMNS}`,
        [now, reason, id],
      )) as RedemptionRow[];
      this.audit.record(tx, actor, {
        action: 'redemption.cancel', entity: 'Redemption', entityId: id,
        before: { status: r.status }, after: { status: 'CANCELLED', reason, pointsReturned: returned, pointsLostToExpiry: r.points - returned },
      });
      await tx.flush();
      return redemptionRow(after);
    });
  }

  async ofMember(memberId: string, first: number, afterSeq: string | null): Promise<{ rows: RedemptionRow[]; hasNextPage: boolean }> {
    const page = keyset('r.seq', 'desc', afterSeq);
    const rows = ((await this.em.execute(
      `select ${REDEMPTION_COLUMNS} from redemption r where r.member_id = ? and ${page.where} ${page.orderBy} limit ?`,
      [memberId, ...page.params, first + 1],
    )) as RedemptionRow[]).map(redemptionRow);
    return { rows: rows.slice(0, first), hasNextPage: rows.length > first };
  }
}
