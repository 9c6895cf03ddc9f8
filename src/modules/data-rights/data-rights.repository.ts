import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * The SQL of a member's data export: one statement that builds the whole document in
 * PostgreSQL (json_build_object and json_agg, `json` so that keys keep their order), so that the
 * server holds the document once, as text, however long the member's history is (no row is
 * mapped to an object in Node).
 *
 * Cross-module read, by design: everything held about one member is in the tables of members
 * (member), tiers (tier, tier_change, tier_notice), points (point_account, point_transaction,
 * point_lot, purchase, refund, qualifying_entry, activity), benefits (birthday_grant), rewards
 * (redemption, reward), tags (member_tag, tag), retention (member_retention,
 * lifecycle_transition) and audit (audit_entry). Every part reads by the member's id on an
 * index of its table, but point_lot and lifecycle_transition, which have no index on the member
 * for all rows (one would cost every purchase a write; an export is rare): those two are scans.
 */

/** What the export is given from elsewhere: the saved segments the member is in now (segments.service.ts). */
export interface ExportInputs {
  memberId: string;
  format: string;
  generatedAt: Date;
  segments: { id: string; name: string }[];
}

/** Money in cents as the document shows it: the amount in the currency unit, and the cents. */
const money = (cents: string, name: string) => `'${name}', (${cents})::numeric / 100, '${name}Cents', ${cents}`;

const MEMBER = `(select json_build_object('id', m.id, 'externalId', m.external_id, 'displayName', m.display_name, 'email', m.email,
    'phone', m.phone, 'birthday', m.birthday, 'gender', m.gender, 'region', m.region, 'channel', m.channel, 'joinedAt', m.joined_at,
    'erasedAt', m.erased_at, 'tier', t.code, 'tierSince', m.tier_since, 'tierExpiresAt', m.tier_expires_at)
  from member m join tier t on t.id = m.tier_id where m.id = $1)`;

const POINTS = `(select json_build_object('balance', a.balance, 'lifetimeEarned', a.lifetime_earned, 'expiredThrough', a.expired_through)
  from point_account a where a.member_id = $1)`;

const list = (row: string, from: string, order: string) => `(select coalesce(json_agg(${row} order by ${order}), '[]'::json) from ${from})`;

const PARTS: [key: string, sql: string][] = [
  ['pointTransactions', list(`json_build_object('id', x.id::text, 'type', x.type, 'amount', x.amount, 'balanceAfter', x.balance_after,
    'occurredAt', x.occurred_at, 'expiresAt', x.expires_at, 'reason', x.reason, 'reference', x.reference)`,
  'point_transaction x where x.member_id = $1', 'x.id')],
  ['pointLots', list(`json_build_object('id', l.id::text, 'transactionId', l.transaction_id::text, 'points', l.points, 'remaining', l.remaining,
    'earnedAt', l.earned_at, 'activatesAt', l.activates_at, 'expiresAt', l.expires_at, 'orderId', l.order_id)`,
  'point_lot l where l.member_id = $1', 'l.id')],
  ['purchases', list(`json_build_object('orderId', p.order_id, ${money('p.amount_cents', 'amount')}, ${money('p.refunded_cents', 'refunded')},
    'pointsEarned', p.earned_points, 'qualifyingPoints', p.qualifying_points, 'pointsReversed', p.reversed_points, 'occurredAt', p.occurred_at)`,
  'purchase p where p.member_id = $1', 'p.occurred_at, p.order_id')],
  ['refunds', list(`json_build_object('refundId', r.refund_id, 'orderId', r.order_id, ${money('r.amount_cents', 'amount')},
    'pointsReversed', r.points_reversed, 'qualifyingPointsReversed', r.qualifying_reversed, 'occurredAt', r.occurred_at)`,
  'refund r where r.order_id in (select p.order_id from purchase p where p.member_id = $1) and r.member_id = $1', 'r.occurred_at, r.refund_id')],
  ['qualifyingPoints', list(`json_build_object('occurredAt', q.occurred_at, 'points', q.points, 'source', q.source, 'countsFrom', q.counts_from)`,
    'qualifying_entry q where q.member_id = $1', 'q.occurred_at, q.id')],
  ['activities', list(`json_build_object('idempotencyKey', v.idempotency_key, 'kind', v.kind, 'day', v.day, 'points', v.points,
    'qualifyingPoints', v.qualifying_points, 'occurredAt', v.occurred_at)`, 'activity v where v.member_id = $1', 'v.occurred_at, v.idempotency_key')],
  ['tierHistory', list(`json_build_object('id', c.id::text, 'kind', c.kind, 'fromTier', ft.code, 'toTier', tt.code, 'reason', c.reason,
    'qualifyingPoints', c.qualifying_points, 'occurredAt', c.occurred_at, 'expiresAt', c.expires_at, 'supersededAt', c.superseded_at)`,
  'tier_change c left join tier ft on ft.id = c.from_tier_id join tier tt on tt.id = c.to_tier_id where c.member_id = $1', 'c.occurred_at, c.id')],
  ['tierNotices', list(`json_build_object('tier', nt.code, 'tierExpiresAt', n.tier_expires_at, 'pointsToRetain', n.points_to_retain, 'noticedAt', n.noticed_at)`,
    'tier_notice n join tier nt on nt.id = n.tier_id where n.member_id = $1', 'n.noticed_at, n.id')],
  ['redemptions', list(`json_build_object('id', d.id, 'reward', w.code, 'points', d.points, 'couponCode', d.coupon_code,
    'status', case when d.status = 'ISSUED' and d.expires_at <= $2 then 'EXPIRED' else d.status end, 'createdAt', d.created_at,
    'expiresAt', d.expires_at, 'usedAt', d.used_at, 'usedAtStore', d.used_at_store, 'cancelledAt', d.cancelled_at, 'cancelReason', d.cancel_reason)`,
  'redemption d join reward w on w.id = d.reward_id where d.member_id = $1', 'd.seq')],
  ['birthdayGifts', list(`json_build_object('year', g.year, 'points', g.points, 'grantedAt', g.granted_at)`, 'birthday_grant g where g.member_id = $1', 'g.year')],
  ['tags', list(`json_build_object('code', tg.code, 'name', tg.name, 'kind', tg.kind, 'taggedAt', mt.tagged_at)`,
    'member_tag mt join tag tg on tg.id = mt.tag_id where mt.member_id = $1', 'tg.code')],
  ['segments', '$3::json'],
  ['retention', `(select json_build_object('asOf', r.as_of, 'lifecycleStage', r.stage, 'stageSince', r.stage_since,
    'firstPurchaseAt', r.first_purchase_at, 'lastPurchaseAt', r.last_purchase_at,
    'rfm', case when r.r is null then null else json_build_object('recencyDays', r.recency_days, 'frequency', r.frequency,
      ${money('r.monetary_cents', 'monetary')}, 'r', r.r, 'f', r.f, 'm', r.m, 'segment', r.rfm_segment) end,
    'aliveProbability', r.alive_probability, 'churnRisk', r.churn_risk)
    from member_retention r where r.member_id = $1)`],
  ['lifecycleTransitions', list(`json_build_object('from', lt.from_stage, 'to', lt.to_stage, 'at', lt.at)`,
    'lifecycle_transition lt where lt.member_id = $1', 'lt.at, lt.id')],
  // Who did it (staff names) is the programme's, not the member's: left out.
  ['auditLog', list(`json_build_object('action', e.action, 'at', e.at, 'before', e.before, 'after', e.after)`,
    `audit_entry e where e.entity = 'Member' and e.entity_id = $1::text`, 'e.id')],
];

/**
 * The member's export document as JSON text; null when there is no such member. Its keys, in
 * order: format, generatedAt, member, points, then PARTS (README, "Member data rights").
 */
export async function exportDocument(em: EntityManager, input: ExportInputs): Promise<string | null> {
  const body = [`'format', $4::text`, `'generatedAt', $2::timestamptz`, `'member', ${MEMBER}`, `'points', ${POINTS}`,
    ...PARTS.map(([key, sql]) => `'${key}', ${sql}`)];
  // json_build_object takes at most 100 arguments: the parts are few; the member's id is $1 in every one.
  const sql = `select case when exists (select 1 from member where id = $1) then json_build_object(${body.join(',\n')})::text end as doc`;
  const { text, params } = positional(sql, [input.memberId, input.generatedAt, JSON.stringify(input.segments), input.format]);
  const [row] = await em.execute<{ doc: string | null }[]>(text, params);
  return row?.doc ?? null;
}

/**
 * The statement's `$n` placeholders as the ORM's `?`, each with its own copy of parameter n:
 * the parts above name the member's id many times, which reads better as $1 than as a list of
 * repeated parameters. (No `?` may appear in the text itself.)
 */
function positional(sql: string, values: unknown[]): { text: string; params: unknown[] } {
  const params: unknown[] = [];
  const text = sql.replace(/\$(\d+)/g, (_, n: string) => {
    params.push(values[Number(n) - 1]);
    return '?';
  });
  return { text, params };
}
