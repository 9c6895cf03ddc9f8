import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, ErrorCode, notFound } from '../../common/errors';
import { localDate, startOfLocalDay } from '../../common/local-time.rules';
import { lockAccount } from '../../db/locks';
import { idempotentWrite, inSqlTransaction } from '../../db/transaction';
import { isUuid } from '../members/members.service';
import type { PointsService } from '../points/points.service';
import { programmeConfigOf, type ProgrammeConfig } from '../program/programme-config.service';
import * as repo from './check-in.repository';
import { checkInPointsFor, countsForToday, previousDay, streakOn, streakState } from './check-in.rules';

/** What a check-in answers: the day's streak and points, and whether this call was a repeat (nothing changed). */
export interface CheckInOutcome {
  memberId: string;
  day: string;
  streak: number;
  pointsEarned: number;
  alreadyCheckedIn: boolean;
  /** Campaign points the check-in gave besides pointsEarned (0 on a repeat). */
  bonusPoints: number;
}

/**
 * Daily check-in (issue 25, domain.md "Referrals and check-in"): once per programme-local day
 * (program.timeZone); the streak counts consecutive local days; the points come from
 * program.checkInPoints by streak day (the last value repeating; [] = check-in off).
 */
export class CheckInService {
  constructor(
    private readonly em: EntityManager,
    private readonly points: PointsService,
  ) {}

  /** The configuration held in memory (the programme's zone, check-in points, expiry, campaigns), its version checked: one statement. */
  private settings(): Promise<ProgrammeConfig> {
    return programmeConfigOf(this.em).current(this.em);
  }

  /**
   * Checks the member in on the programme-local day of `at` (the server's clock: the API takes
   * no instant from anyone, member or service; who may call is the resolver's to check; the
   * demo seed's history passes its instants). In one transaction, the member's account held (db/locks.ts: a check-in
   * serializes with the member's other points writes, so of concurrent check-ins one writes
   * and the others, waiting, find its row): the day's row, the CHECK_IN transaction and the
   * CHECK_IN campaigns' effects (points.service.ts earnCheckIn). A repeat the same day changes
   * nothing and answers that day's streak and points with alreadyCheckedIn. NOT_FOUND for an
   * unknown or erased member; NOT_ELIGIBLE while check-in is off (checkInPoints []), unless
   * the day's check-in is already done (a repeat still answers).
   */
  async checkIn(memberId: string, at: Date = new Date()): Promise<CheckInOutcome> {
    if (!isUuid(memberId)) throw notFound('Member', memberId);
    const program = await this.settings();
    const day = localDate(at, program.timeZone);
    const dayStarts = startOfLocalDay(day, program.timeZone);
    const table = program.checkInPoints;
    const repeat = (row: repo.CheckInRow): CheckInOutcome => ({
      memberId, day, streak: row.streak, pointsEarned: row.points, alreadyCheckedIn: true, bonusPoints: 0,
    });
    const replay = async (em: EntityManager) => {
      const row = await repo.latest(em, memberId);
      return row && countsForToday(day, dayStarts, row) ? repeat(row) : null;
    };
    return idempotentWrite(null, replay, () => inSqlTransaction(this.em, async (tx) => {
      const account = await lockAccount(tx, memberId);
      if (!account) throw notFound('Member', memberId);
      const latest = await repo.latest(tx, memberId);
      if (latest && countsForToday(day, dayStarts, latest)) return repeat(latest);
      if (!table.length) throw new AppError(ErrorCode.NOT_ELIGIBLE, 'Daily check-in is off (the programme\'s checkInPoints is empty)');
      const streak = streakOn(day, latest, startOfLocalDay(previousDay(day), program.timeZone));
      const points = checkInPointsFor(streak, table);
      const earned = await this.points.earnCheckIn(tx, account, { memberId, day, points, at }, program);
      await repo.insertCheckIn(tx, { memberId, day, streak, points, transactionId: earned.transaction?.id ?? null, checkedInAt: at });
      return { memberId, day, streak, pointsEarned: points, alreadyCheckedIn: false, bonusPoints: earned.bonusPoints };
    }), this.em);
  }

  /** Each member's streak (0 after a missed local day) and whether today's check-in is done, `now` in the programme's zone: one statement. */
  async states(memberIds: readonly string[], now: Date): Promise<Map<string, { streak: number; checkedInToday: boolean }>> {
    const { timeZone } = await this.settings();
    const today = localDate(now, timeZone);
    const todayStarts = startOfLocalDay(today, timeZone);
    const yesterdayStarts = startOfLocalDay(previousDay(today), timeZone);
    // Or one made since yesterday's midnight, whatever its date: after the zone moved east (by up
    // to 26 hours, UTC−12 to UTC+14), yesterday's check-in may carry a date two days before it.
    const rows = await repo.recentCheckIns(this.em, memberIds, previousDay(today), yesterdayStarts);
    const byMember = new Map(rows.map((r) => [r.memberId, r]));
    return new Map(memberIds.map((id) => [id, streakState(today, todayStarts, byMember.get(id) ?? null, yesterdayStarts)]));
  }
}
