import { randomUUID } from 'node:crypto';
import { controlArm } from '../../src/modules/campaigns/campaigns.rules';
import { startTestServer, type TestServer } from '../support/harness';

// The control group's assignment is one function in two places: campaign_control in SQL (set-based
// assignment of an audience) and controlArm in TypeScript (a member found by a triggering event).
// They must agree on every pair, at every percent.
let s: TestServer;
beforeAll(async () => { s = await startTestServer(); });
afterAll(() => s?.stop());

it('campaign_control (SQL) and controlArm (TypeScript) put every member in the same arm', async () => {
  const pairs = Array.from({ length: 2000 }, (_, i) => ({ campaign: randomUUID(), member: randomUUID(), percent: i % 51 }));
  const rows = await s.sql<{ control: boolean }>(
    `select campaign_control(c, m, p) as control from unnest($1::uuid[], $2::uuid[], $3::int[]) with ordinality as x(c, m, p, n) order by n`,
    [pairs.map((p) => p.campaign), pairs.map((p) => p.member), pairs.map((p) => p.percent)],
  );
  expect(rows.map((r) => r.control)).toEqual(pairs.map((p) => controlArm(p.campaign, p.member, p.percent)));
  expect(rows.filter((r) => r.control).length).toBeGreaterThan(0);
});
