import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput } from '../../common/errors';
import { inTransaction } from '../../db/transaction';
import type { Actor } from '../actor';
import { AuditService, snapshot } from '../audit/audit.service';
import { type DowngradePolicy, Program } from './program.entity';
import { lockProgram, postgresKnowsZone, programSettings, rebuildPurchaseDayIndex, settingsRow, type ProgrammeSettings } from './program.repository';
import { THRESHOLD_ORDER, validateThresholds, type LifecycleThresholds } from '../retention/retention.rules';
import { canonicalTimeZone, isTimeZone, runtimeTimeZone } from '../../common/local-time.rules';

export interface ProgramChanges {
  pointsPerUnit?: number | null;
  pointsExpiryMonths?: number | null;
  clearPointsExpiry?: boolean | null;
  qualificationWindowMonths?: number | null;
  tierValidityMonths?: number | null;
  downgradePolicy?: DowngradePolicy | null;
  allowNegativeBalance?: boolean | null;
  pointsPendingDays?: number | null;
  tierNoticeDays?: number | null;
  churnHorizonDays?: number | null;
  lifecycleNewDays?: number | null;
  lifecycleActiveDays?: number | null;
  lifecycleAtRiskDays?: number | null;
  lifecycleDormantDays?: number | null;
  pointValue?: number | null;
  timeZone?: string | null;
  referrerPoints?: number | null;
  refereePoints?: number | null;
  referralHoldDays?: number | null;
  referralMonthlyLimit?: number | null;
  checkInPoints?: number[] | null;
}

const FIELDS: (keyof Program)[] = [
  'pointsPerUnit', 'pointsExpiryMonths', 'qualificationWindowMonths', 'tierValidityMonths',
  'downgradePolicy', 'allowNegativeBalance', 'pointsPendingDays', 'tierNoticeDays', 'churnHorizonDays',
  'lifecycleNewDays', 'lifecycleActiveDays', 'lifecycleAtRiskDays', 'lifecycleDormantDays', 'pointValue',
  'timeZone', 'referrerPoints', 'refereePoints', 'referralHoldDays', 'referralMonthlyLimit', 'checkInPoints',
];

const MAX_CHECK_IN_DAYS = 31;
const MAX_CHECK_IN_POINTS = 100_000;

/** program.point_value is numeric(12, 6): below a million, at most 6 decimals. */
const MAX_POINT_VALUE = 999_999.999999;

function hasAtMostDecimals(value: number, decimals: number): boolean {
  return Number(value.toFixed(decimals)) === value;
}

function checkChanges(c: ProgramChanges): void {
  if (c.pointsPerUnit != null) {
    const v = c.pointsPerUnit;
    if (!Number.isFinite(v) || v <= 0 || v > 10000) throw badInput('pointsPerUnit', 'pointsPerUnit must be > 0 and ≤ 10000');
    if (!hasAtMostDecimals(v, 4)) throw badInput('pointsPerUnit', 'pointsPerUnit takes at most 4 decimals');
  }
  if (c.pointValue != null) {
    const v = c.pointValue;
    if (!Number.isFinite(v) || v < 0 || v > MAX_POINT_VALUE) throw badInput('pointValue', `pointValue must be from 0 to ${MAX_POINT_VALUE}`);
    if (!hasAtMostDecimals(v, 6)) throw badInput('pointValue', 'pointValue takes at most 6 decimals');
  }
  if (c.pointsExpiryMonths != null && c.clearPointsExpiry) {
    throw badInput('clearPointsExpiry', 'Give pointsExpiryMonths or clearPointsExpiry, not both');
  }
  if (c.timeZone != null && !isTimeZone(c.timeZone)) throw badInput('timeZone', 'timeZone must be an IANA time zone such as Asia/Shanghai or UTC');
  if (c.checkInPoints != null) {
    if (c.checkInPoints.length > MAX_CHECK_IN_DAYS) throw badInput('checkInPoints', `checkInPoints takes at most ${MAX_CHECK_IN_DAYS} values`);
    if (c.checkInPoints.some((p) => !Number.isInteger(p) || p < 0 || p > MAX_CHECK_IN_POINTS)) {
      throw badInput('checkInPoints', `checkInPoints are integers from 0 to ${MAX_CHECK_IN_POINTS}`);
    }
  }
  const ranges: [keyof ProgramChanges, number, number][] = [
    ['pointsExpiryMonths', 1, 240], ['qualificationWindowMonths', 1, 120], ['tierValidityMonths', 1, 120],
    ['pointsPendingDays', 0, 365], ['tierNoticeDays', 0, 365], ['churnHorizonDays', 1, 3650],
    ['referrerPoints', 0, 1_000_000], ['refereePoints', 0, 1_000_000], ['referralHoldDays', 0, 365], ['referralMonthlyLimit', 0, 10_000],
  ];
  for (const [field, min, max] of ranges) {
    const v = c[field];
    if (v == null) continue;
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) {
      throw badInput(field, `${field} must be an integer from ${min} to ${max}`);
    }
  }
}

export type { ProgrammeSettings } from './program.repository';

/**
 * The programme's settings, read with `em` (the caller's transaction, SQL-only ones included):
 * how the points ledger, the tier engine, imports and the retention refresh read the program
 * row, each taking its fields, rather than each with a statement of its own over this module's table.
 */
export function programmeSettings(em: EntityManager): Promise<ProgrammeSettings> {
  return settingsRow(em);
}

export class ProgramService {
  constructor(private readonly em: EntityManager, private readonly audit: AuditService) {}

  /** The settings row exists from the first migration on. */
  async get(): Promise<Program> {
    return programSettings(this.em);
  }

  /**
   * Applies the changes, in one transaction with the settings row locked. A new time zone must
   * be one PostgreSQL knows as well (BAD_USER_INPUT otherwise, nothing changed), and rebuilds
   * purchase_member_day_index for it in this transaction (docs/decisions.md, "Programme-local
   * days"); rows already written keep the local day they were counted on.
   */
  async update(actor: Actor, changes: ProgramChanges): Promise<Program> {
    checkChanges(changes);
    return inTransaction(this.em, async (tx) => {
      const program = await lockProgram(tx);
      const before = snapshot(program, FIELDS);
      const zoneBefore = program.timeZone;
      for (const [key, value] of Object.entries(changes)) {
        if (value == null || key === 'clearPointsExpiry') continue;
        (program as unknown as Record<string, unknown>)[key] = key === 'timeZone' ? canonicalTimeZone(value as string) : value;
      }
      if (changes.clearPointsExpiry) program.pointsExpiryMonths = null;
      const badThreshold = validateThresholds({
        newDays: program.lifecycleNewDays, activeDays: program.lifecycleActiveDays,
        atRiskDays: program.lifecycleAtRiskDays, dormantDays: program.lifecycleDormantDays,
      });
      if (badThreshold) throw badInput(thresholdToBlame(badThreshold, changes), 'lifecycle thresholds must rise: new < active < at risk < dormant');
      if (program.timeZone !== zoneBefore && !(await postgresKnowsZone(tx, program.timeZone))) {
        // A PostgreSQL whose tz database predates IANA's rename (Europe/Kyiv came in 2022b)
        // knows the older name, the one this runtime resolves to: that one is kept.
        const older = runtimeTimeZone(program.timeZone);
        if (older === program.timeZone || !(await postgresKnowsZone(tx, older))) throw badInput('timeZone', `The database does not know the time zone ${program.timeZone}`);
        program.timeZone = older;
      }
      if (program.timeZone !== zoneBefore) await rebuildPurchaseDayIndex(tx, program.timeZone);
      const after = snapshot(program, FIELDS);
      // Settings set to what they are (a retry) write nothing: no update, no audit entry.
      if (JSON.stringify(before) === JSON.stringify(after)) return program;
      this.audit.record(tx, actor, { action: 'program.update', entity: 'Program', entityId: '1', before, after });
      await tx.flush();
      return program;
    });
  }
}

/**
 * The field a refusal of the thresholds' order names: the one out of order, or, when the
 * update left it as it was and changed the one below it, that one (lifecycleNewDays: 500
 * against an active 90 is lifecycleNewDays's fault, not lifecycleActiveDays's).
 */
function thresholdToBlame(outOfOrder: keyof LifecycleThresholds, changes: ProgramChanges): string {
  const name = (k: string) => `lifecycle${k[0].toUpperCase()}${k.slice(1)}` as keyof ProgramChanges;
  const below = THRESHOLD_ORDER[THRESHOLD_ORDER.indexOf(outOfOrder) - 1];
  return below && changes[name(outOfOrder)] == null && changes[name(below)] != null ? name(below) : name(outOfOrder);
}
