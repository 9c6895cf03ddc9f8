/**
 * A segment's profile, value by value: how much more (or less) common a value is in the segment
 * than among all members. Pure: shares in, index out.
 */

/**
 * The TGI (target group index) of a value: its share of the segment ÷ its share of all members
 * × 100, to two decimals (100: as common as in the population). Null when no member has the
 * value (no population share to compare with).
 */
export function tgi(segmentShare: number, populationShare: number): number | null {
  return populationShare ? Math.round((segmentShare / populationShare) * 10000) / 100 : null;
}
