import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput, notFound, otherCaseOf } from '../../common/errors';
import { localDate, localMonthBounds } from '../../common/local-time.rules';
import { inTransaction, isUniqueViolation } from '../../db/transaction';
import { type Actor, actorLabel, SYSTEM_ACTOR } from '../actor';
import { AuditService } from '../audit/audit.service';
import { combineMultipliers, MAX_POINTS, PointsOutOfRangeError } from '../points/points.rules';
import { programmeConfigOf } from '../program/programme-config.service';
import type { PointsService } from '../points/points.service';
import { applyPatch, type PatchSpec } from '../rewards/rewards.rules';
import { TAG_CODE, TAG_CODE_RULE } from '../tags/tags.rules';
import { unknownTierCodes } from '../tiers/tiers.service';
import { birthdayKey, bonusesNeedTags, isInForce, multiplierBonuses } from './benefits.rules';
import {
  benefitsOfMembers, benefitsOfTiers, benefitVersions, birthdayGiftsDue, insertBenefit, insertBenefitVersion,
  listBenefits, lockBenefit, memberTagCodes, otherCaseCode, recordBirthdayGrant, updateBenefit, type BenefitRow, type BenefitValues,
  type BenefitVersionRow,
} from './benefits.repository';

export type { BenefitRow, BenefitVersionRow } from './benefits.repository';

export interface BenefitInput {
  code: string;
  name: string;
  description?: string | null;
  kind: string;
  value?: number | null;
  tierCodes: string[];
  requiredTags?: string[] | null;
  active: boolean;
  validFrom?: Date | null;
  validTo?: Date | null;
}

/** A partial update: a field absent (not an own property) is kept, null clears a nullable one (and is refused on the others). */
export type BenefitPatch = { [K in Exclude<keyof BenefitInput, 'code'>]?: BenefitInput[K] | null };

const BENEFIT_PATCH: PatchSpec<BenefitInput> = {
  name: 'required', description: 'nullable', kind: 'required', value: 'nullable', tierCodes: 'required', requiredTags: 'required',
  active: 'required', validFrom: 'nullable', validTo: 'nullable',
};

function checkInput(input: BenefitInput): void {
  if (!/^[A-Z][A-Z0-9_]{0,63}$/.test(input.kind)) throw badInput('kind', 'kind is an upper-case code, e.g. DISCOUNT, POINTS_MULTIPLIER, BIRTHDAY_GIFT');
  if (input.value != null && (!Number.isFinite(input.value) || Number(input.value.toFixed(4)) !== input.value)) {
    throw badInput('value', 'value takes at most 4 decimals');
  }
  // The column is numeric(14,4).
  if (input.value != null && Math.abs(input.value) >= 1e10) throw badInput('value', 'value must be less than 10000000000 in size');
  if (input.kind === 'POINTS_MULTIPLIER' && (input.value == null || input.value <= 0 || input.value > 10)) {
    throw badInput('value', 'a POINTS_MULTIPLIER benefit adds a value in (0, 10] to the tier multiplier');
  }
  // A discount is a percentage off: more than nothing, at most all of it; without one it tells a till or an app nothing (audit 110).
  if (input.kind === 'DISCOUNT' && (input.value == null || input.value <= 0 || input.value > 100)) {
    throw badInput('value', 'a DISCOUNT value is a percentage in (0, 100]');
  }
  if (input.kind === 'BIRTHDAY_GIFT' && input.value != null && (!Number.isInteger(input.value) || input.value < 0 || input.value > MAX_POINTS)) {
    throw badInput('value', `a BIRTHDAY_GIFT value is a whole number of points, at most ${MAX_POINTS}`);
  }
  if (input.validFrom && input.validTo && input.validTo <= input.validFrom) throw badInput('validTo', 'validTo must be after validFrom');
  // A code no tag can have would keep the benefit from every member for ever.
  const badTag = (input.requiredTags ?? []).find((c) => !TAG_CODE.test(c));
  if (badTag !== undefined) throw badInput('requiredTags', `${JSON.stringify(badTag)} cannot be a tag: ${TAG_CODE_RULE}`);
}

function normalized(input: BenefitInput): BenefitValues & { code: string } {
  return {
    code: input.code, name: input.name, description: input.description ?? null, kind: input.kind, value: input.value ?? null,
    tierCodes: [...new Set(input.tierCodes)].sort(), requiredTags: [...new Set(input.requiredTags ?? [])].sort(), active: input.active,
    validFrom: input.validFrom ? new Date(input.validFrom).toISOString() : null, validTo: input.validTo ? new Date(input.validTo).toISOString() : null,
  };
}

/** Benefit rules: versioned, audited, scheduled by their validity window. */
export class BenefitsService {
  constructor(private readonly em: EntityManager, private readonly audit: AuditService, private readonly points: PointsService) {}

  /**
   * Keyed by code. A change makes a new version; the same payload again changes nothing.
   * The first upsert of a code inserts: concurrent firsts race on the code's unique key, and
   * the losers run again, when the winner's row is there to lock and compare against (as any
   * later upsert does), instead of failing.
   */
  async upsert(actor: Actor, input: BenefitInput): Promise<BenefitRow> {
    checkInput(input);
    try {
      return await this.upsertOnce(actor, input);
    } catch (err) {
      if (!isUniqueViolation(err, 'benefit_code_unique')) throw err;
      return this.upsertOnce(actor, input);
    }
  }

  private upsertOnce(actor: Actor, input: BenefitInput): Promise<BenefitRow> {
    return inTransaction(this.em, async (tx) => {
      const before = await lockBenefit(tx, input.code);
      const otherCase = before ? null : await otherCaseCode(tx, input.code);
      if (otherCase) throw otherCaseOf('code', 'benefit', input.code, otherCase);
      return this.save(tx, actor, before, input);
    });
  }

  /**
   * Changes the fields the patch gives, nothing else (rewards.rules.ts applyPatch), checked as
   * upsert checks them; a change is a new version with its audit entry, a patch that changes
   * nothing makes neither. The benefit row is locked, so concurrent patches each make a version.
   */
  async update(actor: Actor, code: string, patch: BenefitPatch): Promise<BenefitRow> {
    return inTransaction(this.em, async (tx) => {
      const current = await lockBenefit(tx, code);
      if (!current) throw notFound('Benefit', code);
      const { next } = applyPatch<BenefitInput>({ ...current, code }, patch, BENEFIT_PATCH);
      checkInput(next);
      return this.save(tx, actor, current, next);
    });
  }

  /**
   * Writes `input` as the benefit's next version (its first when `current` is null), with its
   * history row and audit entry, in the caller's transaction, which holds `current` locked.
   * The same values as `current` write nothing.
   */
  private async save(tx: EntityManager, actor: Actor, current: BenefitRow | null, input: BenefitInput): Promise<BenefitRow> {
    const next = normalized(input);
    const before = current ? normalized(current) : null;
    if (before && JSON.stringify(before) === JSON.stringify(next)) return current!;
    const [unknownTier] = await unknownTierCodes(tx, next.tierCodes);
    if (unknownTier !== undefined) throw badInput('tierCodes', `Unknown tier ${unknownTier}`);
    const row = current ? await updateBenefit(tx, input.code, next) : await insertBenefit(tx, input.code, next);
    await insertBenefitVersion(tx, row, next, actorLabel(actor));
    this.audit.record(tx, actor, { action: current ? 'benefit.update' : 'benefit.create', entity: 'Benefit', entityId: input.code, before, after: next });
    await tx.flush();
    return row;
  }

  async list(): Promise<BenefitRow[]> {
    return listBenefits(this.em);
  }

  /** The benefits in force at `now` (what members and services are shown: isInForce). */
  async listInForce(now: Date): Promise<BenefitRow[]> {
    return (await this.list()).filter((b) => isInForce(b, now));
  }

  async versions(codes: readonly string[]): Promise<Map<string, BenefitVersionRow[]>> {
    const rows = await benefitVersions(this.em, codes);
    const out = new Map<string, BenefitVersionRow[]>();
    for (const r of rows) out.set(r.code, [...(out.get(r.code) ?? []), r]);
    return out;
  }

  /** What applies to each member now: tier, tags and validity at the moment of the request. */
  async forMembers(memberIds: readonly string[], now = new Date()): Promise<Map<string, BenefitRow[]>> {
    const rows = await benefitsOfMembers(this.em, memberIds, now);
    const out = new Map<string, BenefitRow[]>();
    for (const r of rows) out.set(r.memberId, [...(out.get(r.memberId) ?? []), r]);
    return out;
  }

  /** The benefits a tier carries now (tag requirements aside: they depend on the member). */
  async forTiers(tierIds: readonly string[], now = new Date()): Promise<Map<string, BenefitRow[]>> {
    const rows = await benefitsOfTiers(this.em, tierIds, now);
    const out = new Map<string, BenefitRow[]>();
    for (const r of rows) out.set(r.tierId, [...(out.get(r.tierId) ?? []), r]);
    return out;
  }

  /**
   * Extra multiplier from POINTS_MULTIPLIER benefits that applied to the member on tier `tierId`
   * at `at`: each benefit as it was then (its version saved last at or before `at`, in force at
   * `at`), not as it is now: a benefit switched off since still pays a purchase dated before, and
   * one created since does not. Tags are the member's now (they are not versioned). The
   * versions come from the configuration held in memory, its version checked on `tx`
   * (programme-config.service.ts); the tags are read only when a version requires one.
   */
  async bonusMultiplierAt(tx: EntityManager, memberId: string, tierId: string, at: Date): Promise<number> {
    const config = await programmeConfigOf(this.em).current(tx);
    const tier = config.ladder.find((t) => t.id === tierId);
    if (!tier) throw new Error(`tier ${tierId} is not in the ladder`);
    const tags = bonusesNeedTags(config.multiplierBenefits, at) ? await memberTagCodes(tx, memberId) : [];
    return combineMultipliers(...multiplierBonuses(config.multiplierBenefits, tier.code, tags, at));
  }

  /**
   * Birthday gifts: members whose birthday month is asOf's month and to whom a BIRTHDAY_GIFT
   * benefit applies get its points once a year (birthday_grant is unique per member and
   * year, and the points write is keyed by member and year too). The month and the year are
   * asOf's in the programme's time zone: a member born on 1 March gets it in the programme's
   * March, whatever month it still is in UTC. A member the gift would take past int points is
   * passed over (no gift, no grant: a later run gives it), not the run.
   */
  async grantBirthdays(asOf: Date): Promise<{ processed: number; changed: number }> {
    const { timeZone } = await programmeConfigOf(this.em).current(this.em);
    const [year, month] = localDate(asOf, timeZone).split('-').map(Number);
    const due = await birthdayGiftsDue(this.em, asOf, localMonthBounds(asOf, timeZone).start, month, year);
    let changed = 0;
    for (const d of due) {
      try {
        // Dated at the gift's own instant (the month's start, or the joining), whichever run gives it.
        const key = birthdayKey(d.memberId, year);
        await this.points.adjustPoints(SYSTEM_ACTOR, {
          memberId: d.memberId, amount: d.points, reason: `birthday gift ${year}`, idempotencyKey: key, occurredAt: d.at,
        }, new Date(Math.max(Date.now(), asOf.getTime())), key);
      } catch (err) {
        // A member whose balance or lifetime points the gift would take past int: no gift and no
        // grant (a later run gives it once the member can take it); the others get theirs.
        if (err instanceof PointsOutOfRangeError) continue;
        throw err;
      }
      if (await recordBirthdayGrant(this.em, d.memberId, year, d.points)) changed += 1;
    }
    return { processed: due.length, changed };
  }
}
