// Beyond the contract part `engagement` (adding is allowed): the console's statistics over time.
import { Field, ObjectType } from 'type-graphql';
import { ReferralStats } from './engagement';

@ObjectType({ description: 'referralStats of one programme-local calendar month [from, to)' })
export class ReferralMonthStats {
  @Field(() => Date, { description: 'the first instant of the month, programme-local' }) from!: Date;
  @Field(() => Date, { description: 'the first instant of the next month' }) to!: Date;
  @Field(() => ReferralStats) stats!: ReferralStats;
}
