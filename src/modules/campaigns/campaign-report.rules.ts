/**
 * The campaign report's arithmetic (issue 24): each arm's figures from its aggregates, the
 * uplift in ARPU with a 95% interval by Welch's t, the uplift in purchase rate, incremental
 * GMV, cost and ROI. Pure: no I/O, no clock. Sums of money arrive as integer cents (bigint)
 * and stay exact until the one division that makes a figure; currency units (Float in
 * GraphQL) are made at the end.
 */
import { studentTQuantile } from './student-t.rules';

/** One arm as the report's statement sums it: every assigned member, buyer or not. */
export interface ArmAggregate {
  members: number;
  buyers: number;
  purchases: number;
  /** Σ over members of their net spend in the window, cents. */
  spendCents: bigint;
  /** Σ over members of (their net spend in cents)²: with spendCents, the variance of per-member spend. */
  spendSquaredCents: bigint;
}

/** Two disjoint sets of members' aggregates as one: every field is a sum over members. */
export function addArms(a: ArmAggregate, b: ArmAggregate): ArmAggregate {
  return {
    members: a.members + b.members,
    buyers: a.buyers + b.buyers,
    purchases: a.purchases + b.purchases,
    spendCents: a.spendCents + b.spendCents,
    spendSquaredCents: a.spendSquaredCents + b.spendSquaredCents,
  };
}

export interface ArmFigures {
  members: number;
  buyers: number;
  purchases: number;
  /** Currency units, net of refunds. */
  gmv: number;
  /** gmv / members; null with no members. */
  arpu: number | null;
  /** buyers / members; null with no members. */
  purchaseRate: number | null;
}

export interface ReportInput {
  treatment: ArmAggregate;
  control: ArmAggregate;
  /** Σ campaign_award.points − Σ reversed_points + Σ unrecovered_points: given, net of what refunds took back. */
  pointsGiven: number;
  /** Σ campaign_award.reward_points: issued rewards at their costPoints. */
  rewardPoints: number;
  /** program.point_value as the database prints it (numeric(12, 6)): money per point, exact. */
  pointValue: string;
}

export interface ReportFigures {
  treatment: ArmFigures;
  control: ArmFigures;
  upliftArpu: number | null;
  upliftArpuLow: number | null;
  upliftArpuHigh: number | null;
  upliftPurchaseRate: number | null;
  incrementalGmv: number | null;
  cost: number;
  roi: number | null;
}

const CENTS = 100;
/** A two-sided 95% interval: the t quantile at 0.975. */
const CONFIDENCE_QUANTILE = 0.975;
/** program.point_value has 6 decimals. */
const POINT_VALUE_SCALE = 1_000_000n;

export function armFigures(a: ArmAggregate): ArmFigures {
  const gmv = Number(a.spendCents) / CENTS;
  return {
    members: a.members, buyers: a.buyers, purchases: a.purchases, gmv,
    arpu: a.members ? Number(a.spendCents) / a.members / CENTS : null,
    purchaseRate: a.members ? a.buyers / a.members : null,
  };
}

/**
 * n(n − 1) × s², exact in cents²: n Σx² − (Σx)². The sample variance is this over n(n − 1);
 * the exact numerator keeps a large mean from cancelling the small spread in floating point.
 */
const scaledVariance = (a: ArmAggregate): bigint => BigInt(a.members) * a.spendSquaredCents - a.spendCents * a.spendCents;

export interface WelchInterval {
  /** Difference of the means (treatment − control), cents per member. */
  difference: number;
  low: number;
  high: number;
  /** Welch–Satterthwaite degrees of freedom; null when both arms have no spread (the interval is the point). */
  df: number | null;
  /** The t quantile used (null with df). */
  t: number | null;
}

/**
 * The difference of mean spend per member (treatment − control) with its interval at
 * `quantile` (0.975: 95% two-sided) by Welch's t: standard error √(s₁²/n₁ + s₂²/n₂), degrees
 * of freedom by Welch–Satterthwaite, (v₁ + v₂)² / (v₁²/(n₁ − 1) + v₂²/(n₂ − 1)) with vᵢ = sᵢ²/nᵢ.
 * Null when an arm has fewer than 2 members (no variance). In cents.
 */
export function welchInterval(treatment: ArmAggregate, control: ArmAggregate, quantile = CONFIDENCE_QUANTILE): WelchInterval | null {
  if (treatment.members < 2 || control.members < 2) return null;
  const n1 = treatment.members;
  const n2 = control.members;
  const difference = Number(treatment.spendCents * BigInt(n2) - control.spendCents * BigInt(n1)) / (n1 * n2);
  // vᵢ = sᵢ² / nᵢ = scaledVarianceᵢ / (nᵢ² (nᵢ − 1))
  const v1 = Number(scaledVariance(treatment)) / (n1 * n1 * (n1 - 1));
  const v2 = Number(scaledVariance(control)) / (n2 * n2 * (n2 - 1));
  const se = Math.sqrt(v1 + v2);
  if (se === 0) return { difference, low: difference, high: difference, df: null, t: null };
  const df = (v1 + v2) ** 2 / ((v1 * v1) / (n1 - 1) + (v2 * v2) / (n2 - 1));
  const t = studentTQuantile(quantile, df);
  return { difference, low: difference - t * se, high: difference + t * se, df, t };
}

/** points × pointValue in currency units, exact until the one division (pointValue has 6 decimals). */
export function pointsCost(points: number, pointValue: string): number {
  const m = /^(\d+)(?:\.(\d{1,6}))?$/.exec(pointValue.trim());
  if (!m) throw new Error(`not a point value: ${pointValue}`);
  const micros = BigInt(m[1]) * POINT_VALUE_SCALE + BigInt((m[2] ?? '').padEnd(6, '0'));
  return Number(BigInt(points) * micros) / Number(POINT_VALUE_SCALE);
}

/**
 * The report's figures. Uplifts (and incremental GMV and ROI with them) are null when an arm
 * has fewer than 2 members; incremental GMV = upliftArpu × treatment members, computed as
 * Σspendₜ − Σspend꜀ × nₜ / n꜀ so that it stays exact; ROI = (incremental GMV − cost) / cost,
 * null when cost is 0.
 */
export function reportFigures(input: ReportInput): ReportFigures {
  const { treatment, control } = input;
  const t = armFigures(treatment);
  const c = armFigures(control);
  const welch = welchInterval(treatment, control);
  const cost = pointsCost(input.pointsGiven + input.rewardPoints, input.pointValue);
  const incrementalGmv = welch
    ? Number(treatment.spendCents * BigInt(control.members) - control.spendCents * BigInt(treatment.members)) / control.members / CENTS
    : null;
  return {
    treatment: t,
    control: c,
    upliftArpu: welch ? welch.difference / CENTS : null,
    upliftArpuLow: welch ? welch.low / CENTS : null,
    upliftArpuHigh: welch ? welch.high / CENTS : null,
    upliftPurchaseRate: welch ? t.purchaseRate! - c.purchaseRate! : null,
    incrementalGmv,
    cost,
    roi: incrementalGmv != null && cost > 0 ? (incrementalGmv - cost) / cost : null,
  };
}
