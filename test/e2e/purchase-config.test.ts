// Issue 21, item 1: a purchase decides with the configuration held in memory (programme, ladder,
// multiplier benefits), its version carried to the database in the purchase's first statement.
// Two servers on one database stand for two instances; a change made through either, or by
// hand in SQL, is what the next purchase on the other decides with once it has committed.
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';

let a: TestServer;
let b: TestServer;
let orders = 0;
const PURCHASE = `mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned transaction { balanceAfter } tierChange { kind } } }`;
const TIER = `mutation($input: TierInput!) { upsertTier(input: $input) { code } }`;
const BENEFIT = `mutation($input: BenefitInput!) { upsertBenefit(input: $input) { code } }`;

async function buy(s: TestServer, memberId: string, amount: number, occurredAt?: string) {
  const i = { memberId, orderId: `cfg-${++orders}`, amount, ...(occurredAt ? { occurredAt } : {}) };
  return (await s.admin(PURCHASE, { i })).recordPurchase as { pointsEarned: number; tierChange: { kind: string } | null };
}
const version = async () => (await a.sql<{ v: string }>('select version::text as v from config_version'))[0].v;

beforeAll(async () => {
  a = await startTestServer();
  b = await startTestServer({ databaseUrl: a.databaseUrl });
  await createLadder(a);
});
afterAll(async () => {
  await a.stop();
  await b.stop();
});

describe('the configuration a purchase decides with', () => {
  it('follows a change committed through another instance: the tier multiplier', async () => {
    const id = await registerMember(a);
    expect((await buy(a, id, 10)).pointsEarned).toBe(10);
    await b.admin(TIER, { input: { code: 'BRONZE', name: 'Bronze', rank: 0, qualifyingPoints: 0, retainPoints: 0, pointsMultiplier: 2 } });
    // The purchase after it: its statement finds the version moved and writes nothing; in a
    // transaction, purchase_facts finds it moved too, the configuration is read again there, and
    // the purchase is decided with it: purchase_at_once, BEGIN, purchase_facts, the configuration,
    // purchase_facts, purchase_write, COMMIT.
    const { result, statements } = await a.countStatements(() => buy(a, id, 10));
    expect(result.pointsEarned).toBe(20);
    expect(statements.map((t) => /purchase_at_once|purchase_facts|purchase_write|config_version|^begin$|^commit$/.exec(t.replace(/\s+/g, ' ').trim())?.[0]))
      .toEqual(['purchase_at_once', 'begin', 'purchase_facts', 'config_version', 'purchase_facts', 'purchase_write', 'commit']);
    // and the one after that is back to one statement
    const again = await a.countStatements(() => buy(a, id, 10));
    expect(again.result.pointsEarned).toBe(20);
    expect(again.statements.length).toBe(1);
    await b.admin(TIER, { input: { code: 'BRONZE', name: 'Bronze', rank: 0, qualifyingPoints: 0, retainPoints: 0, pointsMultiplier: 1 } });
  });

  it('follows a change made by hand in SQL (the triggers move the version, whoever writes)', async () => {
    const id = await registerMember(a);
    expect((await buy(a, id, 10)).pointsEarned).toBe(10);
    const before = await version();
    await a.sql('update program set points_per_unit = 3 where id = 1');
    expect(BigInt(await version())).toBeGreaterThan(BigInt(before));
    expect((await buy(a, id, 10)).pointsEarned).toBe(30);
    await a.sql('update program set points_per_unit = 1 where id = 1');
    expect((await buy(a, id, 10)).pointsEarned).toBe(10);
  });

  it('the ladder edited elsewhere decides an upgrade at once', async () => {
    const id = await registerMember(a);
    expect((await buy(a, id, 900)).tierChange).toBeNull();
    await b.admin(TIER, { input: { code: 'SILVER', name: 'Silver', rank: 1, qualifyingPoints: 950, retainPoints: 800, pointsMultiplier: 1.25 } });
    expect((await buy(a, id, 60)).tierChange).toEqual({ kind: 'UPGRADE' });
    await b.admin(TIER, { input: { code: 'SILVER', name: 'Silver', rank: 1, qualifyingPoints: 1000, retainPoints: 800, pointsMultiplier: 1.25 } });
  });

  it('a multiplier benefit added elsewhere, with a required tag, applies to tagged members only, and not to purchases dated before it', async () => {
    const tagged = await registerMember(a);
    const untagged = await registerMember(a);
    await a.admin('mutation($id: ID!) { tagMember(memberId: $id, tagCode: "cfg-vip") { id } }', { id: tagged });
    const before = new Date(Date.now() - 60_000).toISOString();
    expect((await buy(a, tagged, 10)).pointsEarned).toBe(10);
    await b.admin(BENEFIT, { input: { code: 'CFG_BOOST', name: 'Boost', kind: 'POINTS_MULTIPLIER', value: 0.5, tierCodes: [], requiredTags: ['cfg-vip'] } });
    expect((await buy(a, tagged, 10)).pointsEarned).toBe(15);
    expect((await buy(a, untagged, 10)).pointsEarned).toBe(10);
    // dated a minute ago: the benefit's first version was saved after that instant
    expect((await buy(a, tagged, 10, before)).pointsEarned).toBe(10);
    await b.admin(BENEFIT, { input: { code: 'CFG_BOOST', name: 'Boost', kind: 'POINTS_MULTIPLIER', value: 0.5, tierCodes: [], requiredTags: ['cfg-vip'], active: false } });
    expect((await buy(a, tagged, 10)).pointsEarned).toBe(10);
  });

  it('what jobs write on the programme row (the latest review) does not move the version', async () => {
    const before = await version();
    await a.admin(`mutation { runTierReview(asOf: "${new Date().toISOString()}") { processed } }`);
    await a.sql('update program set tier_reviewed_through = now() where id = 1');
    expect(await version()).toBe(before);
  });

  it('purchases racing a configuration change each use one configuration or the other, whole', async () => {
    const id = await registerMember(a);
    const flips = [2, 3, 1].map((m) => () => b.admin(TIER, { input: { code: 'BRONZE', name: 'Bronze', rank: 0, qualifyingPoints: 0, retainPoints: 0, pointsMultiplier: m } }));
    const results = await Promise.all([
      ...Array.from({ length: 30 }, (_, n) => buy(n % 2 ? a : b, id, 10)),
      ...flips.map((flip, n) => new Promise((r) => setTimeout(r, 5 * n)).then(flip)),
    ]);
    const earned = (results.slice(0, 30) as { pointsEarned: number }[]).map((r) => r.pointsEarned);
    expect(earned.every((e) => [10, 20, 30].includes(e))).toBe(true);
    const [ledger] = await a.sql<{ balance: number; sum: number }>(
      `select a.balance, (select sum(amount)::int from point_transaction where member_id = $1) as sum from point_account a where member_id = $1`, [id]);
    expect(ledger.balance).toBe(earned.reduce((s, e) => s + e, 0));
    expect(ledger.sum).toBe(ledger.balance);
    expect((await buy(a, id, 10)).pointsEarned).toBe(10);
  });
});
