// Issue 25, daily check-in (签到): once per programme-local day, the streak by consecutive local
// days, points by streak day, repeats and races, the member's streak fields, the CHECK_IN
// campaign trigger; through the API, "now" set by the server's clock (a clock this test sets).
import type { Clock } from '../../src/common/clock';
import { expectError, startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { expectLedgerConsistent } from '../support/ledger';
import { fannedOut } from '../support/wait';

/** The server's "now": an instant this test sets, or the system's. */
class SetClock implements Clock {
  private at: number | null = null;
  now(): Date {
    return new Date(this.at ?? Date.now());
  }
  set(iso: string | null): void {
    this.at = iso == null ? null : new Date(iso).getTime();
  }
}

const clock = new SetClock();
let s: TestServer;
let service: string;
let n = 0;

beforeAll(async () => {
  s = await startTestServer({ clock });
  service = await s.token('service');
  await createLadder(s);
});
afterAll(() => s?.stop());
beforeEach(() => clock.set(null));

const CHECK_IN = `mutation($id: ID!) { checkIn(memberId: $id) { streak pointsEarned alreadyCheckedIn member { id pointsBalance } } }`;
const STATE = `query($id: ID!) { member(id: $id) { checkInStreak checkedInToday } }`;

async function program(input: Record<string, unknown>) {
  await s.admin('mutation($i: ProgramInput!) { updateProgram(input: $i) { timeZone checkInPoints } }', { i: input });
}
const member = () => registerMember(s, { externalId: `ci-${++n}` });
const memberToken = (id: string) => s.token('member', id);

/** Checks `id` in with its own token at `at` (ISO, the server's now then). */
async function checkInAt(id: string, at: string | null, token?: string) {
  clock.set(at);
  const res = await s.gql(CHECK_IN, { id }, token ?? await memberToken(id));
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  const { streak, pointsEarned, alreadyCheckedIn } = res.data!.checkIn;
  return { streak, pointsEarned, alreadyCheckedIn };
}

async function stateAt(id: string, at: string) {
  clock.set(at);
  return (await s.admin(STATE, { id })).member as { checkInStreak: number; checkedInToday: boolean };
}

const rows = (id: string) => s.sql<{ day: string; streak: number; points: number; hasTransaction: boolean }>(
  `select day::text as day, streak, points, transaction_id is not null as "hasTransaction" from check_in where member_id = $1 order by day`, [id]);
const checkInTransactions = (id: string) => s.sql<{ amount: number; reference: string }>(
  `select amount, reference from point_transaction where member_id = $1 and type = 'CHECK_IN' order by id`, [id]);

describe('checkIn', () => {
  beforeAll(() => program({ timeZone: 'UTC', checkInPoints: [5, 5, 10, 10, 15, 15, 30] }));

  it('once a day: the first answers the streak and points, a repeat answers the same and changes nothing', async () => {
    const id = await member();
    expect(await stateAt(id, '2026-11-20T08:00:00Z')).toEqual({ checkInStreak: 0, checkedInToday: false });
    clock.set('2026-11-20T08:00:00Z');
    const first = (await s.gql(CHECK_IN, { id }, await memberToken(id))).data!.checkIn;
    expect(first).toEqual({ streak: 1, pointsEarned: 5, alreadyCheckedIn: false, member: { id, pointsBalance: 5 } });
    clock.set('2026-11-20T22:00:00Z');
    const again = (await s.gql(CHECK_IN, { id }, service)).data!.checkIn;
    expect(again).toEqual({ streak: 1, pointsEarned: 5, alreadyCheckedIn: true, member: { id, pointsBalance: 5 } });
    expect(await rows(id)).toEqual([{ day: '2026-11-20', streak: 1, points: 5, hasTransaction: true }]);
    expect(await checkInTransactions(id)).toEqual([{ amount: 5, reference: '2026-11-20' }]);
    expect(await stateAt(id, '2026-11-20T23:00:00Z')).toEqual({ checkInStreak: 1, checkedInToday: true });
    await expectLedgerConsistent(s);
  });

  it('points by streak day, the last value repeating; a missed day reads 0 and starts again at 1', async () => {
    const id = await member();
    const got = [];
    for (let d = 1; d <= 9; d++) got.push(await checkInAt(id, `2026-10-${String(d).padStart(2, '0')}T12:00:00Z`));
    expect(got.map((g) => g.streak)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(got.map((g) => g.pointsEarned)).toEqual([5, 5, 10, 10, 15, 15, 30, 30, 30]);
    // The day after: the streak is alive until the day is over without a check-in.
    expect(await stateAt(id, '2026-10-10T23:59:00Z')).toEqual({ checkInStreak: 9, checkedInToday: false });
    expect(await stateAt(id, '2026-10-11T00:00:01Z')).toEqual({ checkInStreak: 0, checkedInToday: false });
    expect(await checkInAt(id, '2026-10-11T09:00:00Z')).toEqual({ streak: 1, pointsEarned: 5, alreadyCheckedIn: false });
    expect((await s.admin('query($id: ID!) { member(id: $id) { pointsBalance } }', { id })).member.pointsBalance).toBe(150 + 5);
    await expectLedgerConsistent(s);
  });

  it('a day worth 0 points still counts for the streak, with no transaction', async () => {
    await program({ checkInPoints: [0, 3] });
    try {
      const id = await member();
      expect(await checkInAt(id, '2026-09-01T10:00:00Z')).toEqual({ streak: 1, pointsEarned: 0, alreadyCheckedIn: false });
      expect(await checkInAt(id, '2026-09-01T11:00:00Z')).toEqual({ streak: 1, pointsEarned: 0, alreadyCheckedIn: true });
      expect(await checkInAt(id, '2026-09-02T10:00:00Z')).toEqual({ streak: 2, pointsEarned: 3, alreadyCheckedIn: false });
      expect(await rows(id)).toEqual([
        { day: '2026-09-01', streak: 1, points: 0, hasTransaction: false },
        { day: '2026-09-02', streak: 2, points: 3, hasTransaction: true },
      ]);
      expect(await checkInTransactions(id)).toEqual([{ amount: 3, reference: '2026-09-02' }]);
    } finally {
      await program({ checkInPoints: [5, 5, 10, 10, 15, 15, 30] });
    }
  });

  it('check-in off ([]): NOT_ELIGIBLE, nothing written; a repeat of a day already done still answers', async () => {
    const id = await member();
    await checkInAt(id, '2026-08-01T10:00:00Z');
    await program({ checkInPoints: [] });
    try {
      clock.set('2026-08-01T11:00:00Z');
      expect((await s.gql(CHECK_IN, { id }, service)).data!.checkIn).toMatchObject({ streak: 1, pointsEarned: 5, alreadyCheckedIn: true });
      clock.set('2026-08-02T10:00:00Z');
      expectError(await s.gql(CHECK_IN, { id }, service), 'NOT_ELIGIBLE');
      expect(await rows(id)).toHaveLength(1);
    } finally {
      await program({ checkInPoints: [5, 5, 10, 10, 15, 15, 30] });
    }
  });

  it('who may: the member itself or a service; not another member, not an admin, not anonymous; unknown and erased members are NOT_FOUND', async () => {
    const [a, b] = [await member(), await member()];
    expectError(await s.gql(CHECK_IN, { id: a }, await memberToken(b)), 'FORBIDDEN');
    expectError(await s.gql(CHECK_IN, { id: a }, await s.token('admin')), 'FORBIDDEN');
    expectError(await s.gql(CHECK_IN, { id: a }, null), 'UNAUTHENTICATED');
    expectError(await s.gql(CHECK_IN, { id: '00000000-0000-4000-8000-000000000000' }, service), 'NOT_FOUND');
    expectError(await s.gql(CHECK_IN, { id: 'not-a-uuid' }, service), 'BAD_USER_INPUT', 'memberId'); // every ID the API takes is a UUID (input-guard.ts)
    expect(await rows(a)).toEqual([]);
    await s.admin('mutation($id: ID!) { eraseMember(memberId: $id, reason: "asked") { id } }', { id: b });
    expectError(await s.gql(CHECK_IN, { id: b }, service), 'NOT_FOUND');
    expect(await rows(b)).toEqual([]);
  });

  it('50 check-ins of one member at once: one row, one transaction, every answer agrees', async () => {
    const id = await member();
    const own = await memberToken(id);
    clock.set('2026-11-25T09:00:00Z');
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => s.gql(CHECK_IN, { id }, i % 2 ? own : service)));
    expect(results.filter((r) => r.errors)).toEqual([]);
    const answers = results.map((r) => r.data!.checkIn);
    expect(answers.filter((a) => !a.alreadyCheckedIn)).toHaveLength(1);
    expect(new Set(answers.map((a) => `${a.streak}:${a.pointsEarned}:${a.member.pointsBalance}`))).toEqual(new Set(['1:5:5']));
    expect(await rows(id)).toEqual([{ day: '2026-11-25', streak: 1, points: 5, hasTransaction: true }]);
    expect(await checkInTransactions(id)).toEqual([{ amount: 5, reference: '2026-11-25' }]);
    await expectLedgerConsistent(s);
  });

  it('a check-in\'s points are a points.earned webhook event, as an activity\'s; a 0-point day and a repeat have none', async () => {
    const [{ id: endpoint }] = await s.sql<{ id: string }>(
      `insert into webhook_endpoint (id, url, event_types, active, secret, created_at, updated_at)
       values (gen_random_uuid(), 'https://receiver.example/hook', '{points.earned}', true, 'test-secret', now(), now()) returning id::text`);
    try {
      const id = await member();
      await checkInAt(id, '2026-11-12T10:00:00Z');
      await checkInAt(id, '2026-11-12T11:00:00Z');
      await program({ checkInPoints: [0] });
      await checkInAt(id, '2026-11-14T10:00:00Z');
      await fannedOut(s);
      const events = await s.sql<{ type: string; occurredAt: Date; data: Record<string, unknown>; deliveries: number }>(
        `select e.type, e.occurred_at as "occurredAt", e.data, (select count(*)::int from webhook_delivery d where d.event_id = e.id) as deliveries
         from webhook_event e where e.member_id = $1 order by e.seq`, [id]);
      const [txn] = await s.sql<{ id: string; expiresAt: Date }>(`select id::text, expires_at as "expiresAt" from point_transaction where member_id = $1 and type = 'CHECK_IN'`, [id]);
      const [{ externalId }] = await s.sql<{ externalId: string }>('select external_id as "externalId" from member where id = $1', [id]);
      expect(events).toEqual([{
        type: 'points.earned', occurredAt: new Date('2026-11-12T10:00:00Z'), deliveries: 1,
        data: {
          member: { id, externalId }, points: 5, qualifyingPoints: 0, balanceAfter: 5, reference: '2026-11-12', pending: false,
          activatesAt: '2026-11-12T10:00:00.000Z', expiresAt: txn.expiresAt.toISOString(), transactionId: txn.id,
        },
      }]);
    } finally {
      await s.sql('update webhook_endpoint set active = false where id = $1', [endpoint]);
      await program({ checkInPoints: [5, 5, 10, 10, 15, 15, 30] });
    }
  });

  it('the member\'s data export lists its check-ins', async () => {
    const id = await member();
    await checkInAt(id, '2026-11-10T10:00:00Z');
    await checkInAt(id, '2026-11-11T10:00:00Z');
    const doc = JSON.parse((await s.gql('query($id: ID!) { memberDataExport(memberId: $id) }', { id }, await memberToken(id))).data!.memberDataExport);
    expect(doc.checkIns).toEqual([
      { day: '2026-11-10', streak: 1, points: 5, checkedInAt: expect.stringMatching(/^2026-11-10T10:00:00/) },
      { day: '2026-11-11', streak: 2, points: 5, checkedInAt: expect.stringMatching(/^2026-11-11T10:00:00/) },
    ]);
  });

  it('a check-in is 10 statements, a repeat 5 (nothing written)', async () => {
    const id = await member();
    clock.set('2026-11-28T10:00:00Z');
    const once = () => s.countStatements(() => s.gql(`mutation($id: ID!) { checkIn(memberId: $id) { streak alreadyCheckedIn } }`, { id }, service));
    const first = await once();
    expect(first.result.data).toEqual({ checkIn: { streak: 1, alreadyCheckedIn: false } });
    // The configuration's version; BEGIN; the account lock; the latest check-in; the ledger's
    // transaction, debt check, lot and account; the check-in row; COMMIT.
    expect(first.statements).toHaveLength(10);
    const again = await once();
    expect(again.result.data).toEqual({ checkIn: { streak: 1, alreadyCheckedIn: true } });
    expect(again.statements).toHaveLength(5);
    expect(again.statements.filter((t) => /^\s*(insert|update|delete)/i.test(t))).toEqual([]);
  });

  it('a page of members reads its streaks in one statement', async () => {
    const ids = [await member(), await member(), await member()];
    await checkInAt(ids[0], '2026-11-27T10:00:00Z');
    await checkInAt(ids[1], '2026-11-26T10:00:00Z');
    await checkInAt(ids[1], '2026-11-27T10:00:00Z');
    await checkInAt(ids[2], '2026-11-26T10:00:00Z');
    clock.set('2026-11-27T12:00:00Z');
    const { result, statements } = await s.countStatements(() => s.admin(`{ members(first: 100) { edges { node { id checkInStreak checkedInToday } } } }`));
    const byId = new Map(result.members.edges.map((e: { node: { id: string } }) => [e.node.id, e.node]));
    expect(ids.map((id) => byId.get(id))).toEqual([
      { id: ids[0], checkInStreak: 1, checkedInToday: true },
      { id: ids[1], checkInStreak: 2, checkedInToday: true },
      { id: ids[2], checkInStreak: 1, checkedInToday: false },
    ]);
    expect(statements.filter((t) => /from check_in/.test(t))).toHaveLength(1);
  });
});

describe('programme-local days', () => {
  afterAll(() => program({ timeZone: 'UTC' }));

  it('Asia/Shanghai: 23:59 and 00:01 local are two days (the second still the same UTC day), 23:58 and 23:59 one', async () => {
    await program({ timeZone: 'Asia/Shanghai', checkInPoints: [5, 5, 10] });
    const id = await member();
    expect(await checkInAt(id, '2026-03-10T15:58:00Z')).toEqual({ streak: 1, pointsEarned: 5, alreadyCheckedIn: false }); // 23:58 on 10 March, local
    expect(await checkInAt(id, '2026-03-10T15:59:00Z')).toEqual({ streak: 1, pointsEarned: 5, alreadyCheckedIn: true }); // 23:59 local: the same day
    expect(await checkInAt(id, '2026-03-10T16:01:00Z')).toEqual({ streak: 2, pointsEarned: 5, alreadyCheckedIn: false }); // 00:01 on 11 March local, still 10 March UTC
    expect(await checkInAt(id, '2026-03-11T15:59:00Z')).toEqual({ streak: 2, pointsEarned: 5, alreadyCheckedIn: true }); // 23:59 on 11 March local
    expect(await rows(id)).toEqual([
      { day: '2026-03-10', streak: 1, points: 5, hasTransaction: true },
      { day: '2026-03-11', streak: 2, points: 5, hasTransaction: true },
    ]);
    // 00:01 on 12 March local is 11 March UTC: a UTC day would have called it a repeat.
    expect(await checkInAt(id, '2026-03-11T16:01:00Z')).toEqual({ streak: 3, pointsEarned: 10, alreadyCheckedIn: false });
    expect(await stateAt(id, '2026-03-13T15:59:00Z')).toEqual({ checkInStreak: 3, checkedInToday: false }); // 23:59 on the 13th: alive
    expect(await stateAt(id, '2026-03-13T16:01:00Z')).toEqual({ checkInStreak: 0, checkedInToday: false }); // 00:01 on the 14th: missed
  });

  it('America/New_York across the March change: consecutive local days keep the streak, whatever the hours between', async () => {
    await program({ timeZone: 'America/New_York', checkInPoints: [1, 2, 3, 4, 5] });
    const id = await member();
    expect(await checkInAt(id, '2026-03-07T05:05:00Z')).toMatchObject({ streak: 1 }); // 00:05 EST, 7 March
    expect(await checkInAt(id, '2026-03-08T04:59:00Z')).toMatchObject({ streak: 1, alreadyCheckedIn: true }); // 23:59 EST, 7 March
    expect(await checkInAt(id, '2026-03-08T05:01:00Z')).toMatchObject({ streak: 2, alreadyCheckedIn: false }); // 00:01 EST, 8 March (a 23-hour day)
    expect(await checkInAt(id, '2026-03-10T03:55:00Z')).toMatchObject({ streak: 3, pointsEarned: 3 }); // 23:55 EDT, 9 March: 47 hours later, the next day
    expect(await checkInAt(id, '2026-03-10T04:05:00Z')).toMatchObject({ streak: 4, pointsEarned: 4 }); // 00:05 EDT, 10 March: 10 minutes later
    expect((await rows(id)).map((r) => r.day)).toEqual(['2026-03-07', '2026-03-08', '2026-03-09', '2026-03-10']);
  });

  it('a change of zone never pays a second check-in within one local day: moved west (the row dated tomorrow) or east (dated yesterday, made today)', async () => {
    // 19:50 UTC on 4 December is 5 December in Kiritimati (UTC+14) and 4 December in Pago Pago (UTC−11).
    await program({ timeZone: 'Pacific/Kiritimati', checkInPoints: [5, 7, 9] });
    const west = await member();
    expect(await checkInAt(west, '2026-12-04T19:50:00Z')).toEqual({ streak: 1, pointsEarned: 5, alreadyCheckedIn: false });
    await program({ timeZone: 'Pacific/Pago_Pago' });
    expect(await stateAt(west, '2026-12-04T19:51:00Z')).toEqual({ checkInStreak: 1, checkedInToday: true });
    expect(await checkInAt(west, '2026-12-04T19:51:00Z')).toEqual({ streak: 1, pointsEarned: 5, alreadyCheckedIn: true });
    expect(await rows(west)).toEqual([{ day: '2026-12-05', streak: 1, points: 5, hasTransaction: true }]);

    const east = await member();
    expect(await checkInAt(east, '2026-12-04T19:50:00Z')).toEqual({ streak: 1, pointsEarned: 5, alreadyCheckedIn: false }); // 4 December, Pago Pago
    await program({ timeZone: 'Pacific/Kiritimati' });
    expect(await stateAt(east, '2026-12-04T19:51:00Z')).toEqual({ checkInStreak: 1, checkedInToday: true }); // 5 December there, made 1 minute ago
    expect(await checkInAt(east, '2026-12-04T19:51:00Z')).toEqual({ streak: 1, pointsEarned: 5, alreadyCheckedIn: true });
    // The next local day in the new zone: yesterday's check-in there (dated 4 December) keeps the streak.
    expect(await stateAt(east, '2026-12-05T10:05:00Z')).toEqual({ checkInStreak: 1, checkedInToday: false }); // 6 December there
    expect(await checkInAt(east, '2026-12-05T10:05:00Z')).toEqual({ streak: 2, pointsEarned: 7, alreadyCheckedIn: false });
    expect((await rows(east)).map((r) => r.day)).toEqual(['2026-12-04', '2026-12-06']);
    expect(await checkInTransactions(east)).toHaveLength(2);
    await expectLedgerConsistent(s);
  });

  it('a move east across 26 hours (UTC−12 to UTC+14): the next day\'s reads keep the streak of a check-in dated two days back, as the check-in itself does', async () => {
    // 11:30 UTC on 5 December is 23:30 on 4 December in UTC−12 and 01:30 on 6 December in Kiritimati.
    await program({ timeZone: 'Etc/GMT+12', checkInPoints: [5, 7, 9] });
    const id = await member();
    expect(await checkInAt(id, '2026-12-05T11:30:00Z')).toEqual({ streak: 1, pointsEarned: 5, alreadyCheckedIn: false });
    await program({ timeZone: 'Pacific/Kiritimati' });
    expect(await stateAt(id, '2026-12-05T11:31:00Z')).toEqual({ checkInStreak: 1, checkedInToday: true }); // 6 December there
    // 7 December there (from 10:00 UTC on 6 December): the check-in dated 4 December was made yesterday.
    expect(await stateAt(id, '2026-12-06T12:00:00Z')).toEqual({ checkInStreak: 1, checkedInToday: false });
    expect(await checkInAt(id, '2026-12-06T12:00:00Z')).toEqual({ streak: 2, pointsEarned: 7, alreadyCheckedIn: false });
    expect((await rows(id)).map((r) => r.day)).toEqual(['2026-12-04', '2026-12-07']);
  });

  it('America/New_York across the November change: the 25-hour day is one day', async () => {
    await program({ timeZone: 'America/New_York', checkInPoints: [1, 2, 3, 4, 5] });
    const id = await member();
    expect(await checkInAt(id, '2026-11-01T03:59:00Z')).toMatchObject({ streak: 1 }); // 23:59 EDT, 31 October
    expect(await checkInAt(id, '2026-11-01T04:01:00Z')).toMatchObject({ streak: 2 }); // 00:01 EDT, 1 November
    expect(await checkInAt(id, '2026-11-02T04:30:00Z')).toMatchObject({ streak: 2, alreadyCheckedIn: true }); // 23:30 EST, 1 November (25 hours long)
    expect(await checkInAt(id, '2026-11-02T05:01:00Z')).toMatchObject({ streak: 3, pointsEarned: 3 }); // 00:01 EST, 2 November
    expect(await stateAt(id, '2026-11-04T04:59:00Z')).toEqual({ checkInStreak: 3, checkedInToday: false }); // 23:59 EST, 3 November
    expect(await stateAt(id, '2026-11-04T05:00:00Z')).toEqual({ checkInStreak: 0, checkedInToday: false }); // midnight, 4 November
    expect((await rows(id)).map((r) => r.day)).toEqual(['2026-10-31', '2026-11-01', '2026-11-02']);
  });
});

describe('the CHECK_IN campaign trigger', () => {
  beforeAll(() => program({ timeZone: 'UTC', checkInPoints: [5, 5, 10, 10, 15, 15, 30] }));

  it('gives its bonus on each member\'s check-in (source check_in:<member>:<day>), not on a repeat, and the simulation counts the check-ins', async () => {
    await s.sql(`update campaign set status = 'ENDED', ended_reason = 'ADMIN', ended_at = now() where status <> 'ENDED'`);
    const [{ id: campaignId }] = await s.sql<{ id: string }>(
      `insert into campaign (id, code, name, trigger, status, starts_at, bonus_points, control_percent, activated_at)
       values (md5('campaign:CHECK_IN_BONUS')::uuid, 'CHECK_IN_BONUS', 'Check-in week', 'CHECK_IN', 'ACTIVE', '2026-07-01T00:00:00Z', 7, 0, now()) returning id::text`);
    const id = await member();
    clock.set('2026-07-02T09:00:00Z');
    const first = (await s.gql(`mutation($id: ID!) { checkIn(memberId: $id) { pointsEarned member { pointsBalance } } }`, { id }, service)).data!.checkIn;
    expect(first).toEqual({ pointsEarned: 5, member: { pointsBalance: 12 } });
    await checkInAt(id, '2026-07-02T10:00:00Z');
    // Another member the same day gets the bonus too.
    const other = await member();
    await checkInAt(other, '2026-07-02T11:00:00Z');
    await checkInAt(id, '2026-07-03T10:00:00Z');
    expect(await s.sql(`select member_id::text as member, source, points from campaign_award where campaign_id = $1 order by id`, [campaignId])).toEqual([
      { member: id, source: `check_in:${id}:2026-07-02`, points: 7 }, { member: other, source: `check_in:${other}:2026-07-02`, points: 7 },
      { member: id, source: `check_in:${id}:2026-07-03`, points: 7 },
    ]);
    expect(await s.sql(`select amount, reference from point_transaction where member_id = $1 and type = 'BONUS' order by id`, [other]))
      .toEqual([{ amount: 7, reference: 'CHECK_IN_BONUS' }]);
    expect(await s.sql(`select amount, reference from point_transaction where member_id = $1 and type = 'BONUS' order by id`, [id]))
      .toEqual([{ amount: 7, reference: 'CHECK_IN_BONUS' }, { amount: 7, reference: 'CHECK_IN_BONUS' }]);
    await s.sql(`update campaign set status = 'ENDED', ended_reason = 'ADMIN', ended_at = now() where id = $1`, [campaignId]);
    // The report's CHECK_IN events (campaign-report.repository.ts EVENTS) are the check-ins.
    const sim = await s.admin(`query($i: CampaignInput!) { simulateCampaign(from: "2026-07-02T00:00:00Z", to: "2026-07-04T00:00:00Z", input: $i) { qualifyingEvents pointsWouldGive } }`,
      { i: { code: 'SIM_CHECK_IN', name: 'Simulated', trigger: 'CHECK_IN', startsAt: '2026-07-01T00:00:00Z', bonusPoints: 3, controlPercent: 0 } });
    const [{ n: checkIns }] = await s.sql<{ n: number }>(`select count(*)::int as n from check_in where checked_in_at >= '2026-07-02' and checked_in_at < '2026-07-04'`);
    expect(checkIns).toBeGreaterThanOrEqual(2);
    expect(sim.simulateCampaign).toEqual({ qualifyingEvents: checkIns, pointsWouldGive: 3 * checkIns });
    await expectLedgerConsistent(s);
  });

  it('a multiplier is refused for CHECK_IN (bonusPoints instead)', async () => {
    const res = await s.gql(`mutation($i: CampaignInput!) { upsertCampaign(input: $i) { code } }`,
      { i: { code: 'CI_DOUBLE', name: 'Double', trigger: 'CHECK_IN', startsAt: '2026-07-01T00:00:00Z', multiplier: 2 } }, await s.token('admin'));
    expectError(res, 'BAD_USER_INPUT', 'multiplier');
  });
});
