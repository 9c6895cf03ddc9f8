import fc from 'fast-check';
import { Client } from 'pg';
import { createTestDatabase, expectError, startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { TestClock, whenItComes } from '../support/clock';
import { localDayNumberSql } from '../../src/db/local-days';
import { localDate, localDayNumber } from '../../src/common/local-time.rules';

/**
 * Issue 25, programme time zone: every rule that speaks of a day, a month or a birthday counts
 * programme-local days (program.time_zone). At the edges: 23:59 and 00:01 local around midnight,
 * a DST zone (New York: the 23-hour 8 March 2026, the 25-hour 1 November 2026), and instants that
 * are one date in UTC and another locally (Shanghai, UTC+8: 00:01 on 2 March is 16:01 on 1 March
 * UTC). Each case's dates are its own, so the cases share one server.
 */
let s: TestServer;
let service: string;
/** The server's clock: a birthday run as of a day still to come runs once it has come (whenItComes). */
const clock = new TestClock();
beforeAll(async () => {
  s = await startTestServer({ clock });
  await createLadder(s);
  service = await s.token('service');
}, 60_000);
afterAll(() => s?.stop());

const PROGRAM_ZONE = 'mutation($z: String!) { updateProgram(input: { timeZone: $z }) { timeZone } }';
const setZone = async (zone: string) => (await s.admin(PROGRAM_ZONE, { z: zone })).updateProgram.timeZone as string;
/** The zone(s) of purchase_member_day_index's day expression, as PostgreSQL describes the index. */
const indexZones = async (server: TestServer = s) =>
  (await server.sql(`select indexdef from pg_indexes where indexname = 'purchase_member_day_index'`)).map((r) => /AT TIME ZONE '([^']+)'/.exec(r.indexdef)?.[1]);

/**
 * Whether the refresh's day aggregate in `zone` reads purchase_member_day_index already in
 * (member, day) order: an index-only scan and no sort (the tables are small: scans of the
 * table are off). With a zone the index is not built for, the days need an (incremental) sort.
 */
async function dayOrderFromIndex(zone: string): Promise<boolean> {
  const day = localDayNumberSql('pu.occurred_at', zone);
  await s.sql('begin');
  try {
    await s.sql('set local enable_seqscan = off');
    const plan = (await s.sql(`explain select pu.member_id, array_agg(distinct ${day} order by ${day}) from purchase pu group by pu.member_id`))
      .map((r) => r['QUERY PLAN'] as string);
    return plan.some((line) => /Index Only Scan using purchase_member_day_index/.test(line)) && !plan.some((line) => /Sort/.test(line));
  } finally {
    await s.sql('rollback');
  }
}

async function write(query: string, input: Record<string, unknown>) {
  const res = await s.gql(query, { i: input }, service);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data!;
}
const buy = (memberId: string, orderId: string, amount: number, occurredAt: string) =>
  write('mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }', { memberId, orderId, amount, occurredAt });

it('PostgreSQL\'s local day and TypeScript\'s agree, at random instants and at the edges of DST days, in zones with DST, half- and quarter-hour offsets', async () => {
  const zones = ['UTC', 'Asia/Shanghai', 'America/New_York', 'America/Santiago', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Chatham'];
  const edges = ['2026-03-08T04:59:59.999Z', '2026-03-08T05:00:00.000Z', '2026-03-08T07:00:00.000Z', '2026-11-01T03:59:59.999Z', '2026-11-01T04:00:00.000Z',
    '2026-11-01T05:00:00.000Z', '2026-11-01T06:00:00.000Z', '2026-09-06T03:59:59.999Z', '2026-09-06T04:00:00.000Z', '2026-02-28T15:59:00.000Z', '2026-02-28T16:01:00.000Z'].map(Date.parse);
  const instants = [...edges, ...fc.sample(fc.integer({ min: Date.parse('1971-01-01T00:00:00Z'), max: Date.parse('2037-12-31T00:00:00Z') }), { numRuns: 300, seed: 25 })];
  for (const zone of zones) {
    const rows = await s.sql<{ day: number; date: string }>(
      `select ${localDayNumberSql('t', zone)} as day, to_char((t at time zone '${zone}')::date, 'YYYY-MM-DD') as date
       from unnest($1::timestamptz[]) with ordinality as u(t, i) order by i`,
      [instants.map((ms) => new Date(ms).toISOString())],
    );
    expect(rows).toEqual(instants.map((ms) => ({ day: localDayNumber(new Date(ms), zone), date: localDate(new Date(ms), zone) })));
  }
});

describe('Program.timeZone', () => {
  afterAll(() => setZone('UTC'));

  it('is canonical, and the purchases\' day index follows it (the schema diff stays empty)', async () => {
    expect((await s.admin('{ program { timeZone } }')).program.timeZone).toBe('UTC');
    expect(await indexZones()).toEqual(['UTC']);
    expect(await dayOrderFromIndex('UTC')).toBe(true);
    expect(await setZone('asia/shanghai')).toBe('Asia/Shanghai');
    expect(await indexZones()).toEqual(['Asia/Shanghai']);
    // The refresh's day expression in the new zone reads the index; in the old one it could not.
    expect(await dayOrderFromIndex('Asia/Shanghai')).toBe(true);
    // (Before PostgreSQL 16 an aggregate with DISTINCT or ORDER BY sorts its input itself, with
    // no Sort node in the plan whatever the index: an operator's PostgreSQL 15 shows none.)
    if (Number((await s.sql(`select current_setting('server_version_num') as v`))[0].v) >= 160000) expect(await dayOrderFromIndex('UTC')).toBe(false);
    // The rebuilt index is the same index to the schema diff (ops.test's check, on this database).
    expect((await s.app.orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false })).trim()).toBe('');
    // Changing something else leaves the index alone.
    const [{ oid }] = await s.sql(`select 'purchase_member_day_index'::regclass::oid as oid`);
    await s.admin('mutation { updateProgram(input: { tierNoticeDays: 14 }) { tierNoticeDays } }');
    expect((await s.sql(`select 'purchase_member_day_index'::regclass::oid as oid`))[0].oid).toBe(oid);
  });

  it('is IANA\'s current name, as sent, where the runtime knows an older one (Asia/Kolkata, not Asia/Calcutta)', async () => {
    expect(await setZone('Asia/Kolkata')).toBe('Asia/Kolkata');
    expect((await s.admin('{ program { timeZone } }')).program.timeZone).toBe('Asia/Kolkata');
    expect(await setZone('Asia/Calcutta')).toBe('Asia/Kolkata');
    expect(await setZone('Europe/Kiev')).toBe('Europe/Kyiv');
    expect(await setZone('asia/ho_chi_minh')).toBe('Asia/Ho_Chi_Minh');
  });

  it('an unknown zone is BAD_USER_INPUT and changes nothing', async () => {
    await setZone('Asia/Shanghai');
    for (const zone of ['Mars/Olympus', '+08:00', 'Asia/Shanghai; drop table purchase', '']) {
      expectError(await s.gql(PROGRAM_ZONE, { z: zone }, await s.token('admin')), 'BAD_USER_INPUT', 'timeZone');
    }
    expect((await s.admin('{ program { timeZone } }')).program.timeZone).toBe('Asia/Shanghai');
    expect(await indexZones()).toEqual(['Asia/Shanghai']);
  });

  it('many changes at once: the index is always the zone the programme ends with', async () => {
    const zones = ['UTC', 'Asia/Shanghai', 'America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'Australia/Sydney'];
    const admin = await s.token('admin');
    const results = await Promise.all([...zones, ...zones].map((z) => s.gql(PROGRAM_ZONE, { z }, admin)));
    expect(results.every((r) => !r.errors)).toBe(true);
    const { timeZone } = (await s.admin('{ program { timeZone } }')).program;
    expect(await indexZones()).toEqual([timeZone]);
  });
});

describe('a zone the runtime knows and PostgreSQL does not', () => {
  let t: TestServer;
  beforeAll(async () => {
    // No zone Node knows is missing from this PostgreSQL, so this database's PostgreSQL is made
    // not to know Asia/Tokyo: a view of pg_timezone_names without it, ahead of pg_catalog on the
    // database's search path (the server's connections open after this).
    const url = await createTestDatabase('tz');
    const pg = new Client({ connectionString: url });
    await pg.connect();
    const name = new URL(url).pathname.slice(1);
    await pg.query(`alter database "${name}" set search_path = public, pg_catalog`);
    // Without Asia/Tokyo at all, and without Europe/Kyiv (as a tz database from before 2022b: it knows Europe/Kiev).
    await pg.query(`create view public.pg_timezone_names as select * from pg_catalog.pg_timezone_names where name not in ('Asia/Tokyo', 'Europe/Kyiv')`);
    await pg.end();
    t = await startTestServer({ databaseUrl: url });
  }, 60_000);
  afterAll(() => t?.stop());

  it('is BAD_USER_INPUT, checked in the update\'s transaction, and changes nothing', async () => {
    const admin = await t.token('admin');
    const res = await t.gql('mutation { updateProgram(input: { timeZone: "Asia/Tokyo", tierNoticeDays: 21 }) { timeZone tierNoticeDays } }', {}, admin);
    expectError(res, 'BAD_USER_INPUT', 'timeZone');
    expect((await t.admin('{ program { timeZone tierNoticeDays } }')).program).toEqual({ timeZone: 'UTC', tierNoticeDays: 30 });
    expect(await indexZones(t)).toEqual(['UTC']);
    // A zone it knows is taken.
    expect((await t.admin('mutation { updateProgram(input: { timeZone: "Asia/Seoul" }) { timeZone } }')).updateProgram.timeZone).toBe('Asia/Seoul');
  });

  it('a zone it knows by its older name only is kept by that name (Europe/Kyiv as Europe/Kiev)', async () => {
    expect((await t.admin('mutation { updateProgram(input: { timeZone: "Europe/Kyiv" }) { timeZone } }')).updateProgram.timeZone).toBe('Europe/Kiev');
    expect(await indexZones(t)).toEqual(['Europe/Kiev']);
    // The same zone asked for again changes nothing.
    expect((await t.admin('mutation { updateProgram(input: { timeZone: "Europe/Kyiv" }) { timeZone } }')).updateProgram.timeZone).toBe('Europe/Kiev');
  });
});

describe('the activity daily cap counts local days', () => {
  const activity = async (memberId: string, key: string, occurredAt: string) =>
    (await write('mutation($i: RecordActivityInput!) { recordActivity(input: $i) { pointsEarned } }', { memberId, kind: 'TZ_VISIT', idempotencyKey: key, occurredAt }))
      .recordActivity.pointsEarned as number;
  beforeAll(async () => {
    await s.admin('mutation { upsertActivityRule(input: { kind: "TZ_VISIT", name: "Visit", points: 5, qualifyingPoints: 0, dailyCap: 5 }) { kind } }');
  });
  afterAll(() => setZone('UTC'));

  it('Shanghai: 23:59 and 00:01 are two days though one UTC date; 00:01 and 23:59 one day though two UTC dates', async () => {
    await setZone('Asia/Shanghai');
    const id = await registerMember(s);
    expect(await activity(id, 'sh-1', '2026-03-01T15:59:00.000Z')).toBe(5); // 23:59 on 1 March
    expect(await activity(id, 'sh-2', '2026-03-01T16:01:00.000Z')).toBe(5); // 00:01 on 2 March (UTC: still 1 March)
    expect(await activity(id, 'sh-3', '2026-03-01T00:30:00.000Z')).toBe(0); // 08:30 on 1 March: capped
    expect(await activity(id, 'sh-4', '2026-03-02T15:59:00.000Z')).toBe(0); // 23:59 on 2 March (UTC: 2 March): capped with 00:01's
    const days = await s.sql(`select idempotency_key as key, to_char(day, 'YYYY-MM-DD') as day, points from activity where member_id = $1 order by 1`, [id]);
    expect(days).toEqual([
      { key: 'sh-1', day: '2026-03-01', points: 5 }, { key: 'sh-2', day: '2026-03-02', points: 5 },
      { key: 'sh-3', day: '2026-03-01', points: 0 }, { key: 'sh-4', day: '2026-03-02', points: 0 },
    ]);
    // A change of zone keeps the days rows were counted on; new activities count the new zone's days.
    await setZone('UTC');
    expect(await s.sql(`select to_char(day, 'YYYY-MM-DD') as day from activity where member_id = $1 order by idempotency_key`, [id]))
      .toEqual([{ day: '2026-03-01' }, { day: '2026-03-02' }, { day: '2026-03-01' }, { day: '2026-03-02' }]);
    expect(await activity(id, 'sh-5', '2026-03-02T16:30:00.000Z')).toBe(0); // UTC 2 March: 00:01's row (counted as 2 March) caps it
    expect(await activity(id, 'sh-6', '2026-03-03T00:30:00.000Z')).toBe(5);
  });

  it('New York across spring-forward: the 23-hour day is one day, its midnights the edges', async () => {
    await setZone('America/New_York');
    const id = await registerMember(s);
    expect(await activity(id, 'ny-1', '2026-03-08T04:59:00.000Z')).toBe(5); // 23:59 on 7 March (EST)
    expect(await activity(id, 'ny-2', '2026-03-08T05:01:00.000Z')).toBe(5); // 00:01 on 8 March (EST), one UTC date with 23:59
    expect(await activity(id, 'ny-3', '2026-03-09T03:59:00.000Z')).toBe(0); // 23:59 on 8 March (EDT; UTC: 9 March): capped
    expect(await activity(id, 'ny-4', '2026-03-09T04:01:00.000Z')).toBe(5); // 00:01 on 9 March (EDT)
  });

  it('concurrent activities on one local day give the cap once', async () => {
    await setZone('Asia/Shanghai');
    const id = await registerMember(s);
    // 00:01 to 23:59 of 10 March in Shanghai: two UTC dates.
    const instants = Array.from({ length: 12 }, (_, i) => new Date(Date.parse('2026-03-09T16:01:00.000Z') + i * 7_000_000).toISOString());
    const given = await Promise.all(instants.map((at, i) => activity(id, `race-${i}`, at)));
    expect(given.reduce((a, b) => a + b, 0)).toBe(5);
  });
});

describe('birthday gifts come in the local birthday month', () => {
  const grant = async (asOf: string) => (await whenItComes(clock, asOf,
    () => s.admin('mutation($a: DateTime!) { grantBirthdayGifts(asOf: $a) { processed changed } }', { a: asOf }))).grantBirthdayGifts;
  const grants = (id: string) => s.sql('select year, points from birthday_grant where member_id = $1', [id]);
  beforeAll(async () => {
    await s.admin('mutation($i: BenefitInput!) { upsertBenefit(input: $i) { code } }', { i: { code: 'TZ_BDAY', name: 'Birthday gift', kind: 'BIRTHDAY_GIFT', value: 88, tierCodes: [] } });
  });
  afterAll(() => setZone('UTC'));

  it('Shanghai: born on 1 March, the gift comes at 00:01 on 1 March local (still February in UTC), not at 23:59 on 28 February', async () => {
    await setZone('Asia/Shanghai');
    const id = await registerMember(s, { birthday: '1990-03-01', joinedAt: '2020-01-01T00:00:00.000Z' });
    await grant('2026-02-28T15:59:00.000Z'); // 23:59 on 28 February
    expect(await grants(id)).toEqual([]);
    await grant('2026-02-28T16:01:00.000Z'); // 00:01 on 1 March
    expect(await grants(id)).toEqual([{ year: 2026, points: 88 }]);
  });

  it('Shanghai: born on 1 January, 00:01 on 1 January 2027 local is 2027\'s gift (UTC: 31 December 2026)', async () => {
    await setZone('Asia/Shanghai');
    const id = await registerMember(s, { birthday: '1990-01-01', joinedAt: '2020-01-01T00:00:00.000Z' });
    await grant('2026-12-31T16:01:00.000Z');
    expect(await grants(id)).toEqual([{ year: 2027, points: 88 }]);
  });

  it('New York across fall-back: born on 1 November, 23:59 on 31 October is October, 00:01 on 1 November is November', async () => {
    await setZone('America/New_York');
    const id = await registerMember(s, { birthday: '1991-11-01', joinedAt: '2020-01-01T00:00:00.000Z' });
    await grant('2026-11-01T03:59:00.000Z'); // 23:59 on 31 October (EDT); UTC: 1 November
    expect(await grants(id)).toEqual([]);
    await grant('2026-11-01T04:01:00.000Z'); // 00:01 on 1 November (EDT)
    expect(await grants(id)).toEqual([{ year: 2026, points: 88 }]);
  });
});

describe('reports by month count local months', () => {
  afterAll(() => setZone('UTC'));
  const GROWTH = 'query($f: DateTime!, $t: DateTime!) { growth(from: $f, to: $t) { period active new } }';
  const FLOW = 'query($f: DateTime!, $t: DateTime!) { pointsFlow(from: $f, to: $t) { period earned } }';

  it('Shanghai: a purchase at 00:30 on 1 March local (28 February in UTC) is March\'s; one at 23:59 on 31 March is March\'s', async () => {
    await setZone('Asia/Shanghai');
    const id = await registerMember(s, { joinedAt: '2010-01-01T00:00:00.000Z' });
    await buy(id, 'tz-flow-1', 100, '2019-02-28T16:30:00.000Z');
    await buy(id, 'tz-flow-2', 10, '2019-03-31T15:59:00.000Z');
    // The programme's February, March and April 2019: from local midnight of 1 February to that of 1 May.
    const range = { f: '2019-01-31T16:00:00.000Z', t: '2019-04-30T16:00:00.000Z' };
    const flow = (await s.admin(FLOW, range)).pointsFlow as { period: string; earned: number }[];
    expect(flow.map((r) => r.period)).toEqual(['2019-03']);
    expect(flow[0].earned).toBeGreaterThan(0);
    // Growth runs from `from`'s month to `to`'s, both included: up to 23:59 on 30 April.
    expect((await s.admin(GROWTH, { ...range, t: '2019-04-30T15:59:00.000Z' })).growth).toEqual([
      { period: '2019-02', active: 0, new: 0 }, { period: '2019-03', active: 1, new: 1 }, { period: '2019-04', active: 0, new: 0 },
    ]);
    // In UTC the same instants fall in February and March.
    await setZone('UTC');
    const utc = (await s.admin(FLOW, { f: '2019-02-01T00:00:00.000Z', t: '2019-05-01T00:00:00.000Z' })).pointsFlow as { period: string }[];
    expect(utc.map((r) => r.period)).toEqual(['2019-02', '2019-03']);
  });

  it('New York across fall-back: 23:30 on 31 October (EDT) is October\'s, 00:30 on 1 November November\'s', async () => {
    await setZone('America/New_York');
    const a = await registerMember(s, { joinedAt: '2010-01-01T00:00:00.000Z' });
    const b = await registerMember(s, { joinedAt: '2010-01-01T00:00:00.000Z' });
    await buy(a, 'tz-ny-oct', 100, '2020-11-01T03:30:00.000Z'); // 2020: fall-back on 1 November too
    await buy(b, 'tz-ny-nov', 100, '2020-11-01T04:30:00.000Z');
    const range = { f: '2020-10-01T04:00:00.000Z', t: '2020-12-01T05:00:00.000Z' };
    expect(((await s.admin(FLOW, range)).pointsFlow as { period: string }[]).map((r) => r.period)).toEqual(['2020-10', '2020-11']);
    expect((await s.admin(GROWTH, range)).growth).toEqual([
      { period: '2020-10', active: 1, new: 1 }, { period: '2020-11', active: 1, new: 1 }, // the month `to` starts is not in the range, as for pointsFlow
    ]);
  });
});

describe('RFM recency and lifecycle thresholds count local days', () => {
  const REFRESH = 'mutation($a: DateTime!) { refreshRetention(asOf: $a) { processed } }';
  const row = async (id: string) => (await s.admin(`query($id: ID!) { member(id: $id) { lifecycleStage rfm { recencyDays } } }`, { id })).member;
  afterAll(() => setZone('UTC'));

  it('Shanghai: bought at 23:59, refreshed at 00:01 (one UTC date): one day ago', async () => {
    await setZone('Asia/Shanghai');
    const id = await registerMember(s, { joinedAt: '2010-01-01T00:00:00.000Z' });
    await buy(id, 'tz-rec-1', 50, '2017-05-31T15:59:00.000Z'); // 23:59 on 31 May
    await s.admin(REFRESH, { a: '2017-05-31T16:01:00.000Z' }); // 00:01 on 1 June
    expect(await row(id)).toEqual({ lifecycleStage: 'NEW', rfm: { recencyDays: 1 } });
  });

  it('Shanghai: new for 30 days: bought at 00:01 (UTC: the day before), refreshed at 23:59 thirty local days on (thirty-one UTC dates): still NEW', async () => {
    await setZone('Asia/Shanghai');
    const id = await registerMember(s, { joinedAt: '2010-01-01T00:00:00.000Z' });
    await buy(id, 'tz-new-1', 50, '2016-02-29T16:01:00.000Z'); // 00:01 on 1 March 2016
    await s.admin(REFRESH, { a: '2016-03-31T15:59:00.000Z' }); // 23:59 on 31 March: 30 local days later
    expect(await row(id)).toEqual({ lifecycleStage: 'NEW', rfm: { recencyDays: 30 } });
    await s.admin(REFRESH, { a: '2016-03-31T16:01:00.000Z' }); // 00:01 on 1 April: 31
    expect(await row(id)).toEqual({ lifecycleStage: 'ACTIVE', rfm: { recencyDays: 31 } });
  });

  it('New York across spring-forward: 00:01 to 23:59 of the 23-hour day is the same day', async () => {
    await setZone('America/New_York');
    const id = await registerMember(s, { joinedAt: '2010-01-01T00:00:00.000Z' });
    await buy(id, 'tz-rec-ny', 50, '2015-03-08T05:01:00.000Z'); // 00:01 on 8 March 2015 (EST)
    await s.admin(REFRESH, { a: '2015-03-09T03:59:00.000Z' }); // 23:59 on 8 March (EDT); UTC: 9 March
    expect(await row(id)).toEqual({ lifecycleStage: 'NEW', rfm: { recencyDays: 0 } });
    await s.admin(REFRESH, { a: '2015-03-09T04:01:00.000Z' }); // 00:01 on 9 March (EDT)
    expect(await row(id)).toEqual({ lifecycleStage: 'NEW', rfm: { recencyDays: 1 } });
  });
});
