import { DecimalType, Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { zoneLiteral } from '../../db/local-days';

export type PointTransactionType = 'EARN' | 'REDEEM' | 'EXPIRE' | 'ADJUST' | 'REFUND_REVERSAL' | 'REDEMPTION_CANCEL' | 'OPENING_BALANCE' | 'ERASURE' | 'BONUS' | 'REFERRAL' | 'CHECK_IN';
export const POINT_TRANSACTION_TYPES: PointTransactionType[] = [
  'EARN', 'REDEEM', 'EXPIRE', 'ADJUST', 'REFUND_REVERSAL', 'REDEMPTION_CANCEL', 'OPENING_BALANCE', 'ERASURE', 'BONUS', 'REFERRAL', 'CHECK_IN',
];

/**
 * A member's point account: the row every write for the member locks first, so that
 * writes for one member serialize. balance = Σ remainders of the live lots = Σ signed
 * transactions (pending lots and lots past their expiry but not yet expired by a run
 * included); what is spendable now is derived from the lots.
 */
@Entity({ tableName: 'point_account' })
export class PointAccount {
  @PrimaryKey({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'integer' })
  balance: number = 0;

  @Property({ type: 'integer' })
  lifetimeEarned: number = 0;

  /**
   * The expiry watermark: every lot of the member that expires at or before it has been
   * expired by an EXPIRE transaction (and keeps, as `remaining`, what it held then); the
   * other lots are live. Null: nothing expired yet.
   */
  @Property({ type: 'timestamptz', nullable: true })
  expiredThrough: Date | null = null;

  @Property({ type: 'timestamptz' })
  updatedAt: Date = new Date();
}

/** One row: the floor below which the expiry run need not look (late lots aside). */
@Entity({ tableName: 'point_expiry' })
export class PointExpiry {
  @PrimaryKey({ type: 'smallint', autoincrement: false })
  id!: number;

  @Property({ type: 'timestamptz', nullable: true })
  expiredThrough: Date | null = null;
}

/** Append-only ledger. `idempotencyKey` is namespaced by operation ("purchase:…", "adjust:…"). */
@Entity({ tableName: 'point_transaction' })
@Index({ name: 'point_transaction_member_id_id_index', properties: ['memberId', 'id'] })
// A member's debits by date, which a backdated credit re-plans (migration replan_debits): only debits enter it.
@Index({
  name: 'point_transaction_member_debit_index',
  expression: `create index "point_transaction_member_debit_index" on "point_transaction" ("member_id", "occurred_at") where type in ('REDEEM', 'ADJUST') and amount <= 0`,
})
// A member's refunds that fell short, by date, which a lot written spendable then pays (migration short_refund_paid_by_credit).
@Index({
  name: 'point_transaction_member_short_refund_index',
  expression: `create index "point_transaction_member_short_refund_index" on "point_transaction" ("member_id", "occurred_at") where type = 'REFUND_REVERSAL' and unrecovered > 0`,
})
// The recoveries keyed to a refund's reversal, by member and reversal (migration refund_replan_indexes): refundsFrom and reversalOutstanding's look-up.
@Index({
  name: 'point_transaction_refund_recovery_index',
  expression: `create index "point_transaction_refund_recovery_index" on "point_transaction" ("member_id", split_part(idempotency_key, ':', 3)) where type = 'REFUND_REVERSAL' and idempotency_key like 'refund-recovery:%'`,
})
// A cancellation's corrections, keyed to its redemption's debit, by member and debit (migration cancel_replan_index): debitsFrom's look-up.
@Index({
  name: 'point_transaction_cancel_replan_index',
  expression: `create index "point_transaction_cancel_replan_index" on "point_transaction" ("member_id", split_part(idempotency_key, ':', 3)) where type = 'REDEMPTION_CANCEL' and idempotency_key like 'cancel-replan:%'`,
})
export class PointTransaction {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'uuid' })
  memberId!: string;

  @Enum({ items: POINT_TRANSACTION_TYPES })
  type!: PointTransactionType;

  @Property({ type: 'integer' })
  amount!: number;

  @Property({ type: 'integer' })
  balanceAfter!: number;

  @Property({ type: 'timestamptz' })
  occurredAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  expiresAt: Date | null = null;

  @Property({ type: 'text', nullable: true })
  reason: string | null = null;

  @Property({ type: 'text', nullable: true })
  reference: string | null = null;

  @Property({ type: 'text', nullable: true })
  @Unique({ name: 'point_transaction_idempotency_key_unique' })
  idempotencyKey: string | null = null;

  /** Points a reversal could not take back (spent already, negative balance not allowed). */
  @Property({ type: 'integer' })
  unrecovered: number = 0;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}

/**
 * A parcel of earned points with its own activation and expiry. Live while its expiry is after
 * the account's `expiredThrough`; an expired lot keeps as its remaining what expired (a late
 * debit or refund dated before its expiry, or a re-plan of the debits, may still move it:
 * PointsService.debit, planRefund, replan).
 */
@Entity({ tableName: 'point_lot' })
@Index({
  name: 'point_lot_member_open_index',
  expression: 'create index "point_lot_member_open_index" on "point_lot" ("member_id", "expires_at") include ("remaining") where remaining <> 0',
})
@Index({
  name: 'point_lot_expiry_due_index',
  expression: 'create index "point_lot_expiry_due_index" on "point_lot" ("expires_at") include ("member_id") where remaining > 0',
})
@Index({
  name: 'point_lot_late_index',
  expression: 'create index "point_lot_late_index" on "point_lot" ("expires_at") include ("member_id") where late and remaining > 0',
})
// A member's debts (lots below 0: rare), which every purchase and award checks for (migration lot_debt_index).
@Index({
  name: 'point_lot_member_debt_index',
  expression: 'create index "point_lot_member_debt_index" on "point_lot" ("member_id") where remaining < 0',
})
export class PointLot {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'bigint' })
  transactionId!: string;

  @Property({ type: 'integer' })
  points!: number;

  /** Negative only for a debt lot (allowNegativeBalance): what later earnings repay first. */
  @Property({ type: 'integer' })
  remaining!: number;

  @Property({ type: 'timestamptz' })
  earnedAt!: Date;

  /** When the points become spendable (pointsPendingDays after a purchase). */
  @Property({ type: 'timestamptz' })
  activatesAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  expiresAt: Date | null = null;

  @Property({ type: 'text', nullable: true })
  orderId: string | null = null;

  /** Already expired when it was written (a backdated earn): the expiry run looks for these apart. */
  @Property({ type: 'boolean', default: false })
  late: boolean = false;
}

/** Which lots a debit took from: lets a cancelled redemption give points back to them. */
@Entity({ tableName: 'point_allocation' })
@Index({ name: 'point_allocation_transaction_index', properties: ['transactionId'] })
export class PointAllocation {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'bigint' })
  transactionId!: string;

  @Property({ type: 'bigint' })
  lotId!: string;

  @Property({ type: 'integer' })
  amount!: number;
}

/** Qualifying points, dated by occurredAt: what tiers are measured on. */
@Entity({ tableName: 'qualifying_entry' })
@Index({ name: 'qualifying_entry_member_occurred_index', properties: ['memberId', 'occurredAt'] })
export class QualifyingEntry {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'timestamptz' })
  occurredAt!: Date;

  @Property({ type: 'integer' })
  points!: number;

  @Property({ type: 'text' })
  source!: string;

  /** From when it counts (a refund's reversal: dated at its purchase, counting from the refund on); null = occurredAt. */
  @Property({ type: 'timestamptz', nullable: true })
  countsFrom: Date | null = null;
}

/** The name of the purchases' (member, local day) index. */
export const PURCHASE_DAY_INDEX = 'purchase_member_day_index';

/** The DDL of purchase_member_day_index for a time zone (a zone the programme update accepted). */
export function purchaseDayIndexSql(zone: string): string {
  return `create index "${PURCHASE_DAY_INDEX}" on "purchase" ("member_id", (((occurred_at at time zone ${zoneLiteral(zone)})::date - date '1970-01-01'))) include ("occurred_at", "amount_cents", "refunded_cents", "order_id")`;
}

/** A purchase as posted by a store back end; orderId is its idempotency key. */
@Entity({ tableName: 'purchase' })
/**
 * Purchases by member and programme-local day, covering what the retention refresh reads (see
 * the purchase_days and retention_as_of migrations). The day is in the programme's time zone,
 * as a literal: the index below is UTC's (the default); a change of program.time_zone rebuilds
 * it for the new zone in the programme update's transaction (ProgramService.update), so that the
 * refresh's day expression (retention.repository, localDayNumberSql) always matches it. The
 * schema diff compares expression indexes by name only: a rebuilt index is no drift.
 */
@Index({ name: PURCHASE_DAY_INDEX, expression: purchaseDayIndexSql('UTC') })
export class Purchase {
  @PrimaryKey({ type: 'text' })
  orderId!: string;

  @Property({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'bigint' })
  amountCents!: string;

  @Property({ type: 'bigint' })
  refundedCents: string = '0';

  @Property({ type: 'integer' })
  earnedPoints!: number;

  @Property({ type: 'integer' })
  qualifyingPoints!: number;

  @Property({ type: 'integer' })
  reversedPoints: number = 0;

  @Property({ type: 'integer' })
  reversedQualifying: number = 0;

  @Property({ type: 'bigint', nullable: true })
  lotId: string | null = null;

  @Property({ type: 'bigint', nullable: true })
  transactionId: string | null = null;

  @Property({ type: 'timestamptz' })
  occurredAt!: Date;

  /** Whether occurredAt was given by the caller (a retry without it must not conflict). */
  @Property({ type: 'boolean' })
  occurredAtGiven!: boolean;

  /** The tier change its first run returned (a replay returns the same one); null: none. */
  @Property({ type: 'bigint', nullable: true })
  tierChangeId: string | null = null;

  /** The tier it earned at (held at its instant); re-rated when the history changes there. */
  @Property({ type: 'uuid', nullable: true })
  earnedTierId: string | null = null;

  /** The programme's pointsPerUnit when it earned (a re-rating uses it). */
  @Property({ type: new DecimalType('number'), precision: 12, scale: 4, nullable: true })
  pointsPerUnit: number | null = null;

  /** Where it came from: null through the API, 'import' from a bulk import (no referral or campaign acts on those). */
  @Property({ type: 'text', nullable: true })
  source: string | null = null;
}

/** A refund of (part of) a purchase; refundId is its idempotency key. */
@Entity({ tableName: 'refund' })
/** An order's refunds by date, with their amounts: what had been refunded by a given date (the retention refresh). */
@Index({ name: 'refund_order_index', expression: `create index "refund_order_index" on "refund" ("order_id", "occurred_at") include ("amount_cents")` })
/** A member's refunds by date, which a late write re-plans (migration refund_replan_indexes). */
@Index({ name: 'refund_member_index', expression: `create index "refund_member_index" on "refund" ("member_id", "occurred_at") include ("transaction_id")` })
export class Refund {
  @PrimaryKey({ type: 'text' })
  refundId!: string;

  @Property({ type: 'text' })
  orderId!: string;

  @Property({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'bigint' })
  amountCents!: string;

  @Property({ type: 'integer' })
  pointsReversed!: number;

  @Property({ type: 'integer' })
  qualifyingReversed!: number;

  /** The campaign and referral points of its member's that it took back (its answer's bonusPoints, negated). */
  @Property({ type: 'integer', default: 0 })
  bonusReversed: number = 0;

  @Property({ type: 'bigint', nullable: true })
  transactionId: string | null = null;

  @Property({ type: 'timestamptz' })
  occurredAt!: Date;
}

/** What an engagement activity earns; admin-defined per kind. */
@Entity({ tableName: 'activity_rule' })
export class ActivityRule {
  @PrimaryKey({ type: 'text' })
  kind!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'integer' })
  points!: number;

  @Property({ type: 'integer' })
  qualifyingPoints: number = 0;

  @Property({ type: 'integer', nullable: true })
  dailyCap: number | null = null;

  @Property({ type: 'boolean' })
  active: boolean = true;

  /** Whether a member's app may record this kind for its member (else only back ends and admins). */
  @Property({ type: 'boolean' })
  memberMayRecord: boolean = false;
}

/** One posted activity; its key makes it idempotent, its day and points feed the cap. */
@Entity({ tableName: 'activity' })
@Index({ name: 'activity_member_kind_day_index', properties: ['memberId', 'kind', 'day'] })
export class Activity {
  @PrimaryKey({ type: 'text' })
  idempotencyKey!: string;

  @Property({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'text' })
  kind!: string;

  /**
   * Programme-local calendar day of occurredAt (in the zone in force when it was recorded), for
   * the daily cap. A later change of time zone leaves it as it was counted.
   */
  @Property({ type: 'date' })
  day!: string;

  @Property({ type: 'integer' })
  points!: number;

  @Property({ type: 'integer' })
  qualifyingPoints!: number;

  @Property({ type: 'bigint', nullable: true })
  transactionId: string | null = null;

  @Property({ type: 'timestamptz' })
  occurredAt!: Date;
}
