/**
 * The POINTS_MULTIPLIER benefits that apply to a purchase at `at` by a member on the tier
 * `tierCode` with the tags `tags`: each benefit as its version saved last at or before `at` had
 * it, active, inside its validity window at `at`, listing the tier (or no tier) and requiring
 * no tag the member lacks. Returns their values (each adds to the tier's multiplier:
 * points.rules.ts combineMultipliers).
 */
export interface MultiplierBenefitVersion {
  code: string; version: number; changedAt: Date;
  kind: string; active: boolean; value: number | null; validFrom: Date | null; validTo: Date | null; tierCodes: string[]; requiredTags: string[];
}

export function multiplierBonuses(versions: readonly MultiplierBenefitVersion[], tierCode: string, tags: readonly string[], at: Date): number[] {
  const has = new Set(tags);
  return inForceAt(versions, at)
    .filter((v) => (v.tierCodes.length === 0 || v.tierCodes.includes(tierCode)) && v.requiredTags.every((t) => has.has(t)))
    .map((v) => v.value ?? 0);
}

/** Whether a member's tags can change what multiplierBonuses gives at `at` (a benefit in force then requires a tag). */
export function bonusesNeedTags(versions: readonly MultiplierBenefitVersion[], at: Date): boolean {
  return inForceAt(versions, at).some((v) => v.requiredTags.length > 0);
}

/** The POINTS_MULTIPLIER benefits in force at `at`, each as its latest version saved at or before `at`. */
function inForceAt(versions: readonly MultiplierBenefitVersion[], at: Date): MultiplierBenefitVersion[] {
  const latest = new Map<string, MultiplierBenefitVersion>();
  for (const v of versions) {
    if (v.changedAt > at) continue;
    const seen = latest.get(v.code);
    if (!seen || v.version > seen.version) latest.set(v.code, v);
  }
  return [...latest.values()].filter((v) => v.kind === 'POINTS_MULTIPLIER' && isInForce(v, at));
}

/**
 * Whether a benefit is in force at `at`: active and inside its validity window (validFrom
 * inclusive, validTo exclusive; a null bound is open). The SQL twin is benefits.repository.ts
 * `IN_FORCE`, which the member's benefits are read with.
 */
export function isInForce(b: { active: boolean; validFrom: Date | null; validTo: Date | null }, at: Date): boolean {
  return b.active && (b.validFrom == null || b.validFrom <= at) && (b.validTo == null || b.validTo > at);
}

/**
 * The birthday job's key for a member's gift of a year: the job's own namespace in the ledger
 * (an admin's adjustment keys are stored 'adjust:<key>'), so no key an admin gives can take it.
 */
export const birthdayKey = (memberId: string, year: number): string => `birthday:${memberId}:${year}`;
