import type { EntityManager } from '@mikro-orm/postgresql';
import { pgTextArray } from '../../db/entity-manager';
import { withDates } from '../../db/rows';

/**
 * The SQL of benefit, benefit_version and birthday_grant, in one place. Every function takes
 * the caller's EntityManager (the transaction's, for writes); none opens a transaction: the
 * service does. Rows leave this module with real Dates.
 *
 * Reads that join other modules' tables are marked "Cross-module read" where they are: a
 * benefit applies by the member's tier (tier, member) and tags (member_tag, tag), which the
 * statements below evaluate set-based rather than member by member.
 */

export interface BenefitRow {
  id: string; code: string; version: number; name: string; description: string | null; kind: string; value: number | null;
  tierCodes: string[]; requiredTags: string[]; active: boolean; validFrom: Date | null; validTo: Date | null;
}
export interface BenefitVersionRow { version: number; snapshot: BenefitRow; changedBy: string; changedAt: Date }

/** A benefit's values as a version stores them (timestamps as ISO text, code lists sorted and unique). */
export interface BenefitValues {
  name: string; description: string | null; kind: string; value: number | null; tierCodes: string[]; requiredTags: string[];
  active: boolean; validFrom: string | null; validTo: string | null;
}

const COLUMNS = `b.id, b.code, b.version, b.name, b.description, b.kind, b.value::float8 as value, b.tier_codes as "tierCodes",
  b.required_tags as "requiredTags", b.active, b.valid_from as "validFrom", b.valid_to as "validTo"`;
const benefitRow = <T extends BenefitRow>(r: T): T => withDates(r, ['validFrom', 'validTo']);

/** In force at `at` (bound twice): active, inside its validity window (a future validFrom takes effect by itself). */
const IN_FORCE = `b.active and (b.valid_from is null or b.valid_from <= ?::timestamptz) and (b.valid_to is null or b.valid_to > ?::timestamptz)`;
/** For a member `m` on tier `t`: not erased (an erased member enjoys nothing), the tier is listed (or none are) and the member has every required tag. */
const APPLIES_TO_MEMBER = `m.erased_at is null and (cardinality(b.tier_codes) = 0 or t.code = any(b.tier_codes))
  and (cardinality(b.required_tags) = 0 or b.required_tags <@ coalesce(
    (select array_agg(tg.code) from member_tag mt join tag tg on tg.id = mt.tag_id where mt.member_id = m.id), '{}'))`;

/** Lock: the benefit row with this code (`for update`), as it is; null when there is none. */
export async function lockBenefit(tx: EntityManager, code: string): Promise<BenefitRow | null> {
  const [row] = await tx.execute<BenefitRow[]>(`select ${COLUMNS} from benefit b where b.code = ? for update`, [code]);
  return row ? benefitRow(row) : null;
}

/**
 * A new benefit's code held (a transaction advisory lock on it in lower case: first saves of
 * `Lounge` and `lounge` queue), and the code of another benefit only the case tells from it, if any.
 */
export async function otherCaseCode(tx: EntityManager, code: string): Promise<string | null> {
  await tx.execute(`select pg_advisory_xact_lock(hashtext('benefit.code'), hashtext(lower(?)))`, [code]);
  const [row] = await tx.execute<{ code: string }[]>('select code from benefit where lower(code) = lower(?) and code <> ? limit 1', [code, code]);
  return row?.code ?? null;
}

function valueParams(v: BenefitValues): unknown[] {
  return [v.name, v.description, v.kind, v.value, pgTextArray(v.tierCodes), pgTextArray(v.requiredTags), v.active, v.validFrom, v.validTo];
}

/** Writes the benefit's next version over its row (which the caller holds locked). */
export async function updateBenefit(tx: EntityManager, code: string, values: BenefitValues): Promise<BenefitRow> {
  const [row] = await tx.execute<BenefitRow[]>(
    `update benefit b set name = ?, description = ?, kind = ?, value = ?, tier_codes = ?::text[], required_tags = ?::text[], active = ?,
       valid_from = ?, valid_to = ?, version = version + 1, updated_at = now() where code = ? returning ${COLUMNS}`,
    [...valueParams(values), code],
  );
  return benefitRow(row);
}

/** Inserts the benefit at version 1 (a concurrent first insert of the code fails on benefit_code_unique). */
export async function insertBenefit(tx: EntityManager, code: string, values: BenefitValues): Promise<BenefitRow> {
  const [row] = await tx.execute<BenefitRow[]>(
    `insert into benefit as b (id, code, name, description, kind, value, tier_codes, required_tags, active, valid_from, valid_to, version, updated_at)
     values (gen_random_uuid(), ?, ?, ?, ?, ?, ?::text[], ?::text[], ?, ?, ?, 1, now()) returning ${COLUMNS}`,
    [code, ...valueParams(values)],
  );
  return benefitRow(row);
}

/** The history row of a version: its values as saved, by whom. */
export async function insertBenefitVersion(
  tx: EntityManager, benefit: Pick<BenefitRow, 'id' | 'code' | 'version'>, snapshot: BenefitValues & { code: string }, changedBy: string,
): Promise<void> {
  await tx.execute(
    'insert into benefit_version (benefit_id, code, version, snapshot, changed_by, changed_at) values (?, ?, ?, ?::jsonb, ?, now())',
    [benefit.id, benefit.code, benefit.version, JSON.stringify(snapshot), changedBy],
  );
}

export async function listBenefits(em: EntityManager): Promise<BenefitRow[]> {
  return (await em.execute<BenefitRow[]>(`select ${COLUMNS} from benefit b order by b.code`)).map(benefitRow);
}

/** The versions of the benefits with these codes, by code and version, each row with its code. */
export async function benefitVersions(em: EntityManager, codes: readonly string[]): Promise<(BenefitVersionRow & { code: string })[]> {
  const rows = await em.execute<(BenefitVersionRow & { code: string })[]>(
    `select code, version, snapshot, changed_by as "changedBy", changed_at as "changedAt" from benefit_version where code in (?) order by code, version`,
    [codes as string[]],
  );
  return rows.map((r) => withDates(r, ['changedAt']));
}

/**
 * The benefits that apply to each of these members at `now`, by code, each row with its member.
 * Cross-module read: member (its tier_id), tier (its code), member_tag and tag (required tags).
 */
export async function benefitsOfMembers(em: EntityManager, memberIds: readonly string[], now: Date): Promise<(BenefitRow & { memberId: string })[]> {
  const rows = await em.execute<(BenefitRow & { memberId: string })[]>(
    `select m.id as "memberId", ${COLUMNS} from member m join tier t on t.id = m.tier_id
     join benefit b on ${IN_FORCE} and ${APPLIES_TO_MEMBER}
     where m.id in (?) order by b.code`,
    [now, now, memberIds as string[]],
  );
  return rows.map(benefitRow);
}

/** The benefits each of these tiers carries at `now` (tags aside), by code, each row with its tier. Cross-module read: tier (its code). */
export async function benefitsOfTiers(em: EntityManager, tierIds: readonly string[], now: Date): Promise<(BenefitRow & { tierId: string })[]> {
  const rows = await em.execute<(BenefitRow & { tierId: string })[]>(
    `select t.id as "tierId", ${COLUMNS} from tier t join benefit b on ${IN_FORCE} and (cardinality(b.tier_codes) = 0 or t.code = any(b.tier_codes))
     where t.id in (?) order by b.code`,
    [now, now, tierIds as string[]],
  );
  return rows.map(benefitRow);
}

/** The member's tag codes now. Cross-module read: member_tag and tag (a benefit may require tags). */
export async function memberTagCodes(tx: EntityManager, memberId: string): Promise<string[]> {
  const rows = await tx.execute<{ code: string }[]>(
    'select tg.code from member_tag mt join tag tg on tg.id = mt.tag_id where mt.member_id = ? order by tg.code', [memberId],
  );
  return rows.map((r) => r.code);
}

/**
 * Members whose birthday month is `month`, to whom a BIRTHDAY_GIFT benefit in force at asOf
 * applies and who have no grant for `year` yet, with the gift's points (the largest such
 * benefit's) and its instant; month and year are asOf's, programme-local (the caller's). The
 * gift's instant is the gift's own, not the run's: the month's local start (`monthStart`), or
 * the member's joining if later. The tier is the one held then: the member row's while it holds
 * since then or earlier, else the last standing change dated at or before it, else the tier the
 * first change left (the entry tier). Cross-module read: member (birthday, joined_at, tier_id,
 * tier_since), tier_change, tier, member_tag and tag.
 */
export async function birthdayGiftsDue(em: EntityManager, asOf: Date, monthStart: Date, month: number, year: number): Promise<{ memberId: string; points: number; at: Date }[]> {
  const rows = await em.execute<{ memberId: string; points: number; at: Date }[]>(
    `select m.id as "memberId", max(b.value)::int as points, gift.at from member m
     cross join lateral (select greatest(?::timestamptz, m.joined_at) as at) gift
     cross join lateral (select case when m.tier_since <= gift.at then m.tier_id else coalesce(
       (select c.to_tier_id from tier_change c where c.member_id = m.id and c.superseded_at is null and c.occurred_at <= gift.at
         order by c.occurred_at desc, c.id desc limit 1),
       (select c.from_tier_id from tier_change c where c.member_id = m.id and c.superseded_at is null
         order by c.occurred_at, c.id limit 1),
       m.tier_id) end as tier_id) held
     join tier t on t.id = held.tier_id
     join benefit b on b.kind = 'BIRTHDAY_GIFT' and b.value > 0 and ${IN_FORCE} and ${APPLIES_TO_MEMBER}
     where m.birthday is not null and extract(month from m.birthday) = ? and m.joined_at <= ?::timestamptz
       and not exists (select 1 from birthday_grant g where g.member_id = m.id and g.year = ?)
     group by m.id, gift.at`,
    [monthStart, asOf, asOf, month, asOf, year],
  );
  return rows.map((r) => withDates(r, ['at']));
}

/** Records the member's gift for the year; false when it was already recorded. */
export async function recordBirthdayGrant(em: EntityManager, memberId: string, year: number, points: number): Promise<boolean> {
  const rows = await em.execute('insert into birthday_grant (member_id, year, points, granted_at) values (?, ?, ?, now()) on conflict do nothing returning 1', [memberId, year, points]);
  return rows.length > 0;
}
