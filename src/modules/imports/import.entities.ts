import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

export type ImportKind = 'MEMBERS' | 'PURCHASES';
export type ImportMode = 'history' | 'earn';
export type ImportFormat = 'csv' | 'ndjson';
export type ImportStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED';
/** Where a running job is: its file going into the staging table, the checks, the writes. */
export type ImportPhase = 'UPLOADING' | 'VALIDATING' | 'APPLYING' | 'DECIDING_TIERS' | 'DONE';

/** A bulk import: what it loads, how far it got, and how many lines it took and rejected. */
@Entity({ tableName: 'import_job' })
@Index({ name: 'import_job_started_at_index', properties: ['startedAt'] })
export class ImportJob {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'text' })
  kind!: ImportKind;

  /** Purchases only: `history` (analytics and the tier window, no points) or `earn` (the earning rules). */
  @Property({ type: 'text', nullable: true })
  mode: ImportMode | null = null;

  @Property({ type: 'text' })
  format!: ImportFormat;

  @Property({ type: 'text', default: 'RUNNING' })
  status: ImportStatus = 'RUNNING';

  @Property({ type: 'text', default: 'UPLOADING' })
  phase: ImportPhase = 'UPLOADING';

  /** Who started it, as the audit log writes actors. */
  @Property({ type: 'text' })
  actor!: string;

  /** Data lines staged (the header row of a CSV not counted). */
  @Property({ type: 'integer', default: 0 })
  rowsTotal: number = 0;

  /** Lines applied so far (a line that changed nothing because it was there already counts: it is done). */
  @Property({ type: 'integer', default: 0 })
  rowsDone: number = 0;

  @Property({ type: 'integer', default: 0 })
  rowsRejected: number = 0;

  /** Why a FAILED job failed. */
  @Property({ type: 'text', nullable: true })
  failure: string | null = null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  startedAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null = null;
}

/**
 * The externalId of a member erased on request, as its SHA-256 digest: a members import creates
 * no member for it (migration import_erased_keys).
 */
@Entity({ tableName: 'import_erased_key' })
export class ImportErasedKey {
  @PrimaryKey({ type: 'bytea' })
  digest!: Buffer;

  @Property({ type: 'timestamptz' })
  erasedAt!: Date;
}

/** A rejected line of a job's file and why (line 1: a CSV's header row, or the first line of NDJSON; line 0: a note on an NDJSON file's keys). */
@Entity({ tableName: 'import_error' })
export class ImportErrorRow {
  @PrimaryKey({ type: 'uuid' })
  jobId!: string;

  @PrimaryKey({ type: 'integer' })
  line!: number;

  @Property({ type: 'text' })
  message!: string;
}
