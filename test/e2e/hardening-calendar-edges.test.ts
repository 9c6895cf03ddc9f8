// A client's mistake is never a 5xx (domain.md): every operation that takes an instant, at the
// first and the last instants an input may name (1970-01-01T00:00:00Z, 9999-12-31T23:59:59.999Z),
// in programme time zones west and east of UTC, with data in every table those operations read.
// Each answer is data or a clear 4xx-kind error (BAD_USER_INPUT), never INTERNAL_SERVER_ERROR.
// The fuzz suite found one such case (refreshRetention at 9999-12-31T23:59:59Z); this sweeps all.
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';

const FIRST = '1970-01-01T00:00:00.000Z';
const LAST = '9999-12-31T23:59:59.999Z';
const EDGES: [string, string][] = [[FIRST, FIRST], [FIRST, LAST], [LAST, LAST], [LAST, FIRST]];
const CAMPAIGN = { code: 'EDGE', name: 'Edge', trigger: 'PURCHASE', startsAt: '2025-01-01T00:00:00Z', bonusPoints: 5, controlPercent: 10 };

const RANGE_QUERIES = [
  'query($from: DateTime!, $to: DateTime!) { pointsFlow(from: $from, to: $to) { period earned } }',
  'query($from: DateTime!, $to: DateTime!) { growth(from: $from, to: $to) { period active } }',
  'query($from: DateTime!, $to: DateTime!) { lifecycleTransitions(from: $from, to: $to) { to count } }',
  'query($from: DateTime!, $to: DateTime!) { referralStats(from: $from, to: $to) { registered completed } }',
  `query($from: DateTime!, $to: DateTime!, $i: CampaignInput!) { simulateCampaign(from: $from, to: $to, input: $i) { eligibleMembers } }`,
];
const AS_OF_OPERATIONS = [
  'mutation($asOf: DateTime!) { refreshRetention(asOf: $asOf) { processed } }',
  'mutation($asOf: DateTime!) { runTierReview(asOf: $asOf) { processed } }',
  'mutation($asOf: DateTime!) { sendTierNotices(asOf: $asOf) { processed } }',
  'mutation($asOf: DateTime!) { expirePoints(asOf: $asOf) { processed } }',
  'mutation($asOf: DateTime!) { grantBirthdayGifts(asOf: $asOf) { processed } }',
  'mutation($asOf: DateTime!) { reevaluateCampaigns(asOf: $asOf) { processed } }',
  'query($asOf: DateTime!) { campaignReport(code: "EDGE", asOf: $asOf) { control { members } treatment { members } } }',
];

describe.each(['Pacific/Pago_Pago', 'UTC', 'Pacific/Kiritimati'])('the calendar\'s edges (%s)', (zone) => {
  let s: TestServer;
  const failures: string[] = [];
  /** What each call came to (data, or its error code): the sweep must reach the operations, not stop at a typo. */
  const outcomes = new Map<string, number>();
  beforeAll(async () => {
    s = await startTestServer();
    await createLadder(s);
    await s.admin('mutation($z: String!) { updateProgram(input: { timeZone: $z }) { timeZone } }', { z: zone });
    await s.admin('mutation($i: CampaignInput!) { upsertCampaign(input: $i) { code } }', { i: CAMPAIGN });
    await s.admin('mutation { activateCampaign(code: "EDGE") { status } }');
    const service = await s.token('service');
    for (let i = 0; i < 3; i++) {
      const id = await registerMember(s, { externalId: `edge-${i}`, joinedAt: '2024-01-01T00:00:00Z', birthday: '1990-01-01' });
      for (const [n, at] of ['2025-01-01T12:00:00Z', '2025-06-01T12:00:00Z'].entries()) {
        const res = await s.gql('mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }',
          { i: { memberId: id, orderId: `edge-${i}-${n}`, amount: 100 + i, occurredAt: at } }, service);
        if (res.errors) throw new Error(JSON.stringify(res.errors));
      }
    }
  });
  afterAll(() => s?.stop());

  const check = (label: string, res: { status: number; errors?: { extensions?: { code?: string } }[] }) => {
    const codes = (res.errors ?? []).map((e) => e.extensions?.code);
    const outcome = codes.length ? codes.join(',') : 'data';
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    if (res.status >= 500 || codes.some((c) => c === 'INTERNAL_SERVER_ERROR' || c == null)) failures.push(`${label}: ${res.status} ${JSON.stringify(res.errors)}`);
  };

  it('every range query, either way round: data or BAD_USER_INPUT', async () => {
    const admin = await s.token('admin');
    for (const query of RANGE_QUERIES) {
      for (const [from, to] of EDGES) check(`${query.slice(0, 60)} ${from}..${to}`, await s.gql(query, { from, to, i: { ...CAMPAIGN, code: 'EDGE-SIM' } }, admin));
    }
    expect(failures).toEqual([]);
    expect([...outcomes.keys()].sort()).toEqual(['BAD_USER_INPUT', 'data']);
    expect(outcomes.get('data')).toBeGreaterThanOrEqual(RANGE_QUERIES.length);
  });

  it('every job run as of either edge, and the report: data or BAD_USER_INPUT', async () => {
    const admin = await s.token('admin');
    for (const asOf of [FIRST, LAST, FIRST]) {
      for (const query of AS_OF_OPERATIONS) check(`${query.slice(0, 60)} ${asOf}`, await s.gql(query, { asOf }, admin));
    }
    expect(failures).toEqual([]);
    expect(outcomes.get('data')).toBeGreaterThanOrEqual(AS_OF_OPERATIONS.length);
  });
});
