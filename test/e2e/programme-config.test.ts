import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';

// The admin's programme configuration (domain.md, "Admin consoles configure tiers, benefits,
// rewards, tags and segments … and see every change in an audit log"): what a change does, and
// what a bad one is refused with.
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
});
afterAll(() => s.stop());

const SIZE = `query($f: SegmentFilterInput!) { segmentPreview(filter: $f) { size } }`;
const size = async (f: Record<string, unknown>) => (await s.admin<{ segmentPreview: { size: number } }>(SIZE, { f })).segmentPreview.size;

describe('segment spend bounds', () => {
  it('select the spends the bound in money selects, to the cent, whatever the decimals', async () => {
    const region = 'spend-bounds';
    const never = await registerMember(s, { region });
    const ten = await registerMember(s, { region });
    await s.admin(`mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }`, { i: { memberId: ten, orderId: 'spend-10', amount: 10 } });
    await s.admin(`mutation($a: DateTime!) { refreshRetention(asOf: $a) { processed } }`, { a: new Date().toISOString() });
    expect(never).toBeDefined();
    const regions = [region];
    // Spent 0 is not "at least 0.004"; spent 10.00 is not "at most 9.999".
    expect(await size({ regions, minSpend: 0.004 })).toBe(1);
    expect(await size({ regions, maxSpend: 9.999 })).toBe(1);
    expect(await size({ regions, minSpend: 10, maxSpend: 10 })).toBe(1);
    expect(await size({ regions, minSpend: 9.991, maxSpend: 10.009 })).toBe(1);
    expect(await size({ regions, minSpend: 10.001 })).toBe(0);
    expect(await size({ regions, maxSpend: 0 })).toBe(1);
  });
});
