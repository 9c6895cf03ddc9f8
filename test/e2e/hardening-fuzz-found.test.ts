import { expectError, startTestServer, type TestServer } from '../support/harness';

/** Classes the fuzz test (hardening-fuzz) found, pinned one by one. */
let s: TestServer;
let admin: string;
beforeAll(async () => {
  s = await startTestServer();
  admin = await s.token('admin');
});
afterAll(() => s.stop());

describe('a segment filter\'s RFM scores are 1 to 5 (the nested filter was never validated)', () => {
  it('a segment or tag rule with a score past the smallint column is refused, not saved to fail every read', async () => {
    for (const [field, value] of [['minR', 40_000], ['minF', -2_124_199_298], ['minM', 6]] as const) {
      const segment = await s.gql('mutation($f: SegmentFilterInput!) { saveSegment(input: { name: "bad", filter: $f }) { id size } }', { f: { [field]: value } }, admin);
      expectError(segment, 'BAD_USER_INPUT', field);
      const tag = await s.gql('mutation($f: SegmentFilterInput) { upsertTag(input: { code: "BAD", name: "Bad", rule: $f }) { code } }', { f: { [field]: value } }, admin);
      expectError(tag, 'BAD_USER_INPUT', field);
    }
    expect(await s.sql('select count(*)::int as n from segment')).toEqual([{ n: 0 }]);
    const ok = await s.gql('mutation { saveSegment(input: { name: "good", filter: { minR: 1, minF: 5 } }) { size } }', {}, admin);
    expect(ok.errors).toBeUndefined();
  });
});
