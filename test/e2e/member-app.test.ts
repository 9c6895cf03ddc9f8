// A member app written from the contract alone (probes of issue "member app"): what it asks with
// a member token, including a token whose member the programme does not hold.
import { randomUUID } from 'node:crypto';
import { expectError, startTestServer, type TestServer } from '../support/harness';
import { createLadder } from '../support/fixtures';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
  await s.admin(`mutation { upsertReward(input: { code: "APP_COFFEE", name: "Coffee", costPoints: 100 }) { code } }`);
});
afterAll(() => s.stop());

describe('a member token whose member does not exist', () => {
  it('asks the rewards it may redeem: NOT_FOUND, not an internal error', async () => {
    const token = await s.token('member', randomUUID());
    expectError(await s.gql('{ rewards { code costPoints affordable } }', {}, token), 'NOT_FOUND');
    const me = await s.gql('{ me { id } }', {}, token);
    expect(me.errors).toBeUndefined();
    expect(me.data).toEqual({ me: null });
  });
});
