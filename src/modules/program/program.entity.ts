import { Check, DecimalType, Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';

export type DowngradePolicy = 'DROP_ONE' | 'RECALCULATE';

/** The programme's settings: one row per deployment (id is always 1). */
@Entity({ tableName: 'program' })
@Check({ name: 'program_single_row', expression: 'id = 1' })
@Check({ name: 'program_point_value_check', expression: 'point_value >= 0' })
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
