import { ArrayType, Check, DecimalType, Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';

export type DowngradePolicy = 'DROP_ONE' | 'RECALCULATE';

/** The programme's settings: one row per deployment (id is always 1). */
@Entity({ tableName: 'program' })
@Check({ name: 'program_single_row', expression: 'id = 1' })
@Check({ name: 'program_point_value_check', expression: 'point_value >= 0' })
@Check({ name: 'program_referral_points_check', expression: 'referrer_points >= 0 and referee_points >= 0' })
@Check({ name: 'program_referral_hold_days_check', expression: 'referral_hold_days >= 0' })
@Check({ name: 'program_referral_monthly_limit_check', expression: 'referral_monthly_limit >= 0' })
@Check({ name: 'program_check_in_points_check', expression: '0 <= all (check_in_points)' })
export class Program {
  @PrimaryKey({ type: 'integer', autoincrement: false })
  id: number = 1;

  /** Exact decimal: points per one unit of currency (at most 4 decimals). */
  @Property({ type: new DecimalType('number'), precision: 12, scale: 4 })
  pointsPerUnit: number = 1;

  @Property({ type: 'integer', nullable: true })
  pointsExpiryMonths: number | null = 24;

  @Property({ type: 'integer' })
  qualificationWindowMonths: number = 12;

  @Property({ type: 'integer' })
  tierValidityMonths: number = 12;

  @Enum({ items: ['DROP_ONE', 'RECALCULATE'], nativeEnumName: undefined })
  downgradePolicy: DowngradePolicy = 'DROP_ONE';

  @Property({ type: 'boolean' })
  allowNegativeBalance: boolean = false;

  @Property({ type: 'integer' })
  pointsPendingDays: number = 0;

  @Property({ type: 'integer' })
  tierNoticeDays: number = 30;

  /** The latest asOf a tier review was run for (TierEngine.review): every member's recorded tier history reaches it. */
  @Property({ type: 'timestamptz', nullable: true })
  tierReviewedThrough: Date | null = null;

  @Property({ type: 'integer' })
  churnHorizonDays: number = 90;

  /** Lifecycle thresholds in days since the last (or first, for NEW) purchase. */
  @Property({ type: 'integer' })
  lifecycleNewDays: number = 30;

  @Property({ type: 'integer' })
  lifecycleActiveDays: number = 90;

  @Property({ type: 'integer' })
  lifecycleAtRiskDays: number = 180;

  @Property({ type: 'integer' })
  lifecycleDormantDays: number = 365;

  /** The money value of one point (exact decimal), for campaigns' cost and ROI. */
  @Property({ type: new DecimalType('number'), precision: 12, scale: 6, default: 0.01 })
  pointValue: number = 0.01;

  /** IANA zone of the programme's calendar: its days, months and birthdays (docs/decisions.md). */
  @Property({ type: 'text', default: 'UTC' })
  timeZone: string = 'UTC';

  /** Points a referrer gets when its referee's first purchase completes the referral. */
  @Property({ type: 'integer', default: 0 })
  referrerPoints: number = 0;

  /** Points the referee gets on that purchase. */
  @Property({ type: 'integer', default: 0 })
  refereePoints: number = 0;

  /** Referral points stay pending this many days; a full refund of the completing purchase within them reverses the referral. */
  @Property({ type: 'integer', default: 7 })
  referralHoldDays: number = 7;

  /** Completed referrals rewarded per referrer per programme-local month; 0 = no limit. */
  @Property({ type: 'integer', default: 0 })
  referralMonthlyLimit: number = 0;

  /** Check-in points by streak day (day 1 first); the last value repeats; empty = check-in off. */
  @Property({ type: new ArrayType((i) => +i), columnType: 'int[]', default: '{}' })
  checkInPoints: number[] = [];

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

/**
 * The version of the configuration a purchase decides with (the programme's settings, the tier
 * ladder, the benefits): statement-level triggers on `program`, `tier`, `benefit` and
 * `benefit_version` add one to it in every transaction that changes them, whoever writes
 * (the API, a seeder, psql). An instance holds the configuration in memory with the version it
 * read it at (programme-config.service.ts) and the purchase's first statement compares it with
 * this row's: a purchase decided after a change has committed uses the new configuration.
 */
@Entity({ tableName: 'config_version' })
@Check({ name: 'config_version_single_row', expression: 'id = 1' })
export class ConfigVersion {
  @PrimaryKey({ type: 'integer', autoincrement: false })
  id: number = 1;

  @Property({ type: 'bigint' })
  version!: string;
}
