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

/** The member's latest check-in (by local day; a later one than today's after the programme's zone moved west), or null. */
export async function latest(em: EntityManager, memberId: string): Promise<CheckInRow | null> {
  const [row] = await em.execute<CheckInRow[]>(prepared(
    `select ${COLUMNS} from check_in c where c.member_id = ?::uuid order by c.day desc limit 1`,
  ), [memberId]);
  return row ? { ...row, checkedInAt: new Date(row.checkedInAt) } : null;
}

/** Writes a check-in (the key (member_id, day) makes it once a day: a second is a unique violation). */
export async function insertCheckIn(tx: EntityManager, c: CheckInRow): Promise<void> {
  await tx.execute(prepared(
    `insert into check_in (member_id, day, streak, points, transaction_id, checked_in_at) values (?::uuid, ?::date, ?, ?, ?::bigint, ?)`,
  ), [c.memberId, c.day, c.streak, c.points, c.transactionId, c.checkedInAt]);
}

/**
 * For each of `memberIds`, its latest check-in if it was counted on the day before `day` or
 * later, or made since `since` whatever its date (older ones leave the streak at 0; one later
 * than today after the programme's zone moved west; one dated further back after it moved east):
 * one statement for a page of members.
 */
export async function recentCheckIns(
  em: EntityManager, memberIds: readonly string[], day: string, since: Date,
): Promise<{ memberId: string; day: string; streak: number; checkedInAt: Date }[]> {
  if (!memberIds.length) return [];
  const rows = await em.execute<{ memberId: string; day: string; streak: number; checkedInAt: Date }[]>(prepared(
    `select distinct on (c.member_id) c.member_id as "memberId", c.day::text as day, c.streak, c.checked_in_at as "checkedInAt" from check_in c
     where c.member_id = any(?::uuid[]) and (c.day >= ?::date - 1 or c.checked_in_at >= ?)
     order by c.member_id, c.day desc`,
  ), [pgArray(memberIds), day, since]);
  return rows.map((r) => ({ ...r, checkedInAt: new Date(r.checkedInAt) }));
}
