// The bulk-import part of the contract (shared/contract/parts/integrations.graphql).
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum ImportKind { MEMBERS = 'MEMBERS', PURCHASES = 'PURCHASES' }
export enum ImportStatus { RUNNING = 'RUNNING', SUCCEEDED = 'SUCCEEDED', FAILED = 'FAILED' }
export enum ImportMode { HISTORY = 'HISTORY', EARN = 'EARN' }
registerEnumType(ImportKind, { name: 'ImportKind' });
registerEnumType(ImportMode, {
  name: 'ImportMode',
  description: 'How a purchases import records its lines (the upload\'s mode=history|earn).',
  valuesConfig: {
    HISTORY: { description: 'Recorded as facts for analytics and the tier window; no points are earned.' },
    EARN: { description: 'Each purchase earns as recordPurchase would at its date.' },
  },
});
registerEnumType(ImportStatus, { name: 'ImportStatus' });

@ObjectType()
export class ImportError {
  @Field(() => Int) line!: number;
  @Field() message!: string;
}

@ObjectType()
export class ImportJob {
  @Field(() => ID) id!: string;
  @Field(() => ImportKind) kind!: ImportKind;
  @Field(() => ImportMode, { nullable: true, description: 'A PURCHASES job\'s mode; null for MEMBERS.' })
  mode!: ImportMode | null;
  @Field(() => ImportStatus) status!: ImportStatus;
  @Field(() => Int) rowsDone!: number;
  @Field(() => Int) rowsRejected!: number;
  @Field() startedAt!: Date;
  @Field(() => Date, { nullable: true }) finishedAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'Why a FAILED job failed (what to do about it); null otherwise. Rejected lines are in errors.' })
  failure!: string | null;
}
