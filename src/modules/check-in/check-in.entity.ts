import { Check, Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * One member's check-in on one programme-local day (the key makes it once a day): the streak it
 * reached (consecutive local days, this one included) and the points it gave (a CHECK_IN
 * transaction; none when the points were 0).
 */
@Entity({ tableName: 'check_in' })
@Check({ name: 'check_in_streak_check', expression: 'streak >= 1' })
@Check({ name: 'check_in_points_check', expression: 'points >= 0' })
export class CheckIn {
  @PrimaryKey({ type: 'uuid' })
  memberId!: string;

  /** The programme-local day (YYYY-MM-DD). */
  @PrimaryKey({ type: 'date' })
  day!: string;

  @Property({ type: 'integer' })
  streak!: number;

  @Property({ type: 'integer' })
  points!: number;

  @Property({ type: 'bigint', nullable: true })
  transactionId: string | null = null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  checkedInAt: Date = new Date();
}
