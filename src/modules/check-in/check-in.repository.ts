import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray, prepared } from '../../db/entity-manager';

/**
 * The check-in module's SQL (its table: `check_in`). Every function takes the caller's
 * EntityManager (a transaction's when it writes); none opens a transaction of its own.
 */

/** One member's check-in on one programme-local day ('YYYY-MM-DD'). */
export interface CheckInRow {
  memberId: string;
  day: string;
  streak: number;
  points: number;
  transactionId: string | null;
  checkedInAt: Date;
}

const COLUMNS = `member_id as "memberId", day::text as day, streak, points, transaction_id::text as "transactionId", checked_in_at as "checkedInAt"`;

/** The member's latest check-in on or before `day` (that day's own when it is done), or null. */
export async function latestOnOrBefore(em: EntityManager, memberId: string, day: string): Promise<CheckInRow | null> {
  const [row] = await em.execute<CheckInRow[]>(prepared(
    `select ${COLUMNS} from check_in c where c.member_id = ?::uuid and c.day <= ?::date order by c.day desc limit 1`,
  ), [memberId, day]);
  return row ? { ...row, checkedInAt: new Date(row.checkedInAt) } : null;
}

/** Writes a check-in (the key (member_id, day) makes it once a day: a second is a unique violation). */
export async function insertCheckIn(tx: EntityManager, c: CheckInRow): Promise<void> {
  await tx.execute(prepared(
    `insert into check_in (member_id, day, streak, points, transaction_id, checked_in_at) values (?::uuid, ?::date, ?, ?, ?::bigint, ?)`,
  ), [c.memberId, c.day, c.streak, c.points, c.transactionId, c.checkedInAt]);
}

/**
 * For each of `memberIds`, its latest check-in on `today` or the day before (older ones
 * leave the streak at 0): one statement for a page of members.
 */
export async function recentCheckIns(em: EntityManager, memberIds: readonly string[], today: string): Promise<{ memberId: string; day: string; streak: number }[]> {
  if (!memberIds.length) return [];
  return em.execute<{ memberId: string; day: string; streak: number }[]>(prepared(
    `select distinct on (c.member_id) c.member_id as "memberId", c.day::text as day, c.streak from check_in c
     where c.member_id = any(?::uuid[]) and c.day between ?::date - 1 and ?::date
     order by c.member_id, c.day desc`,
  ), [pgArray(memberIds), today, today]);
}
