import type { EntityManager } from '@mikro-orm/postgresql';
import { debtTakesExpiring } from '../../db/lot-debt';
import { minusMonths } from '../../db/months';

/**
 * The member screen in one statement: the member row and, as asked, its tier and the next one,
 * its balances, its points expiring within each asked window, its qualifying points, its tags
 * and the benefits that apply to it.
 *
 * Cross-module read, on the hot path (every app open): besides member it reads tier and program
 * (tiers, the qualification window), point_account and point_lot (points), qualifying_entry
 * (tiers), member_tag and tag (tags), benefit (benefits). Each part restates its module's
 * batch read with the same expressions (points.repository balances and expiring, tiers.repository
 * progressCounts, tags.repository tagsOfMembers, benefits.repository benefitsOfMembers); the test
 * test/e2e/member-screen.test.ts holds the two equal, member by member. A part not asked is not
 * in the statement.
 */

/** What a screen asks for, beyond the member row. `expiringDays`: the windows of expiringPoints, in days. */
export interface ScreenParts {
  tier: boolean;
  balances: boolean;
  expiringDays: readonly number[];
  progress: boolean;
  tags: boolean;
  benefits: boolean;
}

/** Who: a member id, or an external id. */
export type ScreenKey = { id: string } | { externalId: string };

/** A tier as the screen reads it (the tiers module's TierView). */
export interface ScreenTier { id: string; code: string; name: string; rank: number; qualifyingPoints: number; retainPoints: number; pointsMultiplier: number }

/** The statement's row: the member's fields as the API shows them (timestamps as the driver's text), and the parts, under `screen_` names. */
export interface ScreenRow {
  id: string; seq: string; externalId: string | null; displayName: string | null; email: string | null; phone: string | null; birthday: string | null;
  gender: string | null; region: string | null; channel: string | null; joinedAt: string; tierSince: string; tierExpiresAt: string | null; tierId: string;
  erasedAt: string | null;
  screen_tier?: ScreenTier | null;
  screen_next_tier?: ScreenTier | null;
  screen_has_account?: boolean;
  screen_lifetime?: number | null;
  screen_balance?: number;
  screen_pending?: number;
  screen_q_now?: number;
  screen_q_kept?: number;
  screen_tags?: Record<string, unknown>[];
  screen_benefits?: Record<string, unknown>[];
  [expiring: `screen_expiring_${number}`]: number;
}

/** The member's fields as the API shows them (members.entity MemberView), its tier by id. */
const MEMBER_COLUMNS = `m.id, m.seq::text as seq, m.external_id as "externalId", m.display_name as "displayName", m.email, m.phone, m.birthday, m.gender, m.region,
  m.channel, m.joined_at as "joinedAt", m.tier_since as "tierSince", m.tier_expires_at as "tierExpiresAt", m.tier_id as "tierId",
  m.erased_at as "erasedAt"`;
const TIER_JSON = (t: string) => `case when ${t}.id is null then null else json_build_object('id', ${t}.id, 'code', ${t}.code, 'name', ${t}.name,
  'rank', ${t}.rank, 'qualifyingPoints', ${t}.qualifying_points, 'retainPoints', ${t}.retain_points, 'pointsMultiplier', ${t}.points_multiplier::float8) end`;

/** point_lot `l` of point_account `a` is live (points.repository LIVE_LOT). */
const LIVE_LOT = `coalesce(l.expires_at, 'infinity') > coalesce(a.expired_through, '-infinity')`;

/** A benefit `b` in force at `now` that applies to member `m` on tier `t` (benefits.repository IN_FORCE and APPLIES_TO_MEMBER). */
const BENEFIT_APPLIES = `m.erased_at is null and b.active and (b.valid_from is null or b.valid_from <= ?::timestamptz) and (b.valid_to is null or b.valid_to > ?::timestamptz)
  and (cardinality(b.tier_codes) = 0 or t.code = any(b.tier_codes))
  and (cardinality(b.required_tags) = 0 or b.required_tags <@ coalesce(
    (select array_agg(tg.code) from member_tag mt join tag tg on tg.id = mt.tag_id where mt.member_id = m.id), '{}'))`;

const BENEFIT_JSON = `json_build_object('id', b.id, 'code', b.code, 'version', b.version, 'name', b.name, 'description', b.description,
  'kind', b.kind, 'value', b.value::float8, 'tierCodes', b.tier_codes, 'requiredTags', b.required_tags, 'active', b.active,
  'validFrom', b.valid_from, 'validTo', b.valid_to)`;

/** The screen of one member at `now`; undefined when there is no such member. */
export async function memberScreen(em: EntityManager, key: ScreenKey, parts: ScreenParts, now: Date): Promise<ScreenRow | undefined> {
  const columns = [MEMBER_COLUMNS];
  const joins = ['left join tier t on t.id = m.tier_id'];
  const columnParams: unknown[] = []; // the columns' placeholders come first in the text, then the joins', then the where's
  const joinParams: unknown[] = [];
  if (parts.tier || parts.progress) columns.push(`${TIER_JSON('t')} as screen_tier`);
  if (parts.progress) {
    columns.push(`${TIER_JSON('nt')} as screen_next_tier`, 'q.q_now as screen_q_now', 'q.q_kept as screen_q_kept');
    joins.push('left join tier nt on nt.rank = t.rank + 1', 'left join program p on p.id = 1', `left join lateral (
      select coalesce(sum(qe.points) filter (where qe.occurred_at > ${minusMonths('?::timestamptz', 'p.qualification_window_months')}), 0)::int as q_now,
        coalesce(sum(qe.points) filter (where m.tier_expires_at is not null
          and qe.occurred_at > ${minusMonths('m.tier_expires_at', 'p.qualification_window_months')}), 0)::int as q_kept
      from qualifying_entry qe where qe.member_id = m.id and qe.occurred_at <= ?::timestamptz and coalesce(qe.counts_from, qe.occurred_at) <= ?::timestamptz
    ) q on true`);
    joinParams.push(now, now, now);
  }
  if (parts.balances || parts.expiringDays.length) {
    const sums: string[] = [];
    const sumParams: unknown[] = [];
    if (parts.balances) {
      columns.push('a.member_id is not null as screen_has_account', 'a.lifetime_earned as screen_lifetime', 'lots.balance as screen_balance', 'lots.pending as screen_pending');
      sums.push(`coalesce(sum(l.remaining) filter (where l.activates_at <= ?::timestamptz and (l.expires_at is null or l.expires_at > ?::timestamptz)), 0)::int as balance`,
        'coalesce(sum(l.remaining) filter (where l.activates_at > ?::timestamptz), 0)::int as pending');
      sumParams.push(now, now, now);
    }
    parts.expiringDays.forEach((days, i) => {
      // Less what a debt will take of them, as points.repository expiring (debtTakesExpiring).
      columns.push(`lots.e${i} - ${debtTakesExpiring('m.id', 'sn.now', `${Math.trunc(days)}`)} as screen_expiring_${i}`);
      sums.push(`coalesce(sum(l.remaining) filter (where l.remaining > 0 and l.activates_at <= ?::timestamptz and l.expires_at > ?::timestamptz
        and l.expires_at <= ?::timestamptz + make_interval(days => ?::int)), 0)::int as e${i}`);
      sumParams.push(now, now, now, days);
    });
    if (parts.expiringDays.length) {
      joins.push('cross join (select ?::timestamptz as now) sn');
      joinParams.push(now);
    }
    joins.push('left join point_account a on a.member_id = m.id', `left join lateral (
      select ${sums.join(', ')} from point_lot l where l.member_id = m.id and l.remaining <> 0 and ${LIVE_LOT}
    ) lots on true`);
    joinParams.push(...sumParams);
  }
  if (parts.tags) {
    columns.push(`(select coalesce(json_agg(json_build_object('id', tg.id, 'code', tg.code, 'name', tg.name, 'kind', tg.kind, 'category', tg.category)
      order by tg.code), '[]') from member_tag mt join tag tg on tg.id = mt.tag_id where mt.member_id = m.id) as screen_tags`);
  }
  if (parts.benefits) {
    columns.push(`(select coalesce(json_agg(${BENEFIT_JSON} order by b.code), '[]') from benefit b where t.id is not null and ${BENEFIT_APPLIES}) as screen_benefits`);
    columnParams.push(now, now);
  }
  const where = 'id' in key ? 'm.id = ?' : 'm.external_id = ?';
  const [row] = await em.execute<ScreenRow[]>(
    `select ${columns.join(', ')} from member m ${joins.join(' ')} where ${where}`,
    [...columnParams, ...joinParams, 'id' in key ? key.id : key.externalId],
  );
  return row;
}
