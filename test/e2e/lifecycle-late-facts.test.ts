/**
 * Late facts and the lifecycle timeline (docs/retention.md, "Late facts"; domain.md, Time: "the
 * result must be the same whenever the job actually runs"). A fact that arrives after a refresh
 * of a date and is dated at or before it (a backdated purchase, a backdated refund, a member
 * registered with an earlier joinedAt) changes what that date's stages should have been; the
 * next refresh repairs the timeline. After any sequence of writes and refreshes (any asOf
 * order), once a refresh has run after the last write, every member's moves at every refreshed
 * date, and lifecycleTransitions over any range, are those of the reference model
 * (retention.rules' lifecycleTimeline) from all the facts, whenever they arrived.
 *
 * - the brief's reproduction, in both arrival orders;
 * - a model-based property test: seeded random cases (LATE_RUNS cases, LATE_SEED to replay),
 *   members registered, purchases and refunds posted in a random order interleaved with
 *   refreshes for random dates, some before the latest;
 * - concurrency: a late purchase held open while a refresh starts, late purchases committed while
 *   refreshes run.
 */
import fc from 'fast-check';
import { Client } from 'pg';
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { lifecycleTimeline, transitionMatrix, type LifecycleMove, type PurchaseRecord } from '../../src/modules/retention/retention.rules';

const DAY = 86_400_000;
const RUNS = Number(process.env.LATE_RUNS ?? 12);
const REFRESH = `mutation($a: DateTime!) { refreshRetention(asOf: $a) { processed changed } }`;
const MATRIX = `query($f: DateTime!, $t: DateTime!) { lifecycleTransitions(from: $f, to: $t) { from to count } }`;

let s: TestServer;
let service: string;
/** Midnight UTC yesterday: dates are days before it (its day's hours are all past). */
const T0 = Math.floor(Date.now() / DAY) * DAY - DAY;
const ago = (days: number, hours = 0) => new Date(T0 - days * DAY + hours * 3_600_000);
/** Every member the server has, with all its facts (the model's input), by id. */
const model = new Map<string, { joinedAt: Date; purchases: (PurchaseRecord & { refunds: { occurredAt: Date; amountCents: number }[] })[] }>();
let orders = 0;

const write = async (query: string, i: Record<string, unknown>) => {
  const res = await s.gql(query, { i }, service);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
};
async function join(joinedAt: Date): Promise<string> {
  const id = await registerMember(s, { joinedAt: joinedAt.toISOString() });
  model.set(id, { joinedAt, purchases: [] });
  return id;
}
async function buy(memberId: string, at: Date, amount = 100): Promise<string> {
  const orderId = `late-${++orders}`;
  await write(`mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }`, { memberId, orderId, amount, occurredAt: at.toISOString() });
  model.get(memberId)!.purchases.push({ occurredAt: at, amountCents: amount * 100, refunds: [], orderId } as never);
  return orderId;
}
async function refund(memberId: string, orderId: string, at: Date, amount: number): Promise<void> {
  await write(`mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned } }`,
    { orderId, refundId: `${orderId}-r${Math.random().toString(36).slice(2, 8)}`, amount, occurredAt: at.toISOString() });
  const p = model.get(memberId)!.purchases.find((x) => (x as unknown as { orderId: string }).orderId === orderId)!;
  p.refunds.push({ occurredAt: at, amountCents: amount * 100 });
}
const refresh = (at: Date) => s.admin(REFRESH, { a: at.toISOString() });

/** The refreshed dates, as the server has them. */
async function refreshedDates(): Promise<Date[]> {
  return (await s.sql<{ as_of: Date }>('select as_of from retention_run order by as_of')).map((r) => new Date(r.as_of));
}

/** Every member's moves as recorded, and as the model has them from all facts at the refreshed dates. */
async function compareWithModel(ids: readonly string[] = [...model.keys()]) {
  const dates = await refreshedDates();
  const recorded = await s.sql<{ member_id: string; from_stage: string | null; to_stage: string; at: Date }>(
    'select member_id, from_stage, to_stage, at from lifecycle_transition where member_id = any($1::uuid[]) order by member_id, at, id', [ids]);
  const got = new Map<string, string[]>();
  for (const r of recorded) got.set(r.member_id, [...(got.get(r.member_id) ?? []), `${new Date(r.at).toISOString()} ${r.from_stage}>${r.to_stage}`]);
  const wanted = new Map<string, string[]>();
  const allMoves: LifecycleMove[] = [];
  for (const id of ids) {
    const { moves } = lifecycleTimeline(model.get(id)!, dates);
    allMoves.push(...moves);
    if (moves.length) wanted.set(id, moves.map((m) => `${m.at.toISOString()} ${m.from}>${m.to}`));
  }
  expect(Object.fromEntries(got)).toEqual(Object.fromEntries(wanted));
  // stageSince: the latest move up to the rows' asOf.
  const rows = await s.sql<{ member_id: string; stage: string; stage_since: Date; as_of: Date }>(
    'select member_id, stage, stage_since, as_of from member_retention where member_id = any($1::uuid[])', [ids]);
  for (const r of rows) {
    const { moves } = lifecycleTimeline(model.get(r.member_id)!, dates);
    const latest = moves.filter((m) => m.at.getTime() <= new Date(r.as_of).getTime()).pop();
    expect({ id: r.member_id, stage: r.stage, since: new Date(r.stage_since).toISOString() })
      .toEqual({ id: r.member_id, stage: latest?.to, since: latest?.at.toISOString() });
  }
  return { dates, allMoves };
}

/** lifecycleTransitions over several ranges, against the model's matrix (when every member is the model's). */
async function compareMatrix(dates: Date[], allMoves: LifecycleMove[]) {
  const ranges: [Date, Date][] = [[ago(2000), ago(-1)], [ago(15), ago(-1)]];
  for (let i = 0; i + 1 < dates.length; i += 2) ranges.push([dates[i], dates[i + 1]], [dates[i], new Date(dates[i + 1].getTime() + 1)]);
  for (const [from, to] of ranges) {
    const got = (await s.admin(MATRIX, { f: from.toISOString(), t: to.toISOString() })).lifecycleTransitions as unknown[];
    const sorted = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).sort();
    expect({ from, to, matrix: sorted(got) }).toEqual({ from, to, matrix: sorted(transitionMatrix(allMoves, from, to)) });
  }
}

beforeAll(async () => {
  s = await startTestServer();
  service = await s.token('service');
  await createLadder(s);
});
afterAll(() => s.stop());

describe('the reproduction: bought 200 days ago, refreshed 10 days ago, a purchase dated 20 days ago, refreshed today', () => {
  it('in either arrival order, the same timeline and the same matrix over [now - 15 d, now]', async () => {
    const late = await join(ago(400));
    const first = await join(ago(400));
    await buy(late, ago(200, 12));
    await buy(first, ago(200, 12));
    await buy(first, ago(20, 12)); // date order: before the first refresh
    await refresh(ago(10));
    await buy(late, ago(20, 12)); // late: after the refresh of a later date
    await refresh(ago(0));
    const dates = [ago(10), ago(0)];
    const rows = await s.sql<{ member_id: string; from_stage: string | null; to_stage: string; at: Date }>(
      'select member_id, from_stage, to_stage, at from lifecycle_transition where member_id = any($1::uuid[]) order by at, id', [[late, first]]);
    const movesOf = (id: string) => rows.filter((r) => r.member_id === id).map((r) => [new Date(r.at).toISOString(), r.from_stage, r.to_stage]);
    expect(movesOf(late)).toEqual([[ago(10).toISOString(), null, 'ACTIVE']]);
    expect(movesOf(late)).toEqual(movesOf(first));
    expect(lifecycleTimeline(model.get(late)!, dates).moves).toEqual([{ from: null, to: 'ACTIVE', at: ago(10) }]);
    const stages = await s.sql<{ member_id: string; stage: string; stage_since: Date }>(
      'select member_id, stage, stage_since from member_retention where member_id = any($1::uuid[])', [[late, first]]);
    expect(stages.map((r) => [r.stage, new Date(r.stage_since).toISOString()])).toEqual([['ACTIVE', ago(10).toISOString()], ['ACTIVE', ago(10).toISOString()]]);
    await compareWithModel([late, first]);
  });

  it('a backdated refund in full, a registration dated back: repaired the same way', async () => {
    const refunded = await join(ago(400));
    await buy(refunded, ago(250, 12));
    const order = await buy(refunded, ago(30, 12));
    await refresh(ago(9));
    await refresh(ago(5));
    await refund(refunded, order, ago(12, 3), 100); // in full, dated before both refreshed dates
    const joinedBack = await join(ago(8)); // PROSPECT at ago(5) already
    await refresh(ago(1));
    await compareWithModel([refunded, joinedBack]);
    const moves = await s.sql('select from_stage, to_stage from lifecycle_transition where member_id = $1 order by at', [joinedBack]);
    expect(moves).toEqual([{ from_stage: null, to_stage: 'PROSPECT' }]);
  });
});

describe('model-based: random arrival orders of late facts, refreshes for random dates', () => {
  type Step = { kind: 'join'; m: number } | { kind: 'buy'; m: number; p: number } | { kind: 'refund'; m: number; p: number } | { kind: 'refresh'; day: number; hour: number };
  const memberArb = fc.record({
    joined: fc.integer({ min: 1, max: 700 }),
    purchases: fc.array(fc.record({
      after: fc.integer({ min: 0, max: 300 }), hour: fc.integer({ min: 0, max: 23 }),
      refund: fc.option(fc.record({ after: fc.integer({ min: 0, max: 200 }), full: fc.boolean() }), { freq: 3 }),
    }), { maxLength: 4 }),
  });
  const caseArb = fc.record({
    members: fc.array(memberArb, { minLength: 1, maxLength: 4 }),
    refreshes: fc.array(fc.record({ day: fc.integer({ min: 0, max: 700 }), hour: fc.integer({ min: 0, max: 23 }) }), { minLength: 1, maxLength: 5 }),
    order: fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
    last: fc.record({ day: fc.integer({ min: 0, max: 700 }), hour: fc.integer({ min: 0, max: 23 }) }),
  });

  it(`${RUNS} cases: every member's moves, stageSince and lifecycleTransitions equal the model's`, async () => {
    const seed = process.env.LATE_SEED ? Number(process.env.LATE_SEED) : Date.now() % 100_000;
    const cases = fc.sample(caseArb, { numRuns: RUNS, seed });
    for (const [n, c] of cases.entries()) {
      // The steps in a random order that keeps each member's registration first and each refund after its purchase.
      const pending: Step[][] = c.members.map((m, i) => [
        { kind: 'join', m: i },
        ...m.purchases.flatMap((p, j): Step[] => (p.refund ? [{ kind: 'buy', m: i, p: j }, { kind: 'refund', m: i, p: j }] : [{ kind: 'buy', m: i, p: j }])),
      ]);
      pending.push(c.refreshes.map((r) => ({ kind: 'refresh', ...r })));
      const steps: Step[] = [];
      let k = 0;
      while (pending.some((q) => q.length)) {
        const open = pending.filter((q) => q.length);
        // Interleave: each queue's own order kept within a member, but refreshes slip in anywhere.
        const q = open[c.order[k++ % c.order.length] % open.length];
        steps.push(q.shift()!);
      }
      const ids: string[] = [];
      const orderIds: string[][] = c.members.map(() => []);
      for (const step of steps) {
        if (step.kind === 'join') {
          ids[step.m] = await join(ago(c.members[step.m].joined, 6));
        } else if (step.kind === 'buy') {
          const m = c.members[step.m];
          const p = m.purchases[step.p];
          const day = Math.max(0, m.joined - p.after);
          orderIds[step.m][step.p] = await buy(ids[step.m], ago(day, Math.max(p.hour, day === m.joined ? 7 : 0)));
        } else if (step.kind === 'refund') {
          const m = c.members[step.m];
          const p = m.purchases[step.p];
          const day = Math.max(0, m.joined - p.after);
          const r = p.refund!;
          await refund(ids[step.m], orderIds[step.m][step.p], ago(Math.max(0, day - r.after), 23), r.full ? 100 : 40);
        } else {
          await refresh(ago(step.day, step.hour));
        }
      }
      await refresh(ago(c.last.day, c.last.hour));
      try {
        const { dates, allMoves } = await compareWithModel();
        await compareMatrix(dates, allMoves);
      } catch (err) {
        throw new Error(`seed ${seed}, case ${n}: ${JSON.stringify({ case: c, steps })}\n${(err as Error).message}`, { cause: err });
      }
    }
  }, 60_000 + RUNS * 10_000);
});

describe('concurrency: a late fact committed while a refresh runs', () => {
  it('a late purchase held open while a refresh moves the horizon: the refresh waits for it and counts it', async () => {
    const m = await join(ago(500));
    await buy(m, ago(300, 12));
    await refresh(ago(3));
    const pg = new Client({ connectionString: s.databaseUrl });
    await pg.connect();
    try {
      await pg.query('begin');
      await pg.query(`insert into purchase (order_id, member_id, amount_cents, earned_points, qualifying_points, occurred_at, occurred_at_given)
        values ('held-1', $1, 10000, 0, 0, $2, true)`, [m, ago(2, 12)]);
      model.get(m)!.purchases.push({ occurredAt: ago(2, 12), amountCents: 10000, refunds: [] });
      const started = Date.now();
      // A date after every one refreshed so far: the refresh moves the horizon and waits for the open write.
      const running = refresh(new Date(Date.now() - 60_000));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await pg.query('commit');
      await running;
      expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    } finally {
      await pg.end();
    }
    await compareWithModel([m]);
  });

  it('20 late purchases posted while refreshes run (one for an earlier date, one for a later): the next refresh repairs them', async () => {
    const members = await Promise.all(Array.from({ length: 20 }, () => join(ago(600))));
    for (const m of members) await buy(m, ago(400, 12));
    await refresh(ago(20));
    const during = [refresh(ago(30)), refresh(ago(0, 1))];
    await Promise.all(members.map((m, i) => buy(m, ago(1 + (i % 25), 9))));
    await Promise.all(during);
    await refresh(ago(25));
    await compareWithModel(members);
  });

  it('a late purchase held open across a refresh for an earlier date (no wait): queued, repaired by the next refresh', async () => {
    const m = await join(ago(500));
    await buy(m, ago(300, 12));
    await refresh(ago(0, 2));
    const pg = new Client({ connectionString: s.databaseUrl });
    await pg.connect();
    try {
      await pg.query('begin');
      await pg.query(`insert into purchase (order_id, member_id, amount_cents, earned_points, qualifying_points, occurred_at, occurred_at_given)
        values ('held-2', $1, 10000, 0, 0, $2, true)`, [m, ago(40, 12)]);
      model.get(m)!.purchases.push({ occurredAt: ago(40, 12), amountCents: 10000, refunds: [] });
      await refresh(ago(35)); // before the horizon: does not wait for the open transaction
      await pg.query('commit');
    } finally {
      await pg.end();
    }
    await refresh(ago(33));
    await compareWithModel([m]);
  });
});
