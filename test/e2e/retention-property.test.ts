import fc from 'fast-check';
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, LADDER } from '../support/fixtures';

/**
 * Issue 18, items 10, 11 and 15 together: a refresh for an asOf gives the same rows (RFM,
 * stage, stage since, churn inputs) and the same transitions up to asOf whatever was written
 * dated after asOf, and whichever refreshes (earlier or later dates, asOf itself) ran before
 * it. Two servers: R (reference) gets only the facts dated by asOf and refreshes the earlier
 * dates in order, then asOf; T gets everything in random order, with refreshes of random
 * dates in between, then asOf. Both in one programme time zone per run (UTC, Shanghai or New
 * York, DST included), set before anything is written. RETENTION_PROPERTY_RUNS=200 for a longer run.
 */
const RUNS = Number(process.env.RETENTION_PROPERTY_RUNS ?? 3);
const DAY = 86_400_000;
const HOUR = 3_600_000;
const BASE = Date.parse('2025-01-01T00:00:00.000Z');
const AS_OF_DAY = 200;
const AS_OF = BASE + AS_OF_DAY * DAY;

interface Purchase { day: number; units: number; refund: { full: boolean; delay: number; split: boolean } | null }
interface Scenario { members: { joinDay: number; purchases: Purchase[] }[]; others: number[]; zone: string }
type Op =
  | { kind: 'buy'; member: number; orderId: string; units: number; at: number }
  | { kind: 'refund'; orderId: string; refundId: string; units: number; at: number }
  | { kind: 'refresh'; day: number };

const purchaseArb: fc.Arbitrary<Purchase> = fc.record({
  day: fc.integer({ min: 0, max: 300 }),
  units: fc.integer({ min: 1, max: 300 }),
  refund: fc.option(fc.record({ full: fc.boolean(), delay: fc.integer({ min: 0, max: 80 }), split: fc.boolean() }), { freq: 2 }),
});
const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  members: fc.array(fc.record({
    // Most join before asOf; some after it (a member written after asOf).
    joinDay: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 150 }) }, { weight: 1, arbitrary: fc.integer({ min: 201, max: 260 }) }),
    purchases: fc.array(purchaseArb, { maxLength: 4 }),
  }), { minLength: 2, maxLength: 5 }),
  others: fc.uniqueArray(fc.integer({ min: 40, max: 340 }).filter((d) => d !== AS_OF_DAY), { minLength: 1, maxLength: 3 }),
  zone: fc.constantFrom('UTC', 'Asia/Shanghai', 'America/New_York'),
});

/** Every purchase and refund of a scenario, each with its instant (distinct purchase instants per member). */
function facts(sc: Scenario): Op[] {
  return sc.members.flatMap((m, i) => m.purchases.flatMap((p, k): Op[] => {
    const day = Math.max(p.day, m.joinDay);
    const orderId = `o-${i}-${k}`;
    const buy: Op = { kind: 'buy', member: i, orderId, units: p.units, at: BASE + day * DAY + 12 * HOUR + k * 60_000 };
    if (!p.refund) return [buy];
    const refundAt = BASE + (day + p.refund.delay) * DAY + 18 * HOUR;
    const total = p.refund.full ? p.units : Math.floor(p.units / 2);
    if (total < 1) return [buy];
    const parts = p.refund.split && total >= 2 ? [Math.floor(total / 2), total - Math.floor(total / 2)] : [total];
    return [buy, ...parts.map((units, j): Op => ({ kind: 'refund', orderId, refundId: `${orderId}-r${j}`, units, at: refundAt + j * HOUR }))];
  }));
}

/** Puts each refund after its purchase (held back until then), keeping the order otherwise. */
function refundsAfterPurchases(ops: Op[], written = new Set<string>()): Op[] {
  const held = new Map<string, Op[]>();
  const out: Op[] = [];
  for (const op of ops) {
    if (op.kind === 'refund' && !written.has(op.orderId)) held.set(op.orderId, [...(held.get(op.orderId) ?? []), op]);
    else out.push(op);
    if (op.kind === 'buy') {
      written.add(op.orderId);
      out.push(...(held.get(op.orderId) ?? []));
      held.delete(op.orderId);
    }
  }
  return out;
}

const plan = scenarioArb.chain((sc) => {
  const all = facts(sc);
  const early = all.filter((op) => op.kind !== 'refresh' && op.at <= AS_OF);
  const late = all.filter((op) => op.kind !== 'refresh' && op.at > AS_OF);
  const dates = [...sc.others, AS_OF_DAY];
  const refresh = (day: number): Op => ({ kind: 'refresh', day });
  return fc.record({
    sc: fc.constant(sc),
    // T, phase 1: the facts dated by asOf, with refreshes of asOf or later dates among them.
    phase1: fc.array(fc.constantFrom(...dates.filter((d) => d >= AS_OF_DAY)), { maxLength: 2 })
      .chain((days) => fc.shuffledSubarray([...early, ...days.map(refresh)], { minLength: early.length + days.length })),
    // Phase 2: the facts dated after asOf, every other date refreshed once and some again, any order.
    phase2: fc.array(fc.constantFrom(...dates), { maxLength: 2 })
      .chain((days) => fc.shuffledSubarray([...late, ...sc.others.map(refresh), ...days.map(refresh)], { minLength: late.length + sc.others.length + days.length })),
  });
});

let r: TestServer;
let t: TestServer;
beforeAll(async () => {
  [r, t] = await Promise.all([startTestServer(), startTestServer()]);
  // One tier: the tier engine plays no part in what is compared.
  await Promise.all([createLadder(r, [LADDER[0]]), createLadder(t, [LADDER[0]])]);
}, 60_000);
afterAll(async () => { await Promise.all([r?.stop(), t?.stop()]); });

/** Empties every table the scenario writes (the ladder and the programme stay), and sets the programme's time zone. */
async function reset(s: TestServer, zone: string) {
  const tables = (await s.sql(`select tablename from pg_tables where schemaname = 'public'
    and tablename not in ('mikro_orm_migrations', 'program', 'tier', 'config_version', 'retention_facts')`)).map((x) => `"${x.tablename}"`);
  await s.sql(`truncate ${tables.join(', ')} restart identity`);
  await s.admin('mutation($z: String!) { updateProgram(input: { timeZone: $z }) { timeZone } }', { z: zone });
}

async function run(s: TestServer, ops: Op[], ids: string[]) {
  const service = await s.token('service');
  for (const op of ops) {
    const [query, input] = op.kind === 'buy'
      ? [`mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }`,
        { memberId: ids[op.member], orderId: op.orderId, amount: op.units, occurredAt: new Date(op.at).toISOString() }]
      : op.kind === 'refund'
        ? [`mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned } }`,
          { orderId: op.orderId, refundId: op.refundId, amount: op.units, occurredAt: new Date(op.at).toISOString() }]
        : [`mutation($i: DateTime!) { refreshRetention(asOf: $i) { processed } }`, new Date(BASE + op.day * DAY).toISOString()];
    const res = await s.gql(query, { i: input }, op.kind === 'refresh' ? await s.token('admin') : service);
    if (res.errors) throw new Error(`${JSON.stringify(op)}: ${JSON.stringify(res.errors)}`);
  }
}

async function register(s: TestServer, sc: Scenario, which: (joinDay: number) => boolean): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, m] of sc.members.entries()) {
    if (!which(m.joinDay)) continue;
    const res = await s.admin(`mutation($i: RegisterMemberInput!) { registerMember(input: $i) { id } }`,
      { i: { externalId: `pm-${i}`, joinedAt: new Date(BASE + m.joinDay * DAY).toISOString() } });
    ids[i] = res.registerMember.id;
  }
  return ids;
}

/** The rows as of asOf and every move up to it, by external id. */
async function picture(s: TestServer) {
  const rows = await s.sql(`select m.external_id as who, r.as_of, r.stage, r.stage_since, r.first_purchase_at, r.last_purchase_at, r.recency_days,
      r.frequency, r.monetary_cents, r.r, r.f, r.m, r.rfm_segment, r.x, r.tx, r.t_days
    from member_retention r join member m on m.id = r.member_id order by 1`);
  const moves = await s.sql(`select m.external_id as who, t.from_stage, t.to_stage, t.at from lifecycle_transition t join member m on m.id = t.member_id
    where t.at <= $1 order by 1, t.at`, [new Date(AS_OF)]);
  return { rows, moves };
}

it('a refresh for asOf does not depend on what was written after it, nor on the refreshes before it', async () => {
  await fc.assert(fc.asyncProperty(plan, async ({ sc, phase1, phase2 }) => {
    // R: the facts dated by asOf in date order, the earlier dates refreshed in order, then asOf.
    const reference = async () => {
      await reset(r, sc.zone);
      const ids = await register(r, sc, (day) => day < AS_OF_DAY);
      const dated = facts(sc).filter((op) => op.kind !== 'refresh' && op.at <= AS_OF)
        .sort((a, b) => (a as { at: number }).at - (b as { at: number }).at);
      const earlier = [...sc.others].filter((d) => d < AS_OF_DAY).sort((a, b) => a - b);
      await run(r, [...dated, ...earlier.map((day): Op => ({ kind: 'refresh', day })), { kind: 'refresh', day: AS_OF_DAY }], ids);
      return picture(r);
    };
    // T: everyone, everything, in the plan's order, then asOf.
    const tested = async () => {
      await reset(t, sc.zone);
      const ids = await register(t, sc, () => true);
      const written = new Set<string>();
      await run(t, [...refundsAfterPurchases(phase1, written), ...refundsAfterPurchases(phase2, written), { kind: 'refresh', day: AS_OF_DAY }], ids);
      return picture(t);
    };
    const [expected, got] = await Promise.all([reference(), tested()]);
    expect(got).toEqual(expected);
  }), { numRuns: RUNS });
}, 30_000 + RUNS * 15_000);
