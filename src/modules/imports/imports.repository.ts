import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { MAX_INSTANT } from '../../common/clock';
import { isUuid } from '../members/members.service';
import { pgArray, pgTextArray } from '../../db/entity-manager';
import { minusMonths, plusMonths } from '../../db/months';
import { MAX_POINTS } from '../points/points.rules';
import { IMPORT_REASON, UPGRADE_REASON } from '../tiers/tiers.rules';
import { withDates } from '../../db/rows';
import type { ImportFormat, ImportKind, ImportMode, ImportPhase, ImportStatus } from './import.entities';

/**
 * The imports module's SQL. Its own tables: `import_job`, `import_error`, `import_erased_key`
 * (the digests of erased members' externalIds) and each job's
 * staging tables (`import_stage_<id>`, made like `import_member_stage` or
 * `import_purchase_stage`; `import_affected_<id>`, the members a purchase import touched;
 * `import_queue_<id>`, an earn import's purchases in the order they are earned).
 *
 * Set-based writes to other modules' tables, on purpose (a million members are not a million
 * calls to a service): the members module's `member` (new members and profile fields), the
 * points module's `point_account`, `point_transaction` (OPENING_BALANCE), `point_lot`,
 * `purchase` (history mode, source 'import') and `qualifying_entry`, the tiers module's
 * `tier_change` (the opening tier, reason 'import'), and the audit module's `audit_entry` (an
 * existing member's profile changes, one `member.update` entry each, written by the statement
 * that changes them: updateProfiles). Reads, beside those: `tier` (the entry tier, each tier's
 * multiplier) and `program` (the settings an import earns and dates by). Each statement keeps those modules'
 * invariants as their own writes do: balance = Σ live lot remainders = Σ transactions and the
 * newest transaction's balance_after = balance (one transaction and one lot per opening
 * balance on a new account), tier_member_delta by the member table's own triggers, a
 * qualifying entry per purchase dated at it (source 'purchase:<orderId>', as recordPurchase
 * writes it), and the window counters counted for every member whose entries moved
 * (TierEngine.settleImported). The writes of a purchase import lock their members' account
 * and member rows first, in member-id order (db/locks.ts order).
 */

export interface ImportJobRow {
  id: string; kind: ImportKind; mode: ImportMode | null; format: ImportFormat; status: ImportStatus; phase: ImportPhase; actor: string;
  rowsTotal: number; rowsDone: number; rowsRejected: number; failure: string | null; startedAt: Date; finishedAt: Date | null;
}

const JOB_COLUMNS = `id, kind, mode, format, status, phase, actor, rows_total as "rowsTotal", rows_done as "rowsDone",
  rows_rejected as "rowsRejected", failure, started_at as "startedAt", finished_at as "finishedAt"`;
const jobRow = (r: ImportJobRow): ImportJobRow => withDates(r, ['startedAt', 'finishedAt']);

/** The advisory lock class a running job holds (with its id) on its own connection: a job whose lock is free has lost its process. */
export const JOB_LOCK_CLASS = 23023;

/** A job's table name part: its uuid's hex digits (checked, so that nothing else reaches the SQL text). */
const tableKey = (id: string) => {
  if (!isUuid(id)) throw new Error(`not a job id: ${id}`);
  return id.replace(/-/g, '').toLowerCase();
};
export const stageTable = (id: string) => `import_stage_${tableKey(id)}`;
export const affectedTable = (id: string) => `import_affected_${tableKey(id)}`;
export const queueTable = (id: string) => `import_queue_${tableKey(id)}`;

export function nextJobId(): string {
  return randomUUID();
}

export async function lockJob(em: EntityManager, id: string): Promise<void> {
  await em.execute('select pg_advisory_lock(?, hashtext(?))', [JOB_LOCK_CLASS, id]);
}

export async function unlockJob(em: EntityManager, id: string): Promise<void> {
  await em.execute('select pg_advisory_unlock(?, hashtext(?))', [JOB_LOCK_CLASS, id]);
}

export async function insertJob(em: EntityManager, j: { id: string; kind: ImportKind; mode: ImportMode | null; format: ImportFormat; actor: string }): Promise<ImportJobRow> {
  const [r] = await em.execute<ImportJobRow[]>(
    `insert into import_job (id, kind, mode, format, actor) values (?, ?, ?, ?, ?) returning ${JOB_COLUMNS}`, [j.id, j.kind, j.mode, j.format, j.actor],
  );
  return jobRow(r);
}

export async function createStage(em: EntityManager, id: string, kind: ImportKind): Promise<void> {
  const shape = kind === 'MEMBERS' ? 'import_member_stage' : 'import_purchase_stage';
  await em.execute(`create unlogged table ${stageTable(id)} (like ${shape}) with (autovacuum_enabled = false)`);
}

/** The COPY statement that fills a job's staging table from the upload. */
export const copyIntoStage = (id: string) => `copy ${stageTable(id)} from stdin`;

export async function dropJobTables(em: EntityManager, id: string): Promise<void> {
  await em.execute(`drop table if exists ${stageTable(id)}, ${affectedTable(id)}, ${queueTable(id)}`);
}

export async function setStaged(em: EntityManager, id: string): Promise<number> {
  await em.execute(`analyze ${stageTable(id)}`);
  const [r] = await em.execute<{ n: number }[]>(
    `update import_job set rows_total = (select count(*) from ${stageTable(id)}), phase = 'VALIDATING' where id = ? returning rows_total as n`, [id],
  );
  return r.n;
}

export async function setPhase(em: EntityManager, id: string, phase: ImportPhase): Promise<void> {
  await em.execute('update import_job set phase = ? where id = ?', [phase, id]);
}

export async function addDone(em: EntityManager, id: string, n: number): Promise<void> {
  if (n > 0) await em.execute('update import_job set rows_done = rows_done + ? where id = ?', [n, id]);
}

export async function finishJob(em: EntityManager, id: string, status: ImportStatus, failure: string | null): Promise<ImportJobRow> {
  const [r] = await em.execute<ImportJobRow[]>(
    `update import_job set status = ?, phase = 'DONE', failure = ?, finished_at = clock_timestamp() where id = ? returning ${JOB_COLUMNS}`,
    [status, failure, id],
  );
  return jobRow(r);
}

/** A job whose file was refused (the upload answered 400): gone, with any line it noted, as if never started. */
export async function discardJob(em: EntityManager, id: string): Promise<void> {
  await em.execute(`with e as (delete from import_error where job_id = ?) delete from import_job where id = ?`, [id, id]);
}

/** Rejected lines, each with its reason; the job's rejected count moves with them. */
export async function insertErrors(em: EntityManager, id: string, errors: { line: number; message: string }[]): Promise<void> {
  if (!errors.length) return;
  await em.execute(
    `with e as (insert into import_error (job_id, line, message)
       select ?, line, message from jsonb_to_recordset(?::jsonb) as v(line int, message text) on conflict do nothing returning 1)
     update import_job set rows_rejected = rows_rejected + (select count(*) from e) where id = ?`,
    [id, JSON.stringify(errors), id],
  );
}

/** What a rejected line's reason says in place of an erased member's former externalId. */
export const ERASED = '[erased]';

/** The SQL of an externalId's digest, as import_erased_key keeps it. */
const KEY_DIGEST = (col: string) => `sha256(convert_to(${col}, 'UTF8'))`;

/** For an erasure, in its transaction: its externalId kept as a digest, so that no members import creates the person again. */
export async function rememberErasedKey(tx: EntityManager, externalId: string, at: Date): Promise<void> {
  await tx.execute(`insert into import_erased_key (digest, erased_at) values (${KEY_DIGEST('?::text')}, ?) on conflict do nothing`, [externalId, at]);
}

/** Whether a member erased on request had the externalId of line `s`. */
const ERASED_KEY = (s: string) => `exists (select 1 from import_erased_key k where k.digest = ${KEY_DIGEST(`${s}.external_id`)})`;

/**
 * For an erasure: the rejected lines' reasons that quote `externalId` (a key twice in a members
 * file, a purchase naming no member) say ERASED in its place. Those two reasons are the only
 * ones that quote a member's value (checkMembers, checkPurchases). Returns how many changed.
 */
export async function scrubErrorsForErasure(tx: EntityManager, externalId: string): Promise<number> {
  const rows = await tx.execute<{ n: number }[]>(
    `with changed as (
       update import_error e set message = case when e.message = 'No member has externalId ' || ?::text then 'No member has externalId ' || ?::text
         else 'externalId ' || ?::text || substr(e.message, length('externalId ' || ?::text) + 1) end
       where e.message = 'No member has externalId ' || ?::text or starts_with(e.message, 'externalId ' || ?::text || ' is also on line ')
       returning 1)
     select count(*)::int as n from changed`,
    [externalId, ERASED, ERASED, externalId, externalId, externalId],
  );
  return rows[0]?.n ?? 0;
}

/** What a job the server stopped under (between batches, SIGTERM) says. */
export const STOPPED_FAILURE = 'The server stopped while the import ran; nothing after its last committed batch was written. Import the file again: lines already in are skipped.';

/**
 * What a job whose lock is gone says when next read: its process died, or its connection to the
 * database did (PostgreSQL restarted or went away under a running server, which serves on; the
 * job cannot tell which). It said only "The server stopped", to an operator whose server had not.
 */
export const LOST_FAILURE = 'The server stopped while the import ran, or lost its connection to the database; nothing after its last committed batch was written. Import the file again: lines already in are skipped.';

/**
 * Jobs marked RUNNING whose process is gone (nobody holds their advisory lock): FAILED, their
 * staging tables dropped. A transaction-level try-lock, so the check itself holds nothing.
 */
export async function failOrphans(tx: EntityManager): Promise<ImportJobRow[]> {
  const rows = await tx.execute<{ id: string }[]>(
    `select id from import_job where status = 'RUNNING' and pg_try_advisory_xact_lock(?, hashtext(id::text))`, [JOB_LOCK_CLASS],
  );
  const failed: ImportJobRow[] = [];
  for (const { id } of rows) {
    await dropJobTables(tx, id);
    const [r] = await tx.execute<ImportJobRow[]>(`update import_job set status = 'FAILED', phase = 'DONE', failure = ?,
      finished_at = clock_timestamp() where id = ? and status = 'RUNNING' returning ${JOB_COLUMNS}`, [LOST_FAILURE, id]);
    // Another instance's sweep whose snapshot also saw it RUNNING may have failed it (and announced
    // it) between that snapshot and this lock: the update re-reads the row and leaves it alone.
    if (r) failed.push(jobRow(r));
  }
  return failed;
}

export async function jobById(em: EntityManager, id: string): Promise<ImportJobRow | null> {
  if (!isUuid(id)) return null;
  const [r] = await em.execute<ImportJobRow[]>(`select ${JOB_COLUMNS} from import_job where id = ?`, [id]);
  return r ? jobRow(r) : null;
}

export async function latestJobs(em: EntityManager, first: number): Promise<ImportJobRow[]> {
  return (await em.execute<ImportJobRow[]>(`select ${JOB_COLUMNS} from import_job order by started_at desc, id limit ?`, [first])).map(jobRow);
}

export async function errorsOf(em: EntityManager, ids: readonly string[], first: number, afterLine: number | null): Promise<{ jobId: string; line: number; message: string }[]> {
  return em.execute(
    `select j.id as "jobId", e.line, e.message from unnest(?::uuid[]) as j(id)
     cross join lateral (select line, message from import_error e where e.job_id = j.id and e.line > ? order by line limit ?) e`,
    // From line 0 on: an NDJSON file's note on its keys (noteUnknownColumns) stands there.
    [pgArray(ids), afterLine ?? -1, first],
  );
}

/** The staging table's heap in pages: writes go through it in ranges of pages (the file's order). */
export async function stagePages(em: EntityManager, table: string): Promise<number> {
  const [r] = await em.execute<{ pages: number }[]>(`select (pg_relation_size(?::regclass) / current_setting('block_size')::int)::int as pages`, [table]);
  return r.pages;
}

export const tidRange = (first: number, pages: number) => ({ from: `(${first},0)`, to: `(${first + pages},0)` });

// ---- checks ----------------------------------------------------------------------------

/** An ISO-8601 date or date-time (a time without an offset is the programme's local time: `stagedInstant`), as PostgreSQL can read it. */
// ({0,1}, not ?: a ? in the text is a parameter to execute().)
// The pattern checks every field's range (an offset up to ±14:59, as time zones go); only a day
// past the 28th can still be no date (30 February), which the month's length settles
// (validDay): plain arithmetic, on every PostgreSQL the server runs on (pg_input_is_valid is 16+).
const instant = (col: string) => `(case when ${col} ~ '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])([T ]([01]\\d|2[0-3]):[0-5]\\d(:[0-5]\\d(\\.\\d{1,3}){0,1}){0,1}(Z|[+-](0\\d|1[0-4])(:{0,1}[0-5]\\d){0,1}){0,1}){0,1}$'
  then ${validDay(col)} else false end)`;
const day = (col: string) => `(case when ${col} ~ '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$' then ${validDay(col)} else false end)`;
/** For a text the patterns above passed: a year from 1, and a day the month has. */
const validDay = (col: string) => `(substr(${col}, 1, 4) <> '0000' and (substr(${col}, 9, 2) <= '28'
  or substr(${col}, 9, 2)::int <= extract(day from make_date(substr(${col}, 1, 4)::int, substr(${col}, 6, 2)::int, 1) + interval '1 month' - interval '1 day')))`;
// CASE, not AND: PostgreSQL does not promise to test AND's operands in order, and the cast must come after the pattern.
const count = (col: string) => `(case when ${col} ~ '^\\d{1,10}$' then ${col}::bigint <= 2147483647 else false end)`;
const money = (col: string) => `(case when ${col} ~ '^\\d{1,13}(\\.\\d{1,2}){0,1}$' then ${col}::numeric <= 1000000000000 else false end)`;
/** The setting that holds the time zone of a job's file (its connection's, for the job's life). */
const IMPORT_ZONE = 'loyalty.import_zone';

/**
 * A staged instant (a text `instant` passed) as timestamptz: with its offset as written; without
 * one (a till's local time, a date alone) in the programme's time zone, which says what a day
 * is everywhere else: read as UTC, an evening's sale in Shanghai landed on the next local day
 * and a 1 July sale in New York in June. The zone is the job's, set on its connection at its
 * start (IMPORT_ZONE). An offset can only follow the time (a date's own `-` comes before it).
 */
export const stagedInstant = (col: string) =>
  `(case when ${col} ~ '[T ].*[Z+-]' then ${col}::timestamptz else ${col}::timestamp at time zone current_setting('${IMPORT_ZONE}') end)`;

/** The job's connection reads its file's times without an offset in `timeZone` (the programme's at the job's start; every job sets its own). */
export async function setImportZone(em: EntityManager, timeZone: string): Promise<void> {
  await em.execute(`select set_config('${IMPORT_ZONE}', ?, false)`, [timeZone]);
}

export const cents = (col: string) => `(${col}::numeric * 100)::bigint`;

/**
 * The last instant the API takes or writes (common/clock.ts MAX_INSTANT): a file's instant past it
 * (9999-12-31T23:00:00-14:00 is in the year 10000) is a rejected line, as the API refuses it;
 * stored, the member's tierExpiresAt or a lot's expiresAt came out as "+010000-01-01T13:00:00.000Z".
 */
const LAST_INSTANT = `'${MAX_INSTANT.toISOString()}'::timestamptz`;

/**
 * The reasons of `own` (each line's own first failed check, or null) with a key's second and
 * later valid lines rejected: of the lines with one key, the first that passes its own checks
 * is taken (a rejected line before it takes nothing: its key stays free for the next). `column`:
 * the key's staging column, `field`: its name in the file.
 */
const FIRST_VALID_TAKEN = (column: string, field: string) => `
       select o.line, coalesce(o.message, case when o.line <> o.taken then '${field} ' || o.${column} || ' is also on line ' || o.taken || ' (that line is the one taken)' end) as message
       from (select own.*, min(own.line) filter (where own.message is null) over (partition by own.${column} collate "C") as taken from own) o`;

/** Members: one reason per bad line (the first check it fails). `at`: the job's start. */
export async function checkMembers(tx: EntityManager, id: string, at: Date): Promise<void> {
  const s = stageTable(id);
  await tx.execute(
    `with own as (
       select s.line, s.external_id, case
         when s.error is not null then s.error
         when s.external_id is null then 'externalId is required'
         -- The profile's checks as registerMember's input makes them (api/types/inputs.ts RegisterMemberInput)
         when length(s.external_id) > 200 then 'externalId must be at most 200 characters'
         when length(s.display_name) > 200 then 'displayName must be at most 200 characters'
         -- an email's form is checked as the line streams in (imports.rules.ts emailChecked: class-validator's isEmail, as the API's)
         when s.email is not null and length(s.email) > 320 then 'email must be an email'
         when s.phone is not null and (s.phone !~ '^[+]{0,1}[0-9 ()-]{3,32}$' or s.phone !~ '[0-9]') then 'phone must be digits, spaces, ( ) - and a leading + (at least one digit)'
         when length(s.gender) > 32 then 'gender must be at most 32 characters'
         when length(s.region) > 100 then 'region must be at most 100 characters'
         when length(s.channel) > 100 then 'channel must be at most 100 characters'
         when s.birthday is not null and not (case when ${day('s.birthday')} then s.birthday::date between '1900-01-01' and (?::timestamptz + interval '1 day')::date else false end)
           then 'birthday must be a date in YYYY-MM-DD, from 1900-01-01 to today'
         when s.joined_at is not null and not ${instant('s.joined_at')} then 'joinedAt must be an ISO-8601 date-time'
         when s.joined_at is not null and ${stagedInstant('s.joined_at')} > ?::timestamptz + interval '5 minutes' then 'joinedAt must not be in the future'
         when s.joined_at is not null and ${stagedInstant('s.joined_at')} < '1970-01-01T00:00:00Z' then 'joinedAt must not be before 1970-01-01'
         when s.tier_code is not null and not exists (select 1 from tier t where t.code = s.tier_code) then 'tierCode ' || s.tier_code || ' is not a tier of the programme'
         when s.tier_expires_at is not null and s.tier_code is null then 'tierExpiresAt needs a tierCode'
         when s.tier_expires_at is not null and not ${instant('s.tier_expires_at')} then 'tierExpiresAt must be an ISO-8601 date-time'
         when s.tier_expires_at is not null and ${stagedInstant('s.tier_expires_at')} <= ?::timestamptz then 'tierExpiresAt must be in the future'
         when s.tier_expires_at is not null and ${stagedInstant('s.tier_expires_at')} > ${LAST_INSTANT} then 'tierExpiresAt must not be after 9999-12-31'
         when s.points_balance is not null and not ${count('s.points_balance')} then 'pointsBalance must be a whole number from 0 to 2147483647'
         when s.points_expire_at is not null and s.points_balance is null then 'pointsExpireAt needs a pointsBalance'
         when s.points_expire_at is not null and not ${instant('s.points_expire_at')} then 'pointsExpireAt must be an ISO-8601 date-time'
         when s.points_expire_at is not null and ${stagedInstant('s.points_expire_at')} <= ?::timestamptz then 'pointsExpireAt must be in the future'
         when s.points_expire_at is not null and ${stagedInstant('s.points_expire_at')} > ${LAST_INSTANT} then 'pointsExpireAt must not be after 9999-12-31'
         -- A new member only: a live one with the key (a person who joined again) is updated as any other.
         when (select exists (select 1 from import_erased_key)) and not exists (select 1 from member m where m.external_id = s.external_id) and ${ERASED_KEY('s')}
           then 'externalId is the key of a member erased on request: the import does not create the person again (registerMember does, if they join again)'
       end as message
       from ${s} s
     ), checked as (${FIRST_VALID_TAKEN('external_id', 'externalId')}), e as (insert into import_error (job_id, line, message) select ?, line, message from checked where message is not null on conflict do nothing returning 1)
     update import_job set rows_rejected = rows_rejected + (select count(*) from e) where id = ?`,
    [at, at, at, at, id, id],
  );
}

/**
 * The check's judgement of an order already recorded (`p`, joined on the line's orderId) against
 * line `s` of member `member`, and the history import's of its refunded total; the same when a
 * line is written (an order recorded since the check) as at the check.
 */
const RECORDED_OTHERWISE = (p: string, s: string, member: string) =>
  `${p}.member_id <> ${member} or ${p}.amount_cents <> ${cents(`${s}.amount`)} or ${p}.occurred_at <> ${stagedInstant(`${s}.occurred_at`)}`;
const RECORDED_OTHERWISE_MESSAGE = (order: string) => `'orderId ' || ${order} || ' is already recorded with another member, amount or occurredAt'`;
const RECORDED_REFUNDED_OTHERWISE = (p: string, s: string) => `${p}.refunded_cents <> coalesce(${cents(`${s}.refunded_amount`)}, 0)`;
const RECORDED_REFUNDED_MESSAGE = (p: string, order: string) =>
  `'orderId ' || ${order} || ' is already recorded with refundedAmount ' || trim_scale(${p}.refunded_cents::numeric / 100) || ': history mode leaves a recorded order as it is (earn mode refunds the difference)'`;

/**
 * Purchases: one reason per bad line. A recorded order is taken again only with the same
 * member, amount and instant (then it is skipped; earn mode refunds what its refundedAmount
 * adds), and in history mode, which leaves a recorded order as it is, with the same refunded total.
 */
export async function checkPurchases(tx: EntityManager, id: string, at: Date, history: boolean): Promise<void> {
  const s = stageTable(id);
  await tx.execute(
    `with own as (
       select s.line, s.order_id, case
         when s.error is not null then s.error
         when s.order_id is null then 'orderId is required'
         when length(s.order_id) > 200 then 'orderId must be at most 200 characters'
         when s.external_id is null then 'externalId is required'
         when m.id is null then 'No member has externalId ' || s.external_id
         when s.amount is null then 'amount is required'
         when not ${money('s.amount')} then 'amount must be a decimal number with at most 2 decimals, up to 1000000000000'
         when s.amount::numeric = 0 then 'amount must be greater than 0'
         when s.occurred_at is null then 'occurredAt is required'
         when not ${instant('s.occurred_at')} then 'occurredAt must be an ISO-8601 date-time'
         when ${stagedInstant('s.occurred_at')} > ?::timestamptz + interval '5 minutes' then 'occurredAt must not be in the future'
         when ${stagedInstant('s.occurred_at')} < '1970-01-01T00:00:00Z' then 'occurredAt must not be before 1970-01-01'
         when s.refunded_amount is not null and not ${money('s.refunded_amount')} then 'refundedAmount must be a decimal number with at most 2 decimals'
         when s.refunded_amount is not null and s.refunded_amount::numeric > s.amount::numeric then 'refundedAmount must not exceed amount'
         when p.order_id is not null and (${RECORDED_OTHERWISE('p', 's', 'm.id')}) then ${RECORDED_OTHERWISE_MESSAGE('s.order_id')}
         when p.order_id is not null and ?::boolean and ${RECORDED_REFUNDED_OTHERWISE('p', 's')} then ${RECORDED_REFUNDED_MESSAGE('p', 's.order_id')}
       end as message
       from ${s} s left join member m on m.external_id = s.external_id left join purchase p on p.order_id = s.order_id
     ), checked as (${FIRST_VALID_TAKEN('order_id', 'orderId')}), e as (insert into import_error (job_id, line, message) select ?, line, message from checked where message is not null on conflict do nothing returning 1)
     update import_job set rows_rejected = rows_rejected + (select count(*) from e) where id = ?`,
    [at, history, id, id],
  );
}

/** Line 1's note about header columns the kind does not know (their values are ignored). */
export async function noteUnknownColumns(tx: EntityManager, id: string, unknown: string[], format: ImportFormat): Promise<void> {
  if (!unknown.length) return;
  // A CSV's header row is line 1; an NDJSON file's line 1 is an object, which a note there would
  // reject (a line with an import_error row is not written): its note is on line 0, the file's.
  await tx.execute(`insert into import_error (job_id, line, message) values (?, ?, ?) on conflict do nothing`,
    [id, format === 'csv' ? 1 : 0, `Unknown column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: ignored (the other columns were read)`]);
}

/**
 * A valid line whose member is gone when its purchase is written: erased (or its externalId
 * changed) after the file was checked. The message does not quote the externalId: an erasure
 * scrubs it from the lines written before it, and this one is written after.
 */
const GONE = `'No member has this line''s externalId any more: the member was erased, or its externalId changed, after the file was checked'`;
const VALID = (s: string, id: string) => `not exists (select 1 from import_error e where e.job_id = '${tableKey(id)}'::uuid and e.line = ${s}.line)`;

// ---- members ---------------------------------------------------------------------------

export interface MemberSettings { windowMonths: number; validityMonths: number; expiryMonths: number | null }

/**
 * New members of the range, each with its opening state, in one statement: the member on the
 * tier the file gives from `at` (else on the entry tier from its joining, as registerMember
 * has it), its account with the opening balance,
 * an OPENING_BALANCE transaction and its lot, and a tier change with reason 'import' (UPGRADE
 * above the entry tier, RENEWAL on it) when the file gives a tier. A line whose externalId is
 * already a member (or becomes one in a concurrent import) creates nothing here.
 */
export async function insertNewMembers(tx: EntityManager, id: string, range: { from: string; to: string }, at: Date, s: MemberSettings): Promise<number> {
  const validityEnd = plusMonths('?::timestamptz', String(s.validityMonths));
  const lotEnd = s.expiryMonths == null ? 'null::timestamptz' : plusMonths('?::timestamptz', String(s.expiryMonths));
  const [r] = await tx.execute<{ created: number }[]>(
    `with src as materialized (
       select s.*, t.id as tier_id, t.rank from ${stageTable(id)} s left join tier t on t.code = s.tier_code
       where s.ctid >= ?::tid and s.ctid < ?::tid and ${VALID('s', id)}
     ), entry as (select id from tier where rank = 0), new as (
       insert into member (id, external_id, display_name, email, phone, birthday, gender, region, channel, joined_at, tier_id, tier_since,
         tier_expires_at, window_points, points_after_expiry, window_points_months, created_at, updated_at)
       select gen_random_uuid(), s.external_id, s.display_name, s.email, s.phone, s.birthday::date, s.gender, s.region, s.channel,
         coalesce(${stagedInstant('s.joined_at')}, ?::timestamptz), coalesce(s.tier_id, (select id from entry)),
         -- on the entry tier since joining, as registerMember has it; a tier the file gives, since the import (its tier change's instant)
         case when s.tier_code is null then coalesce(${stagedInstant('s.joined_at')}, ?::timestamptz) else ?::timestamptz end,
         case when coalesce(s.rank, 0) = 0 then null else coalesce(${stagedInstant('s.tier_expires_at')}, ${validityEnd}) end,
         0, 0, case when coalesce(s.rank, 0) = 0 then null else ?::smallint end, now(), now()
       -- in externalId order: two imports of overlapping files take the key's index entries in one order (no deadlock)
       -- (a member erased since the file was checked is not created again either)
       from src s where not ${ERASED_KEY('s')} order by s.external_id
       on conflict (external_id) do nothing
       returning id, external_id, tier_id, tier_expires_at
     ), opened as (select n.*, s.points_balance::int as balance, s.points_expire_at, s.tier_code, s.rank from new n join src s using (external_id)
     ), acct as (
       insert into point_account (member_id, balance, lifetime_earned, updated_at) select id, coalesce(balance, 0), coalesce(balance, 0), now() from opened
     ), txn as (
       insert into point_transaction (member_id, type, amount, balance_after, occurred_at, expires_at, reason, reference, idempotency_key, unrecovered, created_at)
       select id, 'OPENING_BALANCE', balance, balance, ?::timestamptz, coalesce(${stagedInstant('points_expire_at')}, ${lotEnd}), 'opening balance (import)',
         'import:' || ?::text, 'import-opening:' || id, 0, now()
       from opened where balance > 0
       returning id, member_id, amount, expires_at
     ), lot as (
       insert into point_lot (member_id, transaction_id, points, remaining, earned_at, activates_at, expires_at, order_id, late)
       select member_id, id, amount, amount, ?::timestamptz, ?::timestamptz, expires_at, null, false from txn
     ), chg as (
       insert into tier_change (member_id, kind, from_tier_id, to_tier_id, reason, qualifying_points, occurred_at, expires_at, created_at)
       -- the member's first tier: no tier before it (the contract's fromTier null), its kind by rank against the entry tier
       -- its reason the one a history rebuild keeps (tiers.rules.ts isOverrideReason)
       select id, case when rank > 0 then 'UPGRADE' else 'RENEWAL' end, null::uuid, tier_id, '${IMPORT_REASON}', 0, ?::timestamptz, tier_expires_at, now()
       from opened where tier_code is not null
     )
     select (select count(*) from new)::int as created`,
    [range.from, range.to, at, at, at, at, s.windowMonths, at, ...(s.expiryMonths == null ? [] : [at]), id, at, at, at],
  );
  return r.created;
}

/** The member's fields an import may change, as the audit log names them (camelCase) and as the member row has them. */
const PROFILE_AUDIT: readonly [string, string][] = [
  ['displayName', 'display_name'], ['email', 'email'], ['phone', 'phone'], ['birthday', 'birthday'], ['gender', 'gender'], ['region', 'region'],
  ['channel', 'channel'],
];

/**
 * The profile fields the range's lines give (an absent column or an empty value leaves the
 * field as it is), for members that exist; a row that would not change is not written. Each
 * member changed gets a `member.update` audit entry as updateMember writes one (by the job's
 * actor; before and after: the fields that changed), in the same statement: the log keeps what
 * the profile held, which an erasure looks for in what it keeps (a name an import replaced can
 * still be in an adjustment's reason). Returns the lines of the range that are valid.
 */
export async function updateProfiles(tx: EntityManager, id: string, range: { from: string; to: string }): Promise<number> {
  const fields = ['display_name', 'email', 'phone', 'gender', 'region', 'channel'];
  // joinedAt is the opening state's, as the tier and points are: a known member's stays (moved, it
  // put the member's tier start before it joined, and no API write moves it).
  const set = [...fields.map((f) => `${f} = coalesce(s.${f}, m.${f})`), 'birthday = coalesce(s.birthday::date, m.birthday)'];
  const differs = [...fields.map((f) => `(s.${f} is not null and s.${f} is distinct from m.${f})`), '(s.birthday is not null and s.birthday::date is distinct from m.birthday)'];
  const cols = PROFILE_AUDIT.map(([, c]) => `m.${c}`).join(', ');
  const pairs = PROFILE_AUDIT.map(([k, c]) => `('${k}', to_jsonb(o.${c}), to_jsonb(u.${c}))`).join(', ');
  const [r] = await tx.execute<{ lines: number }[]>(
    `with src as materialized (select s.* from ${stageTable(id)} s where s.ctid >= ?::tid and s.ctid < ?::tid and ${VALID('s', id)}),
     old as (select m.id, ${cols} from member m join src s on m.external_id = s.external_id where m.erased_at is null),
     upd as (update member m set ${set.join(', ')}, updated_at = now() from src s
       where m.external_id = s.external_id and m.erased_at is null and (${differs.join(' or ')}) returning m.id, ${cols}),
     aud as (insert into audit_entry (actor, action, entity, entity_id, before, after, at)
       select (select j.actor from import_job j where j.id = ?::uuid), 'member.update', 'Member', u.id::text, c.before, c.after, now()
       from upd u join old o on o.id = u.id
       cross join lateral (select jsonb_object_agg(v.k, v.b) as before, jsonb_object_agg(v.k, v.a) as after
         from (values ${pairs}) v(k, b, a) where v.b is distinct from v.a) c
       order by u.id)
     select (select count(*) from src)::int as lines, (select count(*) from upd)::int as updated`,
    [range.from, range.to, id],
  );
  return r.lines;
}

// ---- purchases -------------------------------------------------------------------------

export async function createAffected(em: EntityManager, id: string): Promise<void> {
  await em.execute(`create unlogged table if not exists ${affectedTable(id)} (member_id uuid primary key) with (autovacuum_enabled = false)`);
}

/** The qualifying points a refunded total reverses, floor(q × refunded / amount), in numeric: q × cents passed bigint for an order of 10^9 refunded whole. */
const REVERSED_Q = (q: string, refunded: string, amount: string) => `floor(${q}::numeric * ${refunded} / ${amount})::int`;
const PAST_INT_MESSAGE = `'amount would take qualifying points beyond ${MAX_POINTS}'`;

/**
 * History mode's points range, as recordPurchase's (BAD_USER_INPUT on amount): the members of
 * the file that a line of it could take past int, their ids; usually none. A member is one when
 * a line of its has qualifying points past int on their own, floor(amount × pointsPerUnit), or
 * when its positive qualifying entries and all its lines in the file, before refunds, would pass
 * int (a bound: `rejectPastInt` then takes its lines exactly, in file order). Once per import,
 * before the ranges: per range, it cost half as much again as the import itself (1,000,000
 * lines of 100,000 members: 48.0 s against 32.3 s).
 */
export async function pastIntSuspects(em: EntityManager, id: string, ppu: number): Promise<string[]> {
  // floor(amount × pointsPerUnit): the amount has at most 2 decimals (money), so this is the line's floor(cents × ppu / 100), computed once.
  const rows = await em.execute<{ id: string }[]>(
    `with per as (
       select l.external_id, max(l.q) as big, sum(l.q) as file
       from (select s.external_id, floor(s.amount::numeric * ?::numeric) as q
             from ${stageTable(id)} s where s.external_id is not null and ${money('s.amount')}) l
       group by l.external_id
     )
     select m.id from per join member m on m.external_id = per.external_id
     where per.big > ${MAX_POINTS} or per.file + (select coalesce(sum(greatest(e.points, 0)), 0) from qualifying_entry e where e.member_id = m.id) > ${MAX_POINTS}`,
    [ppu],
  );
  return rows.map((r) => r.id);
}

/**
 * The lines of the range, not recorded yet, that `suspects` (pastIntSuspects) cannot take: a line
 * whose qualifying points pass int, or whose member's qualifying points with it (its positive
 * entries and the file's lines before it that were taken, net of their refunds) would. They are
 * rejected lines. Such a line failed the whole job ("integer out of range" when written, or when
 * the member's tier was decided after its lines were in, from a window sum no read could then
 * return).
 */
async function rejectPastInt(tx: EntityManager, id: string, range: { from: string; to: string }, ppu: number, suspects: string[]): Promise<void> {
  if (!suspects.length) return;
  const q = (col: string) => `floor(${cents(col)} * ?::numeric / 100)`;
  const rows = await tx.execute<{ line: number; memberId: string; q: string; net: string; had: string }[]>(
    `with cand as materialized (
       select m.id as member_id, (select coalesce(sum(greatest(e.points, 0)), 0) from qualifying_entry e where e.member_id = m.id) as had
       from member m where m.id = any(?::uuid[])
     ), src as materialized (
       select s.line, m.id as member_id, ${q('s.amount')} as q, ${cents('s.amount')} as amount_cents,
         coalesce(${cents('s.refunded_amount')}, 0) as refunded_cents
       from ${stageTable(id)} s join member m on m.external_id = s.external_id join cand on cand.member_id = m.id
       where s.ctid >= ?::tid and s.ctid < ?::tid and ${VALID('s', id)}
         and not exists (select 1 from purchase p where p.order_id = s.order_id)
     )
     select src.line, src.member_id as "memberId", src.q::text as q, (src.q - floor(src.q * src.refunded_cents / src.amount_cents))::text as net, cand.had::text as had
     from src join cand using (member_id) order by src.member_id, src.line`,
    [pgArray(suspects), ppu, range.from, range.to],
  );
  const past: number[] = [];
  const total = new Map<string, bigint>();
  for (const r of rows) {
    const before = total.get(r.memberId) ?? BigInt(r.had);
    const after = before + BigInt(r.net);
    if (BigInt(r.q) > BigInt(MAX_POINTS) || after > BigInt(MAX_POINTS)) past.push(r.line);
    else total.set(r.memberId, after);
  }
  if (!past.length) return;
  await tx.execute(
    `with e as (insert into import_error (job_id, line, message) select ?, line, ${PAST_INT_MESSAGE} from unnest(?::int[]) as line on conflict do nothing returning 1)
     update import_job set rows_rejected = rows_rejected + (select count(*) from e) where id = ? and exists (select 1 from e)`,
    [id, pgArray(past), id],
  );
}

/**
 * History mode: the range's purchases recorded as facts (no points: earned 0, no transaction or
 * lot; the qualifying points they carry for the tier window, net of refundedAmount, as a
 * qualifying entry dated at the purchase), source 'import'. An order already recorded is left
 * as it is. The members they touch go into the job's affected table for the tier decision.
 */
export async function insertHistory(tx: EntityManager, id: string, range: { from: string; to: string }, ppu: number, suspects: string[] = []): Promise<number> {
  await rejectPastInt(tx, id, range, ppu, suspects);
  const [r] = await tx.execute<{ lines: number; inserted: number }[]>(
    `with src as materialized (
       select s.line, s.order_id, m.id as member_id, ${cents('s.amount')} as amount_cents, coalesce(${cents('s.refunded_amount')}, 0) as refunded_cents,
         ${stagedInstant('s.occurred_at')} as occurred_at
       from ${stageTable(id)} s join member m on m.external_id = s.external_id
       where s.ctid >= ?::tid and s.ctid < ?::tid and ${VALID('s', id)}
     ), q as (select src.*, floor(amount_cents * ?::numeric / 100)::int as q from src
     ), ins as (
       insert into purchase (order_id, member_id, amount_cents, refunded_cents, earned_points, qualifying_points, reversed_points, reversed_qualifying,
         lot_id, transaction_id, occurred_at, occurred_at_given, earned_tier_id, points_per_unit, source)
       select order_id, member_id, amount_cents, refunded_cents, 0, q, 0, ${REVERSED_Q('q', 'refunded_cents', 'amount_cents')}, null, null, occurred_at, true, null, ?, 'import'
       from q order by member_id, occurred_at
       on conflict (order_id) do nothing
       returning order_id, member_id, occurred_at, qualifying_points - reversed_qualifying as net
     ), qe as (
       insert into qualifying_entry (member_id, occurred_at, points, source) select member_id, occurred_at, net, 'purchase:' || order_id from ins where net <> 0
     ), aff as (
       insert into ${affectedTable(id)} (member_id) select distinct member_id from ins on conflict do nothing
     ), gone as (
       insert into import_error (job_id, line, message)
       select ?, s.line, ${GONE} from ${stageTable(id)} s
       where s.ctid >= ?::tid and s.ctid < ?::tid and ${VALID('s', id)} and s.line not in (select line from src)
       on conflict do nothing returning 1
     ), counted as (update import_job set rows_rejected = rows_rejected + (select count(*) from gone) where id = ? and exists (select 1 from gone))
     select (select count(*) from src)::int as lines, (select count(*) from ins)::int as inserted`,
    [range.from, range.to, ppu, ppu, id, range.from, range.to, id],
  );
  return r.inserted === r.lines ? r.lines : settleRecorded(tx, id, range);
}

/**
 * The lines of a range whose orders were recorded already, as the file's check would see them
 * now: an order recorded since the check (through the API, by another import) with another
 * member, amount, instant or (history mode) refunded total is a rejected line, as the check
 * rejects one recorded before it; the same order is done (a replay). Returns the lines done.
 * Run only when a range inserted fewer orders than it has lines (a file imported again, an
 * overlapping one), so a first import pays nothing for it.
 */
async function settleRecorded(tx: EntityManager, id: string, range: { from: string; to: string }): Promise<number> {
  const [r] = await tx.execute<{ lines: number }[]>(
    `with k as materialized (
       select s.line, p.order_id is not null as recorded, case
         when p.order_id is null then null
         when ${RECORDED_OTHERWISE('p', 's', 'm.id')} then ${RECORDED_OTHERWISE_MESSAGE('s.order_id')}
         when ${RECORDED_REFUNDED_OTHERWISE('p', 's')} then ${RECORDED_REFUNDED_MESSAGE('p', 's.order_id')}
       end as message
       from ${stageTable(id)} s join member m on m.external_id = s.external_id left join purchase p on p.order_id = s.order_id
       where s.ctid >= ?::tid and s.ctid < ?::tid and ${VALID('s', id)}
     ), e as (insert into import_error (job_id, line, message) select ?, line, message from k where message is not null on conflict do nothing returning 1
     ), counted as (update import_job set rows_rejected = rows_rejected + (select count(*) from e) where id = ? and exists (select 1 from e))
     select (select count(*) from k where recorded and message is null)::int as lines`,
    [range.from, range.to, id, id],
  );
  return r.lines;
}

/** The affected members after `after` in id order, a batch at a time (the tier decision's batches). */
export async function affectedAfter(em: EntityManager, id: string, after: string | null, limit: number): Promise<string[]> {
  const rows = await em.execute<{ id: string }[]>(
    `select member_id::text as id from ${affectedTable(id)} where member_id > coalesce(?::uuid, '00000000-0000-0000-0000-000000000000'::uuid) order by member_id limit ?`,
    [after, limit],
  );
  return rows.map((r) => r.id);
}

/** Lock order steps 1 and 2 for a list of members (member-id order). */
export async function lockMembers(tx: EntityManager, memberIds: string[]): Promise<void> {
  const ids = pgArray(memberIds);
  await tx.execute('select 1 from point_account where member_id = any(?::uuid[]) order by member_id for update', [ids]);
  await tx.execute('select 1 from member where id = any(?::uuid[]) order by id for no key update', [ids]);
}

// ---- earn mode -------------------------------------------------------------------------

/**
 * An earn import's purchases in the order they are earned: by member, then date, then line;
 * numbered (`n`), with each one's place among its member's (`round`). `fallback`: earned one
 * by one through the points service (a member with a refundedAmount in the file, or every
 * member when `allFallback`); the others go set-based, a round at a time (earnRound).
 */
export async function createQueue(tx: EntityManager, id: string, allFallback: boolean): Promise<{ total: number; rounds: number }> {
  await tx.execute(
    `create unlogged table ${queueTable(id)} with (autovacuum_enabled = false) as
     with v as (
       select s.line, s.order_id, m.id as member_id, ${cents('s.amount')} as amount_cents, ${cents('s.refunded_amount')} as refunded_cents,
         ${stagedInstant('s.occurred_at')} as occurred_at
       from ${stageTable(id)} s join member m on m.external_id = s.external_id where ${VALID('s', id)}
     )
     select row_number() over (order by member_id, occurred_at, line)::int as n,
       row_number() over (partition by member_id order by occurred_at, line)::int as round,
       ${allFallback ? 'true' : 'bool_or(coalesce(refunded_cents, 0) > 0) over (partition by member_id)'} as fallback, v.*
     from v`,
  );
  // A valid line whose externalId names no member now (the member erased, or its externalId
  // changed, since the file was checked) is in no queue: rejected, so that the lines done and
  // rejected still add up to the file's.
  await tx.execute(
    `with gone as (
       insert into import_error (job_id, line, message)
       select ?, s.line, ${GONE} from ${stageTable(id)} s
       where ${VALID('s', id)} and not exists (select 1 from ${queueTable(id)} q where q.line = s.line)
       on conflict do nothing returning 1
     ) update import_job set rows_rejected = rows_rejected + (select count(*) from gone) where id = ? and exists (select 1 from gone)`,
    [id, id],
  );
  await tx.execute(`create index on ${queueTable(id)} (round) where not fallback`);
  await tx.execute(`create index on ${queueTable(id)} (n) where fallback`);
  await tx.execute(`create unlogged table ${affectedTable(id)} with (autovacuum_enabled = false) as select distinct member_id from ${queueTable(id)}`);
  await tx.execute(`alter table ${affectedTable(id)} add primary key (member_id)`);
  await tx.execute(`analyze ${queueTable(id)}`);
  const [r] = await tx.execute<{ total: number; rounds: number }[]>(`select count(*)::int as total, coalesce(max(round), 0)::int as rounds from ${queueTable(id)}`);
  return r;
}

/**
 * The window counters of the members the rounds will write for are set aside (not counted: the
 * review reads their ledger instead) until they are counted anew after the rounds; a round
 * does not move them purchase by purchase.
 */
export async function uncountQueued(tx: EntityManager, id: string): Promise<void> {
  await tx.execute(`update member m set window_points_months = null
    where m.id in (select member_id from ${queueTable(id)} where not fallback) and m.window_points_months is not null`);
}

/** Marks every purchase of the queue still on the set-based path for the points service (the configuration changed so that it must). */
export async function fallBackAll(tx: EntityManager, id: string): Promise<void> {
  await tx.execute(`update ${queueTable(id)} set fallback = true where not fallback`);
}

export interface QueuedPurchase { n: number; line: number; orderId: string; memberId: string; amountCents: string; refundedCents: string | null; occurredAt: Date }

/** The purchases left to the points service, after `after` in queue order. */
export async function fallbackPage(em: EntityManager, id: string, after: number, limit: number): Promise<QueuedPurchase[]> {
  const rows = await em.execute<QueuedPurchase[]>(
    `select n, line, order_id as "orderId", member_id as "memberId", amount_cents::text as "amountCents", refunded_cents::text as "refundedCents",
       occurred_at as "occurredAt" from ${queueTable(id)} where fallback and n > ? order by n limit ?`,
    [after, limit],
  );
  return rows.map((r) => withDates(r, ['occurredAt']));
}

/** What an earn round takes from the configuration (the programme's, read in the round's transaction). */
export interface EarnRules { pointsPerUnit: number; windowMonths: number; validityMonths: number; pendingDays: number; expiryMonths: number | null }

/** Lock order steps 1 and 2 for the members of a round (accounts, then members, in member-id order). */
export async function lockRound(tx: EntityManager, id: string, round: number): Promise<void> {
  const members = `select member_id from ${queueTable(id)} where round = ? and not fallback`;
  await tx.execute(`select 1 from point_account where member_id in (${members}) order by member_id for update`, [round]);
  await tx.execute(`select 1 from member where id in (${members}) order by id for no key update`, [round]);
}

/**
 * One round of a set-based earn: the round-th purchase of every member still on this path,
 * decided as purchase_at_once (migration purchase_path) decides a purchase, for all of them in
 * two statements. First the decisions, into a scratch table: the tier held (the member row's),
 * the points it earns there (floor(amount × pointsPerUnit × multiplier), exact in numeric), the
 * qualifying points, the window sum with them and the upgrade it brings, the lot's dates; and
 * whether the purchase needs what only the statement-by-statement path does, under the same
 * conditions purchase_at_once sends it there (a history that may be out of date at its
 * instant, a debt, a lot under the expiry watermark, an upgrade a review run has passed, a
 * balance, qualifying points or window sum past int; a member erased since the file's check):
 * that member and its later purchases go to the points service (fallback). An order already recorded is a replay (nothing
 * written) when it has the line's member, amount and instant, and a rejected line otherwise (it
 * was recorded since the file's check, which rejects one recorded before). Then every write of the
 * others in one statement: the EARN transaction and its lot, the account, the qualifying entry,
 * the upgrade (member row and tier change), the purchase row (source 'import'). The caller
 * holds the round's members (lockRound) and counts their window counters after it.
 */
export async function earnRound(tx: EntityManager, id: string, round: number, r: EarnRules): Promise<{ written: number; replays: number }> {
  const w = String(r.windowMonths);
  const lotExpires = r.expiryMonths == null ? 'null::timestamptz' : plusMonths(`x.at + make_interval(days => ${r.pendingDays})`, String(r.expiryMonths));
  await tx.execute(
    `create temp table import_round on commit drop as
     with q as materialized ( -- each CTE once per row (inlined, the window sum ran once for every reference to it)
       select q.line, q.order_id, q.member_id, q.amount_cents, q.occurred_at as at, a.balance, a.lifetime_earned, a.expired_through,
         m.tier_id, t.rank, m.tier_expires_at,
         floor(q.amount_cents * ?::numeric / 100)::bigint as qp,
         floor(q.amount_cents * ?::numeric * t.points_multiplier / 100)::bigint as earned,
         p.order_id is not null as replay,
         -- recorded since the file's check (an API call, another import) with another member, amount or instant: the line is rejected, not done
         coalesce(p.member_id <> q.member_id or p.amount_cents <> q.amount_cents or p.occurred_at <> q.occurred_at, false) as conflict,
         coalesce(m.tier_expires_at <= greatest(q.occurred_at, (select tier_reviewed_through from program where id = 1)), false)
           or coalesce(m.last_qualifying_at > q.occurred_at, false)
           or exists (select 1 from purchase p where p.member_id = q.member_id and p.occurred_at > q.occurred_at)
           or exists (select 1 from tier_change c where c.member_id = q.member_id and c.occurred_at >= q.occurred_at and c.superseded_at is null)
           or a.balance < 0 or exists (select 1 from point_lot l where l.member_id = q.member_id and l.remaining < 0)
           -- erased since the file's check: the points service refuses its lines (NOT_FOUND), as it refuses any write for it
           or m.erased_at is not null as stale
       from ${queueTable(id)} q join point_account a on a.member_id = q.member_id join member m on m.id = q.member_id join tier t on t.id = m.tier_id
         left join purchase p on p.order_id = q.order_id
       where q.round = ? and not q.fallback
     ), x as materialized (
       select q.*, case when q.qp > 0 then greatest(0, coalesce((select sum(e.points) from qualifying_entry e where e.member_id = q.member_id
           and e.occurred_at > ${minusMonths('q.at', w)} and e.occurred_at <= q.at and coalesce(e.counts_from, e.occurred_at) <= q.at), 0) + q.qp)::bigint end as window_q
       from q
     ), d as (
       select x.*, x.at + make_interval(days => ${r.pendingDays}) as activates, ${lotExpires} as expires, ${plusMonths('x.at', String(r.validityMonths))} as up_expires,
         (select t2.id from tier t2 where x.window_q is not null and t2.qualifying_points <= x.window_q and t2.rank > x.rank order by t2.rank desc limit 1) as to_tier
       from x
     )
     select d.*, not d.replay and coalesce(d.stale
       or (d.earned > 0 and coalesce(d.expires <= d.expired_through, false))
       or d.balance::bigint + d.earned > ${MAX_POINTS} or d.lifetime_earned::bigint + d.earned > ${MAX_POINTS}
       -- qualifying points, or the window with them, past int: the points service answers the line (BAD_USER_INPUT on amount, a rejected line)
       or d.qp > ${MAX_POINTS} or coalesce(d.window_q > ${MAX_POINTS}, false)
       or (d.to_tier is not null and coalesce(d.up_expires <= (select tier_reviewed_through from program where id = 1), false)), true) as stepwise
     from d`,
    [r.pointsPerUnit, r.pointsPerUnit, round],
  );
  await tx.execute(
    `update ${queueTable(id)} q set fallback = true from import_round d where d.stepwise and q.member_id = d.member_id and q.round >= ?`, [round],
  );
  const [res] = await tx.execute<{ written: number; replays: number }[]>(
    `with w as (select * from import_round where not stepwise and not replay
     ), txn as (
       insert into point_transaction (member_id, type, amount, balance_after, occurred_at, expires_at, reason, reference, idempotency_key, unrecovered, created_at)
       select member_id, 'EARN', earned, balance + earned, at, expires, null, order_id, 'purchase:' || order_id, 0, now() from w where earned > 0
       returning id, reference as order_id
     ), lot as (
       insert into point_lot (member_id, transaction_id, points, remaining, earned_at, activates_at, expires_at, order_id, late)
       select w.member_id, txn.id, w.earned, w.earned, w.at, w.activates, w.expires, w.order_id, coalesce(w.expires <= now(), false)
       from w join txn using (order_id)
       returning id, order_id
     ), acct as (
       update point_account a set balance = a.balance + w.earned, lifetime_earned = a.lifetime_earned + w.earned, updated_at = now()
       from w where a.member_id = w.member_id and w.earned > 0
     ), qe as (
       insert into qualifying_entry (member_id, occurred_at, points, source) select member_id, at, qp, 'purchase:' || order_id from w where qp <> 0
     ), up as (
       update member m set tier_id = w.to_tier, tier_since = w.at, tier_expires_at = w.up_expires, window_points_months = null, updated_at = now()
       from w where m.id = w.member_id and w.to_tier is not null
     ), chg as (
       insert into tier_change (member_id, kind, from_tier_id, to_tier_id, reason, qualifying_points, occurred_at, expires_at, created_at)
       select member_id, 'UPGRADE', tier_id, to_tier, ?, window_q, at, up_expires, now() from w where to_tier is not null
       returning id, member_id
     ), pur as (
       insert into purchase (order_id, member_id, amount_cents, earned_points, qualifying_points, lot_id, transaction_id, occurred_at, occurred_at_given,
         tier_change_id, earned_tier_id, points_per_unit, source)
       select w.order_id, w.member_id, w.amount_cents, w.earned, w.qp, lot.id, txn.id, w.at, true, chg.id, w.tier_id, ?, 'import'
       from w left join txn using (order_id) left join lot using (order_id) left join chg using (member_id)
       returning member_id
     ), rej as (
       insert into import_error (job_id, line, message)
       select ?, line, ${RECORDED_OTHERWISE_MESSAGE('order_id')} from import_round where conflict
       on conflict do nothing returning 1
     ), counted as (update import_job set rows_rejected = rows_rejected + (select count(*) from rej) where id = ? and exists (select 1 from rej))
     select (select count(*) from pur)::int as written, (select count(*) from import_round where replay and not conflict)::int as replays`,
    [UPGRADE_REASON, r.pointsPerUnit, id, id],
  );
  return res;
}

/** The import's mark on purchases recorded through the points service. */
export async function markImported(em: EntityManager, orderIds: string[]): Promise<void> {
  if (orderIds.length) await em.execute(`update purchase set source = 'import' where order_id = any(?::text[]) and source is null`, [pgTextArray(orderIds)]);
}

/** Whether the programme has its entry tier (rank 0), the tier new members join at. */
export async function hasEntryTier(em: EntityManager): Promise<boolean> {
  const [r] = await em.execute<{ exists: boolean }[]>('select exists (select 1 from tier where rank = 0) as "exists"');
  return r.exists;
}

