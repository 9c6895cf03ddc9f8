import { createHash } from 'node:crypto';

/**
 * Whether a member is in a campaign's control group: the first 32 bits of
 * md5(`${campaignId}:${memberId}`), unsigned, modulo 100, below controlPercent. The same as
 * the SQL function campaign_control (migration Migration20261207090000_campaigns_foundation):
 * deterministic, so re-evaluating the audience never moves anyone, and about controlPercent %
 * of any large set of members lands in control.
 */
export function controlArm(campaignId: string, memberId: string, controlPercent: number): boolean {
  const bucket = createHash('md5').update(`${campaignId}:${memberId}`).digest().readUInt32BE(0) % 100;
  return bucket < controlPercent;
}

/**
 * A PURCHASE campaign's multiplier effect: extra = floor(base × (multiplier − 1)), base being
 * the points the programme rate gives before tier and benefit multipliers. The multiplier is an
 * exact decimal string (at most 4 decimals): computed in integers, never in floats.
 */
export function multiplierExtra(basePoints: number, multiplier: string): number {
  const m = /^(\d+)(?:\.(\d{1,4}))?$/.exec(multiplier);
  if (!m) throw new Error(`not a multiplier: ${multiplier}`);
  const tenThousandths = BigInt(m[1]) * 10_000n + BigInt((m[2] ?? '').padEnd(4, '0'));
  if (tenThousandths <= 10_000n || basePoints <= 0) return 0;
  return Number((BigInt(basePoints) * (tenThousandths - 10_000n)) / 10_000n);
}
