import type { EntityManager } from '@mikro-orm/postgresql';
import { pgTextArray } from '../../db/entity-manager';

/**
 * The SQL of a member's data export. PostgreSQL writes every piece as JSON text (row_to_json:
 * compact, its keys in the select list's order); the service strings the pieces together as
 * they come, so that no row is mapped to an object in Node and a long history is read in
 * batches from cursors (data-rights.service.ts): the streamed download holds one batch at a
 * time, whatever the member's history.
 *
 * Cross-module read, by design: everything held about one member is in the tables of members
 * (member), tiers (tier, tier_change, tier_notice), points (point_account, point_transaction,
 * point_lot, purchase, refund, qualifying_entry, activity), check-in (check_in), referrals
 * (referral), benefits (birthday_grant), rewards (redemption, reward), campaigns (campaign,
 * campaign_member, campaign_award), tags (member_tag, tag), retention (member_retention,
 * lifecycle_transition), audit (audit_entry) and webhooks (webhook_event). Every part reads by the member's id on an
 * index of its table, but point_lot, lifecycle_transition and campaign_member, which have no
 * index on the member for all rows (one would cost every purchase or arm a write; an export is
 * rare): those three are scans.
 */

/** Money in cents as the document shows it: the amount in the currency unit, and the cents. */
const money = (cents: string, name: string) => `(${cents})::numeric / 100 as "${name}", ${cents} as "${name}Cents"`;

/** A list of the document: its rows' columns (aliased: the JSON keys, in order), where they come from (the member's id is `$1`, now `$2`), their order. */
export interface ExportList { columns: string; from: string; order: string }

/** The document's lists, by key, in the document's order (README, "Member data rights"). */
export const EXPORT_LISTS = {
  pointTransactions: {
    columns: `x.id::text as "id", x.type as "type", x.amount as "amount", x.balance_after as "balanceAfter", x.occurred_at as "occurredAt",
      x.expires_at as "expiresAt", x.reason as "reason", x.reference as "reference"`,
    from: 'point_transaction x where x.member_id = $1', order: 'x.id',
  },
  pointLots: {
    columns: `l.id::text as "id", l.transaction_id::text as "transactionId", l.points as "points", l.remaining as "remaining",
      l.earned_at as "earnedAt", l.activates_at as "activatesAt", l.expires_at as "expiresAt", l.order_id as "orderId"`,
    from: 'point_lot l where l.member_id = $1', order: 'l.id',
  },
  purchases: {
    columns: `p.order_id as "orderId", ${money('p.amount_cents', 'amount')}, ${money('p.refunded_cents', 'refunded')},
      p.earned_points as "pointsEarned", p.qualifying_points as "qualifyingPoints", p.reversed_points as "pointsReversed", p.occurred_at as "occurredAt"`,
    from: 'purchase p where p.member_id = $1', order: 'p.occurred_at, p.order_id',
  },
  refunds: {
    columns: `r.refund_id as "refundId", r.order_id as "orderId", ${money('r.amount_cents', 'amount')}, r.points_reversed as "pointsReversed",
      r.qualifying_reversed as "qualifyingPointsReversed",
      coalesce((select t.unrecovered from point_transaction t where t.id = r.transaction_id), 0) as "pointsUnrecovered", r.occurred_at as "occurredAt"`,
    from: 'refund r where r.order_id in (select p.order_id from purchase p where p.member_id = $1) and r.member_id = $1', order: 'r.occurred_at, r.refund_id',
  },
  qualifyingPoints: {
    columns: 'q.occurred_at as "occurredAt", q.points as "points", q.source as "source", q.counts_from as "countsFrom"',
    from: 'qualifying_entry q where q.member_id = $1', order: 'q.occurred_at, q.id',
  },
  activities: {
    columns: `v.idempotency_key as "idempotencyKey", v.kind as "kind", v.day as "day", v.points as "points", v.qualifying_points as "qualifyingPoints",
      v.occurred_at as "occurredAt"`,
    from: 'activity v where v.member_id = $1', order: 'v.occurred_at, v.idempotency_key',
  },
  checkIns: {
    columns: 'ci.day::text as "day", ci.streak as "streak", ci.points as "points", ci.checked_in_at as "checkedInAt"',
    from: 'check_in ci where ci.member_id = $1', order: 'ci.day',
  },
  // The other party of a referral is another member's data: only this member's side (its role, its points).
  referrals: {
    columns: `rf.id::text as "id", case when rf.referrer_id = $1 then 'REFERRER' else 'REFEREE' end as "role", rf.status as "status",
      rf.reason as "reason", case when rf.referrer_id = $1 then rf.referrer_points else rf.referee_points end as "points",
      rf.created_at as "createdAt", rf.completed_at as "completedAt", rf.reversed_at as "reversedAt"`,
    from: 'referral rf where rf.referrer_id = $1 or rf.referee_id = $1', order: 'rf.created_at, rf.id',
  },
  tierHistory: {
    columns: `c.id::text as "id", c.kind as "kind", ft.code as "fromTier", tt.code as "toTier", c.reason as "reason",
      c.qualifying_points as "qualifyingPoints", c.occurred_at as "occurredAt", c.expires_at as "expiresAt", c.superseded_at as "supersededAt"`,
    from: 'tier_change c left join tier ft on ft.id = c.from_tier_id join tier tt on tt.id = c.to_tier_id where c.member_id = $1', order: 'c.occurred_at, c.id',
  },
  tierNotices: {
    columns: 'nt.code as "tier", n.tier_expires_at as "tierExpiresAt", n.points_to_retain as "pointsToRetain", n.noticed_at as "noticedAt"',
    from: 'tier_notice n join tier nt on nt.id = n.tier_id where n.member_id = $1', order: 'n.noticed_at, n.id',
  },
  redemptions: {
    columns: `d.id as "id", w.code as "reward", d.points as "points", d.coupon_code as "couponCode",
      case when d.status = 'ISSUED' and d.expires_at <= $2 then 'EXPIRED' else d.status end as "status", d.created_at as "createdAt",
      d.expires_at as "expiresAt", d.used_at as "usedAt", d.used_at_store as "usedAtStore", d.cancelled_at as "cancelledAt", d.cancel_reason as "cancelReason"`,
    from: 'redemption d join reward w on w.id = d.reward_id where d.member_id = $1', order: 'd.seq',
  },
  birthdayGifts: {
    columns: 'g.year as "year", g.points as "points", g.granted_at as "grantedAt"',
    from: 'birthday_grant g where g.member_id = $1', order: 'g.year',
  },
  campaignArms: {
    columns: 'ca.code as "campaign", cm.control as "control", cm.assigned_at as "assignedAt"',
    from: 'campaign_member cm join campaign ca on ca.id = cm.campaign_id where cm.member_id = $1', order: 'cm.assigned_at, ca.code',
  },
  campaignAwards: {
    columns: `cw.code as "campaign", aw.source as "source", aw.occurred_at as "occurredAt", aw.points as "points",
      aw.reversed_points as "pointsReversed", aw.reward_points as "rewardPoints"`,
    from: 'campaign_award aw join campaign cw on cw.id = aw.campaign_id where aw.member_id = $1', order: 'aw.id',
  },
  tags: {
    columns: 'tg.code as "code", tg.name as "name", tg.kind as "kind", mt.tagged_at as "taggedAt"',
    from: 'member_tag mt join tag tg on tg.id = mt.tag_id where mt.member_id = $1', order: 'tg.code',
  },
  lifecycleTransitions: {
    columns: 'lt.from_stage as "from", lt.to_stage as "to", lt.at as "at"',
    from: 'lifecycle_transition lt where lt.member_id = $1', order: 'lt.at, lt.id',
  },
  // Who made a change (staff names) is the programme's, not the member's: left out.
  auditLog: {
    columns: 'e.action as "action", e.at as "at", e.before as "before", e.after as "after"',
    // Entries on the member and on its redemptions (an admin's cancellation, with its reason).
    from: `audit_entry e where (e.entity = 'Member' and e.entity_id = $1::text)
      or (e.entity = 'Redemption' and e.entity_id in (select r.id::text from redemption r where r.member_id = $1))`, order: 'e.id',
  },
  // Which lots each spending transaction took its points from (through the transactions' index: point_allocation has none on the member).
  pointAllocations: {
    columns: 'pa.transaction_id::text as "transactionId", pa.lot_id::text as "lotId", pa.amount as "points"',
    from: 'point_allocation pa where pa.transaction_id in (select t.id from point_transaction t where t.member_id = $1) and pa.member_id = $1', order: 'pa.id',
  },
  // The webhook events stored about the member (what was sent, or is still to be sent, to the
  // programme's receivers), as stored, but for the other member of a referral: a referrer's
  // referral events name its referee by id alone (its externalId, the programme's key for a
  // person, its points, and the order that completed the referral are another member's data:
  // null here, as in `referrals` above and as the API shows the referee, by id and masked name),
  // and so do the reversals of its REFERRAL campaigns' awards (the referee's order and refund).
  webhookEvents: {
    // occurredAt as the body carried it (UTC, milliseconds, Z: webhooks.rules.ts deliveryBody), not as row_to_json writes an instant.
    columns: `we.id::text as "id", we.type as "type", to_char(we.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "occurredAt",
      case when we.type in ('referral.completed', 'referral.reversed') and jsonb_typeof(we.data -> 'referee') = 'object'
          then jsonb_set(jsonb_set(jsonb_set(we.data, '{referee,externalId}', 'null'::jsonb), '{refereePoints}', 'null'::jsonb), '{orderId}', 'null'::jsonb)
        when we.type = 'campaign.reversed' and exists (select 1 from campaign c where c.code = we.data ->> 'campaign' and c.trigger = 'REFERRAL')
          then jsonb_set(jsonb_set(we.data, '{orderId}', 'null'::jsonb), '{refundId}', 'null'::jsonb)
        else we.data end as "data"`,
    from: 'webhook_event we where we.member_id = $1', order: 'we.seq',
  },
} satisfies Record<string, ExportList>;

export type ExportListKey = keyof typeof EXPORT_LISTS;

/** The document's single values, as JSON text (null: `null`). */
export interface ExportHead { member: string; points: string; retention: string; erased: boolean; seq: string }

/**
 * The member, its account (the ledger's balance: pending points and points past an expiry no
 * run has taken yet included) and its retention scores as JSON text; null when there is no
 * such member.
 */
export async function exportHead(tx: EntityManager, memberId: string): Promise<ExportHead | null> {
  const { text, params } = positional(`select
    (select row_to_json(x)::text from (select m.id as "id", m.external_id as "externalId", m.display_name as "displayName", m.email as "email",
      m.phone as "phone", m.birthday as "birthday", m.gender as "gender", m.region as "region", m.channel as "channel", m.joined_at as "joinedAt",
      m.erased_at as "erasedAt", t.code as "tier", m.tier_since as "tierSince", m.tier_expires_at as "tierExpiresAt") x) as member,
    coalesce((select row_to_json(x)::text from (select a.balance as "balance", a.lifetime_earned as "lifetimeEarned", a.expired_through as "expiredThrough"
      from point_account a where a.member_id = $1) x), 'null') as points,
    coalesce((select row_to_json(x)::text from (select r.as_of as "asOf", r.stage as "lifecycleStage", r.stage_since as "stageSince",
      r.first_purchase_at as "firstPurchaseAt", r.last_purchase_at as "lastPurchaseAt",
      case when r.r is null then null else json_build_object('recencyDays', r.recency_days, 'frequency', r.frequency, 'monetary', r.monetary_cents::numeric / 100,
        'monetaryCents', r.monetary_cents, 'r', r.r, 'f', r.f, 'm', r.m, 'segment', r.rfm_segment) end as "rfm",
      r.alive_probability as "aliveProbability", r.churn_risk as "churnRisk"
      from member_retention r where r.member_id = $1) x), 'null') as retention,
    m.erased_at is not null as erased, m.seq::text as seq
    from member m join tier t on t.id = m.tier_id where m.id = $1`, [memberId]);
  const [row] = await tx.execute<ExportHead[]>(text, params);
  return row ?? null;
}

/** Opens cursor `name` (in `tx`) over a list's rows of the member, each as one JSON text, in the list's order; `now` decides what has expired. */
export async function openListCursor(tx: EntityManager, name: string, list: ExportList, memberId: string, now: Date): Promise<void> {
  const { text, params } = positional(`declare ${name} no scroll cursor for
    select row_to_json(x)::text as j from (select ${list.columns} from ${list.from} order by ${list.order}) x`, [memberId, now]);
  await tx.execute(text, params);
}

/** The next `count` rows of cursor `name`; fewer at its end. */
export async function fetchList(tx: EntityManager, name: string, count: number): Promise<string[]> {
  const rows = await tx.execute<{ j: string }[]>(`fetch ${count} from ${name}`);
  return rows.map((r) => r.j);
}

export async function closeCursor(tx: EntityManager, name: string): Promise<void> {
  await tx.execute(`close ${name}`);
}

/** The export's reads see one snapshot: every list as of the same instant. */
export async function readOnlySnapshot(tx: EntityManager): Promise<void> {
  await tx.execute('set transaction isolation level repeatable read, read only');
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

/** `text` with the personal values scrubbed as from every text an erasure keeps (the SQL function text_scrub): for the erasure's own reason. */
export async function scrubbedText(tx: EntityManager, text: string, values: readonly string[]): Promise<string> {
  const [row] = await tx.execute<{ t: string }[]>('select text_scrub(?, ?::text[]) as t', [text, pgTextArray(values)]);
  return row.t;
}
