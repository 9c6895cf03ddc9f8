import { Field, ID, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'One run of a scheduled daily job: one per job and slot, across instances.' })
export class JobRun {
  @Field(() => ID) id!: string;
  @Field({ description: 'points.expire, tiers.review, tiers.notices, benefits.birthday, retention.refresh or campaigns.reevaluate.' })
  job!: string;
  @Field({ description: 'The instant the run is evaluated at (its asOf): local midnight of a programme day.' })
  slot!: Date;
  @Field() startedAt!: Date;
  @Field(() => Date, { nullable: true, description: 'Null while the run is in progress.' })
  finishedAt!: Date | null;
  @Field(() => Int, { nullable: true, description: 'What the job looked at; null while it runs and when it failed.' })
  processed!: number | null;
  @Field(() => Int, { nullable: true, description: 'What the job changed; null while it runs and when it failed.' })
  changed!: number | null;
  @Field({ description: 'The run ended in an error (its text is in the server\'s log, not here).' })
  failed!: boolean;
}
