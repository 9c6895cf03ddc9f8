import fc from 'fast-check';
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, LADDER } from '../support/fixtures';
import { addDaysUtc } from '../../src/common/time.rules';
import { dayNumber, dayOfNumber, localDayNumber, startOfLocalDay } from '../../src/common/local-time.rules';
import { inSqlTransaction } from '../../src/db/transaction';
import { columnsOf, fromFitRequest, type TupleText } from '../../src/modules/retention/churn.fit';
import { summarizePurchaseDays } from '../../src/modules/retention/churn.rules';
import {
  insertFactsAndReadTuples, memberHalves, truncateFacts, type FactDates, type Half, type HalfTuples,
} from '../../src/modules/retention/retention.repository';
import {
  classifyStage, purchaseDaysAsOf, purchaseFactsAsOf, scoreRfm, type LifecycleThresholds, type PurchaseRecord,
} from '../../src/modules/retention/retention.rules';

/**
 * Issue 20, item 1: the refresh's SQL and the pure rules, proven equal on random histories
 * (purchases, full and partial refunds, some dated after asOf), random lifecycle thresholds,
 * churn horizons and asOf instants (any time of day). (1) Every member's row (RFM, stage, churn
 * inputs) against purchaseFactsAsOf, scoreRfm and classifyStage. (2) The BG/NBD tuples the
 * refresh fits on (FACTS_AND_TUPLES_SQL, through the repository, in halves as the refresh reads
 * them and whole), decoded as the fit's worker decodes them, against summarizePurchaseDays: as of
 * asOf, and as of the backtest day with whether the buyer bought after it. No other test covers
 * the backtest's tuples. Each run in a programme time zone: UTC, Shanghai (UTC+8, a purchase late
 * in its day is on the next UTC day) or New York (DST: asOf's 30 days hold the November change,
 * the histories every change for years); purchases are dated at local minutes of local days.
 * RETENTION_DIFFERENTIAL_RUNS=100 for a longer run.
 */
const RUNS = Number(process.env.RETENTION_DIFFERENTIAL_RUNS ?? 5);
const DAY = 86_400_000;
const MINUTES = 24 * 60;
/** asOf lies in the 30 local days from this one, at any instant of the day; every history is dated around it, and well before the real clock. */
const AS_OF_FROM_DAY = dayNumber('2025-10-20');
const AS_OF_FROM = Date.parse('2025-10-20T00:00:00.000Z');
const ZONES = ['UTC', 'Asia/Shanghai', 'America/New_York'] as const;
/** Every member joins here, before any purchase a scenario can date (up to six steps of at most ~400 days before asOf). */
const JOINED = new Date(AS_OF_FROM - 3000 * DAY).toISOString();

/**
 * Where a day falls, in days before the day it counts from (asOf's, or the member's next later
 * purchase's): one of the rules' boundaries give or take a day (a threshold, the horizon, a
 * year), or anywhere. Boundaries are where SQL and TypeScript are likeliest to part.
 */
type Step = { anchor: 'zero' | 'newDays' | 'activeDays' | 'atRiskDays' | 'dormantDays' | 'horizon' | 'year'; jitter: number } | { anchor: 'any'; days: number };
interface Purchase {
  /** Days before asOf for the latest purchase (negative: after asOf), before the next later one for the others. */
  step: Step;
  minute: number;
  units: number;
  /** A refund in full or in part (split in two or not): `delay` days after the purchase, or on a day around asOf. */
  refund: { full: boolean; split: boolean; minute: number; when: { delay: number } | { aroundAsOf: number } } | null;
}
interface Scenario { members: Purchase[][]; thresholds: LifecycleThresholds; horizon: number; asOfDay: number; asOfMs: number; zone: string }

const jitter = fc.integer({ min: -1, max: 1 });
/** The latest purchase: mostly on a boundary of asOf's (a threshold, the horizon, the 365 days), else anywhere, after asOf too. */
const latestStepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ anchor: fc.constantFrom('zero', 'newDays', 'activeDays', 'atRiskDays', 'dormantDays', 'horizon', 'year'), jitter }) },
  { weight: 1, arbitrary: fc.record({ anchor: fc.constant('any' as const), days: fc.integer({ min: -60, max: 400 }) }) },
);
/** The ones before: a gap of about atRiskDays (REACTIVATED's), the same day, or anything. */
const earlierStepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ anchor: fc.constant('atRiskDays' as const), jitter }) },
  { weight: 1, arbitrary: fc.constant({ anchor: 'zero' as const, jitter: 0 }) },
  { weight: 2, arbitrary: fc.record({ anchor: fc.constant('any' as const), days: fc.integer({ min: 0, max: 300 }) }) },
);
const purchaseArb = (step: fc.Arbitrary<Step>): fc.Arbitrary<Purchase> => fc.record({
  step,
  minute: fc.integer({ min: 0, max: MINUTES - 1 }),
  units: fc.integer({ min: 1, max: 400 }),
  refund: fc.option(fc.record({
    full: fc.boolean(), split: fc.boolean(), minute: fc.integer({ min: 0, max: MINUTES - 1 }),
    when: fc.oneof(fc.record({ delay: fc.integer({ min: 0, max: 90 }) }), fc.record({ aroundAsOf: fc.integer({ min: -1, max: 1 }) })),
  }), { freq: 3 }),
});
/** A member's purchases, latest first (none: a prospect). */
const historyArb: fc.Arbitrary<Purchase[]> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<Purchase[]>([]) },
  { weight: 6, arbitrary: fc.tuple(purchaseArb(latestStepArb), fc.array(purchaseArb(earlierStepArb), { maxLength: 5 })).map(([latest, earlier]) => [latest, ...earlier]) },
);
/** Four strictly rising thresholds from 1 (validateThresholds' rule). */
const thresholdsArb: fc.Arbitrary<LifecycleThresholds> = fc.tuple(
  fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 90 }), fc.integer({ min: 1, max: 200 }),
).map(([a, b, c, d]) => ({ newDays: a, activeDays: a + b, atRiskDays: a + b + c, dormantDays: a + b + c + d }));
const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  members: fc.array(historyArb, { minLength: 2, maxLength: 8 }),
  thresholds: thresholdsArb,
  horizon: fc.integer({ min: 1, max: 200 }),
  asOfDay: fc.integer({ min: 0, max: 29 }),
  asOfMs: fc.integer({ min: 0, max: DAY - 1 }),
  zone: fc.constantFrom(...ZONES),
});

/** A step's length in days. */
function days(step: Step, sc: Scenario): number {
  if (step.anchor === 'any') return step.days;
  const base = { zero: 0, horizon: sc.horizon, year: 365, ...sc.thresholds }[step.anchor];
  return base + step.jitter;
}

/** asOf's local day number. */
const asOfDayOf = (sc: Scenario) => AS_OF_FROM_DAY + sc.asOfDay;
/** The first instant of a local day, in ms. */
const midnight = (day: number, sc: Scenario) => startOfLocalDay(dayOfNumber(day), sc.zone).getTime();
/** asOf: on its local day, `asOfMs` after local midnight. */
const asOfOf = (sc: Scenario) => new Date(midnight(asOfDayOf(sc), sc) + sc.asOfMs);

/** The instants of a member's purchases, latest first: the first step back from asOf's day, each next one from the one before. */
function purchaseInstants(purchases: Purchase[], sc: Scenario): number[] {
  let day = asOfDayOf(sc);
  return purchases.map((p, k) => {
    day -= k === 0 ? days(p.step, sc) : Math.max(0, days(p.step, sc)); // never forward
    return midnight(day, sc) + p.minute * 60_000 + k; // distinct instants per member
  });
}

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s, [LADDER[0]]); // one tier: the tier engine plays no part here
}, 60_000);
afterAll(async () => { await s?.stop(); });

/** Empties every table a scenario writes (the ladder and the programme stay). */
async function reset() {
  const tables = (await s.sql(`select tablename from pg_tables where schemaname = 'public'
    and tablename not in ('mikro_orm_migrations', 'program', 'tier', 'config_version', 'retention_facts')`)).map((x) => `"${x.tablename}"`);
  await s.sql(`truncate ${tables.join(', ')} restart identity`);
}

/** The scenario through the API: programme settings, members, then purchases and refunds in date order (each refund after its purchase). */
async function write(sc: Scenario) {
  const t = sc.thresholds;
  await s.admin(`mutation($i: ProgramInput!) { updateProgram(input: $i) { churnHorizonDays } }`, {
    i: { timeZone: sc.zone, churnHorizonDays: sc.horizon, lifecycleNewDays: t.newDays, lifecycleActiveDays: t.activeDays, lifecycleAtRiskDays: t.atRiskDays, lifecycleDormantDays: t.dormantDays },
  });
  const ids: string[] = [];
  for (const i of sc.members.keys()) {
    const res = await s.admin(`mutation($i: RegisterMemberInput!) { registerMember(input: $i) { id } }`, { i: { externalId: `dm-${i}`, joinedAt: JOINED } });
    ids.push(res.registerMember.id);
  }
  const asOfDay = asOfDayOf(sc);
  const ops = sc.members.flatMap((purchases, i) => {
    const instants = purchaseInstants(purchases, sc);
    return purchases.flatMap((p, k) => {
      const orderId = `d-${i}-${k}`;
      const at = instants[k];
      const buy = { at, query: `mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }`,
        input: { memberId: ids[i], orderId, amount: p.units, occurredAt: new Date(at).toISOString() } };
      if (!p.refund) return [buy];
      const total = p.refund.full ? p.units : Math.floor(p.units / 2);
      if (total < 1) return [buy];
      const parts = p.refund.split && total >= 2 ? [Math.floor(total / 2), total - Math.floor(total / 2)] : [total];
      const when = p.refund.when;
      const refundAt = Math.max(at + 1, ('delay' in when ? at + when.delay * DAY : midnight(asOfDay + when.aroundAsOf, sc)) + p.refund.minute * 60_000);
      return [buy, ...parts.map((units, j) => ({
        at: refundAt + j, query: `mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned } }`,
        input: { orderId, refundId: `${orderId}-r${j}`, amount: units, occurredAt: new Date(refundAt + j).toISOString() },
      }))];
    });
  });
  const service = await s.token('service');
  for (const op of ops.sort((a, b) => a.at - b.at)) {
    const res = await s.gql(op.query, { i: op.input }, service);
    if (res.errors) throw new Error(`${JSON.stringify(op.input)}: ${JSON.stringify(res.errors)}`);
  }
}

/** Every member's purchases and refunds as stored, with the refresh's row. */
async function histories() {
  const rows = await s.sql<{ id: string; purchases: any[] } & Record<string, unknown>>(`select m.id, coalesce(r.stage, 'PROSPECT') as stage, r.recency_days as "recencyDays", r.frequency,
      r.monetary_cents::float8 as "monetaryCents", r.r, r.f, r.m, r.rfm_segment as segment, r.x, r.tx, r.t_days as "T",
      coalesce((select json_agg(json_build_object('occurredAt', p.occurred_at, 'amountCents', p.amount_cents,
        'refunds', (select coalesce(json_agg(json_build_object('occurredAt', f.occurred_at, 'amountCents', f.amount_cents)), '[]') from refund f where f.order_id = p.order_id)))
        from purchase p where p.member_id = m.id), '[]') as purchases
    from member m left join member_retention r on r.member_id = m.id order by m.id`);
  return rows.map(({ purchases, ...row }) => ({
    row,
    purchases: purchases.map((p): PurchaseRecord => ({
      occurredAt: new Date(p.occurredAt), amountCents: Number(p.amountCents),
      refunds: p.refunds.map((f: any) => ({ occurredAt: new Date(f.occurredAt), amountCents: Number(f.amountCents) })),
    })),
  }));
}

/** Every member's row by the rules. */
function rowsByRules(members: Awaited<ReturnType<typeof histories>>, asOf: Date, thresholds: LifecycleThresholds, zone: string) {
  const asOfDay = localDayNumber(asOf, zone);
  const facts = members.map((h) => ({ id: h.row.id, facts: purchaseFactsAsOf(h.purchases, asOf, zone) }));
  const buyers = facts.flatMap((f) => (f.facts ? [{ ...f.facts, id: f.id }] : []));
  const scores = new Map(scoreRfm(buyers).map((b) => [b.id, b]));
  return facts.map(({ id, facts: f }) => ({
    id,
    stage: classifyStage({ firstPurchaseDay: f?.firstPurchaseDay ?? null, lastPurchaseDay: f?.lastPurchaseDay ?? null, previousPurchaseDay: f?.previousPurchaseDay ?? null, asOfDay }, thresholds),
    recencyDays: f?.recencyDays ?? null, frequency: f?.frequency ?? null, monetaryCents: f?.monetaryCents ?? null,
    r: scores.get(id)?.r ?? null, f: scores.get(id)?.f ?? null, m: scores.get(id)?.m ?? null, segment: scores.get(id)?.segment ?? null,
    x: f?.x ?? null, tx: f?.tx ?? null, T: f?.T ?? null,
  }));
}

/** Tuples as a sorted list of "x tx T [bought] × count" lines, whatever rows they came in. */
function tally(rows: { x: number; tx: number; T: number; count: number; bought?: boolean }[]): string[] {
  const counts = new Map<string, number>();
  for (const r of rows) {
    const key = `${r.x} ${r.tx} ${r.T}${r.bought === undefined ? '' : r.bought ? ' bought' : ' silent'}`;
    counts.set(key, (counts.get(key) ?? 0) + r.count);
  }
  return [...counts].map(([key, n]) => `${key} × ${n}`).sort();
}

/**
 * The tuples by the rules: every buyer's as of asOf; as of the backtest day, every buyer by then,
 * with whether they bought after it; the same as of the classifier's training cut (bought after
 * it, up to asOf) and the backtest's training cut (bought after it, up to the backtest day).
 */
function tuplesByRules(members: Awaited<ReturnType<typeof histories>>, asOf: Date, dates: FactDates) {
  const days = members.map((h) => purchaseDaysAsOf(h.purchases, asOf, dates.timeZone)).filter((d) => d.length > 0);
  const current = days.map((d) => ({ ...summarizePurchaseDays(d, dates.asOfDay)!, count: 1 }));
  const labelled = (cut: number, end: number) => days.flatMap((d) => {
    const summary = summarizePurchaseDays(d, cut);
    return summary ? [{ ...summary, count: 1, bought: d.some((day) => day > cut && day <= end) }] : [];
  });
  return {
    current: tally(current), backtest: tally(labelled(dates.backtestDay, dates.asOfDay)),
    // A training cut on the backtest day is not read again: the refresh trains on the backtest's rows.
    training: dates.trainingDay === dates.backtestDay ? [] : tally(labelled(dates.trainingDay!, dates.asOfDay)), backtestTraining: tally(labelled(dates.backtestTrainingDay!, dates.backtestDay)),
    repeat: current.some((c) => c.x > 0),
  };
}

/** FACTS_AND_TUPLES_SQL through the repository, in the given halves (each its own transaction, as the refresh runs them), decoded. */
async function tuplesBySql(halves: Half[], split: string | null, dates: FactDates) {
  const em = s.app.orm.em.fork();
  await truncateFacts(em);
  const read: HalfTuples[] = [];
  for (const half of halves) read.push(await inSqlTransaction(em, (tx) => insertFactsAndReadTuples(tx, half, split, dates)));
  const decode = (text: TupleText) => {
    const rows = fromFitRequest(columnsOf(text));
    expect(rows).toHaveLength(text.rows); // the row counts the refresh passes on are the rows' own
    return tally(rows);
  };
  return {
    current: decode({ text: read.map((r) => r.current), holdout: false, rows: read.reduce((n, r) => n + r.currentRows, 0) }),
    backtest: decode({ text: read.map((r) => r.backtest), holdout: true, rows: read.reduce((n, r) => n + r.backtestRows, 0) }),
    training: decode({ text: read.map((r) => r.training), holdout: true, rows: read.reduce((n, r) => n + r.trainingRows, 0) }),
    backtestTraining: decode({ text: read.map((r) => r.backtestTraining), holdout: true, rows: read.reduce((n, r) => n + r.backtestTrainingRows, 0) }),
    repeat: read.some((r) => r.repeat),
  };
}

it('the refresh\'s rows and churn tuples agree with the pure rules on random histories, thresholds and asOf', async () => {
  await fc.assert(fc.asyncProperty(scenarioArb, async (sc) => {
    await reset();
    await write(sc);
    const asOf = asOfOf(sc);
    const res = await s.admin(`mutation($a: DateTime!) { refreshRetention(asOf: $a) { processed } }`, { a: asOf.toISOString() });
    expect(res.refreshRetention.processed).toBe(sc.members.length);
    const members = await histories();
    expect(members.map((h) => h.row)).toEqual(rowsByRules(members, asOf, sc.thresholds, sc.zone));
    // The tuples, as the refresh reads them: in halves when there is a split (more than one member), and whole.
    const asOfDay = localDayNumber(asOf, sc.zone);
    // The classifier's cuts: half a horizon and a day before asOf (the backtest day itself for a horizon of 2: then its set is not read), a horizon before the backtest day.
    const dates: FactDates = {
      asOf, asOfDay, backtestDay: asOfDay - sc.horizon, yearAgo: addDaysUtc(asOf, -365),
      trainingDay: asOfDay - Math.ceil(sc.horizon / 2) - 1, backtestTrainingDay: asOfDay - 2 * sc.horizon, timeZone: sc.zone,
    };
    const expected = tuplesByRules(members, asOf, dates);
    const { split } = await memberHalves(s.app.orm.em.fork());
    if (split) expect(await tuplesBySql(['below', 'from'], split, dates)).toEqual(expected);
    expect(await tuplesBySql(['all'], null, dates)).toEqual(expected);
  }), { numRuns: RUNS });
}, 60_000 + RUNS * 20_000);
