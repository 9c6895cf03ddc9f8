// The bulk-import part of the contract (shared/contract/parts/integrations.graphql).
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum ImportKind { MEMBERS = 'MEMBERS', PURCHASES = 'PURCHASES' }
export enum ImportStatus { RUNNING = 'RUNNING', SUCCEEDED = 'SUCCEEDED', FAILED = 'FAILED' }
registerEnumType(ImportKind, { name: 'ImportKind' });
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
  @Field(() => ImportStatus) status!: ImportStatus;
  @Field(() => Int) rowsDone!: number;
  @Field(() => Int) rowsRejected!: number;
  @Field() startedAt!: Date;
  @Field(() => Date, { nullable: true }) finishedAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'Why a FAILED job failed (what to do about it); null otherwise. Rejected lines are in errors.' })
  failure!: string | null;
}
