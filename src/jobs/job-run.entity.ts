import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/** Scheduled job runs: the unique (job, slot) makes a schedule run once across instances. */
@Entity({ tableName: 'job_run' })
@Unique({ name: 'job_run_job_slot_unique', properties: ['job', 'slot'] })
export class JobRun {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'text' })
  job!: string;

  @Property({ type: 'text' })
  slot!: string;

  @Property({ type: 'timestamptz' })
  startedAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null = null;

  @Property({ type: 'json', nullable: true })
  result: unknown = null;
}
