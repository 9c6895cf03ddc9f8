import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/** Each member's retention picture as of the last refresh: RFM, lifecycle stage, BG/NBD inputs and outputs. */
@Entity({ tableName: 'member_retention' })
@Index({ name: 'member_retention_segment_index', properties: ['rfmSegment'] })
export class MemberRetention {
  @PrimaryKey({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'timestamptz' })
  asOf!: Date;

  @Property({ type: 'text' })
  stage!: string;

  @Property({ type: 'timestamptz' })
  stageSince!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  firstPurchaseAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  lastPurchaseAt: Date | null = null;

  @Property({ type: 'integer', nullable: true })
  recencyDays: number | null = null;

  @Property({ type: 'integer', nullable: true })
  frequency: number | null = null;

  @Property({ type: 'bigint', nullable: true })
  monetaryCents: string | null = null;

  @Property({ type: 'smallint', nullable: true })
  r: number | null = null;

  @Property({ type: 'smallint', nullable: true })
  f: number | null = null;

  @Property({ type: 'smallint', nullable: true })
  m: number | null = null;

  @Property({ type: 'text', nullable: true })
  rfmSegment: string | null = null;

  /** BG/NBD inputs in whole UTC days: repeat purchase days, first-to-last, first-to-asOf. */
  @Property({ type: 'integer', nullable: true })
  x: number | null = null;

  @Property({ type: 'integer', nullable: true })
  tx: number | null = null;

  @Property({ type: 'integer', nullable: true })
  tDays: number | null = null;

  @Property({ type: 'double', nullable: true })
  aliveProbability: number | null = null;

  @Property({ type: 'double', nullable: true })
  churnRisk: number | null = null;
}

/** Every lifecycle move, for the transition matrix between two dates. */
@Entity({ tableName: 'lifecycle_transition' })
@Index({ name: 'lifecycle_transition_at_index', properties: ['at'] })
@Index({ name: 'lifecycle_transition_member_index', properties: ['memberId', 'at'] })
export class LifecycleTransition {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'text', nullable: true })
  fromStage: string | null = null;

  @Property({ type: 'text' })
  toStage!: string;

  @Property({ type: 'timestamptz' })
  at!: Date;
}

/** Every asOf a refresh has run for: the dates of the lifecycle timeline. */
@Entity({ tableName: 'retention_run' })
export class RetentionRun {
  @PrimaryKey({ type: 'timestamptz' })
  asOf!: Date;

  @Property({ type: 'timestamptz' })
  refreshedAt!: Date;
}

/** A fitted BG/NBD model with its backtest. */
@Entity({ tableName: 'churn_model' })
export class ChurnModelFit {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'timestamptz' })
  asOf!: Date;

  @Property({ type: 'double' })
  r!: number;

  @Property({ type: 'double' })
  alpha!: number;

  @Property({ type: 'double' })
  a!: number;

  @Property({ type: 'double' })
  b!: number;

  @Property({ type: 'integer' })
  customers!: number;

  @Property({ type: 'double' })
  logLikelihood!: number;

  @Property({ type: 'double', nullable: true })
  ks: number | null = null;

  @Property({ type: 'double', nullable: true })
  gini: number | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  /** Which score churnRisk holds: BG_NBD (the formula), LOGISTIC (the supervised classifier) or RECENCY (recency calibrated); ks and gini are its backtest's. */
  @Property({ type: 'text', default: 'BG_NBD' })
  method: string = 'BG_NBD';

  /** The naive ranking (longest since the last purchase first) on the same backtest. */
  @Property({ type: 'double', nullable: true })
  recencyKs: number | null = null;

  @Property({ type: 'double', nullable: true })
  recencyGini: number | null = null;

  /** BG/NBD's churn risk and the classifier's on the same backtest, whichever won. */
  @Property({ type: 'double', nullable: true })
  bgnbdKs: number | null = null;

  @Property({ type: 'double', nullable: true })
  bgnbdGini: number | null = null;

  @Property({ type: 'double', nullable: true })
  supervisedKs: number | null = null;

  @Property({ type: 'double', nullable: true })
  supervisedGini: number | null = null;

  /** The classifier applied at asOf (standardisation, coefficients, window), null without one. */
  @Property({ type: 'json', nullable: true })
  classifier: unknown = null;
}
