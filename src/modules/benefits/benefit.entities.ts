import { DecimalType, Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

/** A perk members enjoy because of their tier (and optionally tags). The row is the current version. */
@Entity({ tableName: 'benefit' })
export class Benefit {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  @Unique({ name: 'benefit_code_unique' })
  code!: string;

  @Property({ type: 'integer' })
  version: number = 1;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text', nullable: true })
  description: string | null = null;

  /** DISCOUNT, POINTS_MULTIPLIER, FREE_SHIPPING, BIRTHDAY_GIFT, MEMBER_DAY, LOUNGE, FREE_PARKING, CUSTOM, … */
  @Property({ type: 'text' })
  kind!: string;

  @Property({ type: new DecimalType('number'), precision: 14, scale: 4, nullable: true })
  value: number | null = null;

  /** Empty = every tier. */
  @Property({ type: 'text[]' })
  tierCodes: string[] = [];

  @Property({ type: 'text[]' })
  requiredTags: string[] = [];

  @Property({ type: 'boolean' })
  active: boolean = true;

  @Property({ type: 'timestamptz', nullable: true })
  validFrom: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  validTo: Date | null = null;

  @Property({ type: 'timestamptz' })
  updatedAt: Date = new Date();
}

/** Every version of every benefit, as it was: who changed it, when, and to what. */
@Entity({ tableName: 'benefit_version' })
@Unique({ name: 'benefit_version_code_version_unique', properties: ['code', 'version'] })
export class BenefitVersion {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'uuid' })
  benefitId!: string;

  @Property({ type: 'text' })
  code!: string;

  @Property({ type: 'integer' })
  version!: number;

  @Property({ type: 'json' })
  snapshot!: unknown;

  @Property({ type: 'text' })
  changedBy!: string;

  @Property({ type: 'timestamptz' })
  changedAt: Date = new Date();
}

/** Birthday grants: at most one per member and year. */
@Entity({ tableName: 'birthday_grant' })
@Unique({ name: 'birthday_grant_member_year_unique', properties: ['memberId', 'year'] })
@Index({ properties: ['memberId'] })
export class BirthdayGrant {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'integer' })
  year!: number;

  @Property({ type: 'integer' })
  points!: number;

  @Property({ type: 'timestamptz' })
  grantedAt: Date = new Date();
}
