import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput, notFound } from '../../common/errors';
import { inTransaction, isUniqueViolation } from '../../db/transaction';
import { pgTextArray } from '../../db/entity-manager';
import { type Actor, actorLabel, SYSTEM_ACTOR } from '../actor';
import { AuditService } from '../audit/audit.service';
import { withDates } from '../points/points.repository';
import { MAX_POINTS } from '../points/points.rules';
import type { PointsService } from '../points/points.service';
import { applyPatch, type PatchSpec } from '../rewards/rewards.rules';

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

export interface BenefitRow {
  id: string; code: string; version: number; name: string; description: string | null; kind: string; value: number | null;
  tierCodes: string[]; requiredTags: string[]; active: boolean; validFrom: Date | null; validTo: Date | null;
}
export interface BenefitVersionRow { version: number; snapshot: BenefitRow; changedBy: string; changedAt: Date }

const COLUMNS = `b.id, b.code, b.version, b.name, b.description, b.kind, b.value::float8 as value, b.tier_codes as "tierCodes",
  b.required_tags as "requiredTags", b.active, b.valid_from as "validFrom", b.valid_to as "validTo"`;
const benefitRow = (r: BenefitRow) => withDates(r, ['validFrom', 'validTo']);

const BENEFIT_PATCH: PatchSpec<BenefitInput> = {
  name: 'required', description: 'nullable', kind: 'required', value: 'nullable', tierCodes: 'required', requiredTags: 'required',
  active: 'required', validFrom: 'nullable', validTo: 'nullable',
};

/** In force at `at`: active, inside its validity window (a future validFrom takes effect by itself). */
const IN_FORCE = `b.active and (b.valid_from is null or b.valid_from <= ?::timestamptz) and (b.valid_to is null or b.valid_to > ?::timestamptz)`;
/** For a member `m` on tier `t`: the tier is listed (or none are) and the member has every required tag. */
const APPLIES_TO_MEMBER = `(cardinality(b.tier_codes) = 0 or t.code = any(b.tier_codes))
  and (cardinality(b.required_tags) = 0 or b.required_tags <@ coalesce(
    (select array_agg(tg.code) from member_tag mt join tag tg on tg.id = mt.tag_id where mt.member_id = m.id), '{}'))`;

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
  if (input.kind === 'BIRTHDAY_GIFT' && input.value != null && (!Number.isInteger(input.value) || input.value < 0 || input.value > MAX_POINTS)) {
    throw badInput('value', `a BIRTHDAY_GIFT value is a whole number of points, at most ${MAX_POINTS}`);
  }
  if (input.validFrom && input.validTo && input.validTo <= input.validFrom) throw badInput('validTo', 'validTo must be after validFrom');
}

function normalized(input: BenefitInput) {
  return {
    code: input.code, name: input.name, description: input.description ?? null, kind: input.kind, value: input.value ?? null,
    tierCodes: [...new Set(input.tierCodes)].sort(), requiredTags: [...new Set(input.requiredTags ?? [])].sort(), active: input.active,
    validFrom: input.validFrom ? new Date(input.validFrom).toISOString() : null, validTo: input.validTo ? new Date(input.validTo).toISOString() : null,
  };
}

/** Benefit rules: versioned, audited, scheduled by their validity window. */
export class BenefitsService {
  constructor(private readonly em: EntityManager, private readonly audit: AuditService, private readonly points?: PointsService) {}

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
      const [current] = (await tx.execute(`select ${COLUMNS} from benefit b where b.code = ? for update`, [input.code])) as BenefitRow[];
      return this.save(tx, actor, current ? benefitRow(current) : null, input);
    });
  }

  /**
   * Changes the fields the patch gives, nothing else (rewards.rules.ts applyPatch), checked as
   * upsert checks them; a change is a new version with its audit entry, a patch that changes
   * nothing makes neither. The benefit row is locked, so concurrent patches each make a version.
   */
  async update(actor: Actor, code: string, patch: BenefitPatch): Promise<BenefitRow> {
    return inTransaction(this.em, async (tx) => {
      const [locked] = (await tx.execute(`select ${COLUMNS} from benefit b where b.code = ? for update`, [code])) as BenefitRow[];
      if (!locked) throw notFound('Benefit', code);
      const current = benefitRow(locked);
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
    const unknownTiers = (await tx.execute(
      'select c from unnest(?::text[]) as c where c not in (select code from tier)', [pgTextArray(next.tierCodes)],
    )) as { c: string }[];
    if (unknownTiers.length) throw badInput('tierCodes', `Unknown tier ${unknownTiers[0].c}`);
    const params = [next.name, next.description, next.kind, next.value, pgTextArray(next.tierCodes), pgTextArray(next.requiredTags), next.active, next.validFrom, next.validTo];
    const [row] = (current
      ? await tx.execute(
        `update benefit b set name = ?, description = ?, kind = ?, value = ?, tier_codes = ?::text[], required_tags = ?::text[], active = ?,
           valid_from = ?, valid_to = ?, version = version + 1, updated_at = now() where code = ? returning ${COLUMNS}`,
        [...params, input.code])
      : await tx.execute(
        `insert into benefit as b (id, code, name, description, kind, value, tier_codes, required_tags, active, valid_from, valid_to, version, updated_at)
         values (gen_random_uuid(), ?, ?, ?, ?, ?, ?::text[], ?::text[], ?, ?, ?, 1, now()) returning ${COLUMNS}`,
        [input.code, ...params])) as BenefitRow[];
    await tx.execute(
      'insert into benefit_version (benefit_id, code, version, snapshot, changed_by, changed_at) values (?, ?, ?, ?::jsonb, ?, now())',
      [row.id, row.code, row.version, JSON.stringify(next), actorLabel(actor)],
    );
    this.audit.record(tx, actor, { action: current ? 'benefit.update' : 'benefit.create', entity: 'Benefit', entityId: input.code, before, after: next });
    await tx.flush();
    return benefitRow(row);
  }

  async list(): Promise<BenefitRow[]> {
    return ((await this.em.execute(`select ${COLUMNS} from benefit b order by b.code`)) as BenefitRow[]).map(benefitRow);
  }

  async versions(codes: readonly string[]): Promise<Map<string, BenefitVersionRow[]>> {
    const rows = (await this.em.execute(
      `select code, version, snapshot, changed_by as "changedBy", changed_at as "changedAt" from benefit_version where code in (?) order by code, version`,
      [codes as string[]],
    )) as (BenefitVersionRow & { code: string })[];
    const out = new Map<string, BenefitVersionRow[]>();
    for (const r of rows) out.set(r.code, [...(out.get(r.code) ?? []), withDates(r, ['changedAt'])]);
    return out;
  }

  /** What applies to each member now: tier, tags and validity at the moment of the request. */
  async forMembers(memberIds: readonly string[], now = new Date()): Promise<Map<string, BenefitRow[]>> {
    const rows = (await this.em.execute(
      `select m.id as "memberId", ${COLUMNS} from member m join tier t on t.id = m.tier_id
       join benefit b on ${IN_FORCE} and ${APPLIES_TO_MEMBER}
       where m.id in (?) order by b.code`,
      [now, now, memberIds as string[]],
    )) as (BenefitRow & { memberId: string })[];
    const out = new Map<string, BenefitRow[]>();
    for (const r of rows) out.set(r.memberId, [...(out.get(r.memberId) ?? []), benefitRow(r)]);
    return out;
  }

  /** The benefits a tier carries now (tag requirements aside: they depend on the member). */
  async forTiers(tierIds: readonly string[], now = new Date()): Promise<Map<string, BenefitRow[]>> {
    const rows = (await this.em.execute(
      `select t.id as "tierId", ${COLUMNS} from tier t join benefit b on ${IN_FORCE} and (cardinality(b.tier_codes) = 0 or t.code = any(b.tier_codes))
       where t.id in (?) order by b.code`,
      [now, now, tierIds as string[]],
    )) as (BenefitRow & { tierId: string })[];
    const out = new Map<string, BenefitRow[]>();
    for (const r of rows) out.set(r.tierId, [...(out.get(r.tierId) ?? []), benefitRow(r)]);
    return out;
  }

  /**
   * Extra multiplier from POINTS_MULTIPLIER benefits that applied to the member on tier `tierId`
   * at `at`: each benefit as it was then (its version saved last at or before `at`, in force at
   * `at`), not as it is now: a benefit switched off since still pays a purchase dated before, and
   * one created since does not. Tags are the member's now (they are not versioned).
   */
  async bonusMultiplierAt(tx: EntityManager, memberId: string, tierId: string, at: Date): Promise<number> {
    const [row] = await tx.execute(
      `select coalesce(sum((v.s->>'value')::numeric), 0)::float8 as bonus
       from (select distinct on (bv.code) bv.snapshot as s from benefit_version bv where bv.changed_at <= ?::timestamptz
             order by bv.code, bv.version desc) v
       join member m on m.id = ? join tier t on t.id = ?
       where v.s->>'kind' = 'POINTS_MULTIPLIER' and (v.s->>'active')::boolean
         and (v.s->>'validFrom' is null or (v.s->>'validFrom')::timestamptz <= ?::timestamptz)
         and (v.s->>'validTo' is null or (v.s->>'validTo')::timestamptz > ?::timestamptz)
         and (jsonb_array_length(v.s->'tierCodes') = 0 or v.s->'tierCodes' @> to_jsonb(t.code))
         and (jsonb_array_length(v.s->'requiredTags') = 0 or v.s->'requiredTags' <@ coalesce(
           (select jsonb_agg(tg.code) from member_tag mt join tag tg on tg.id = mt.tag_id where mt.member_id = m.id), '[]'::jsonb))`,
      [at, memberId, tierId, at, at],
    );
    return (row as { bonus: number }).bonus;
  }

  /**
   * Birthday gifts: members whose birthday month is asOf's month and to whom a BIRTHDAY_GIFT
   * benefit applies get its points once a year (birthday_grant is unique per member and
   * year, and the points write is keyed by member and year too).
   */
  async grantBirthdays(asOf: Date): Promise<{ processed: number; changed: number }> {
    if (!this.points) throw new Error('grantBirthdays needs the points service');
    const year = asOf.getUTCFullYear();
    const due = (await this.em.execute(
      `select m.id as "memberId", max(b.value)::int as points from member m join tier t on t.id = m.tier_id
       join benefit b on b.kind = 'BIRTHDAY_GIFT' and b.value > 0 and ${IN_FORCE} and ${APPLIES_TO_MEMBER}
       where m.birthday is not null and extract(month from m.birthday) = ?
         and not exists (select 1 from birthday_grant g where g.member_id = m.id and g.year = ?)
       group by m.id`,
      [asOf, asOf, asOf.getUTCMonth() + 1, year],
    )) as { memberId: string; points: number }[];
    let changed = 0;
    for (const d of due) {
      await this.points.adjustPoints(SYSTEM_ACTOR, {
        memberId: d.memberId, amount: d.points, reason: `birthday gift ${year}`, idempotencyKey: `birthday:${d.memberId}:${year}`, occurredAt: asOf,
      }, new Date(Math.max(Date.now(), asOf.getTime())));
      const inserted = await this.em.execute(
        'insert into birthday_grant (member_id, year, points, granted_at) values (?, ?, ?, now()) on conflict do nothing returning 1',
        [d.memberId, year, d.points],
      );
      changed += inserted.length;
    }
    return { processed: due.length, changed };
  }
}
