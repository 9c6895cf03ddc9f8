import { startTestServer, type TestServer } from '../support/harness';
import { createLadder } from '../support/fixtures';

// domain.md: admin consoles "see every change in an audit log". A registration is one: audited
// as member.register with who registered it and the profile it registered; its replay (the same
// externalId and profile) and a refused one (another profile) write nothing.
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
}, 120_000);
afterAll(() => s.stop());

const REGISTER = `mutation($i: RegisterMemberInput!) { registerMember(input: $i) { id } }`;
const ENTRIES = `query($id: String!) { auditEntries(filter: { entity: "Member", entityId: $id }) { edges { node { actor action before after } } } }`;

it('audits a registration once, with its actor and profile', async () => {
  const service = await s.token('service', 'store-7');
  const input = { externalId: 'audited-1', displayName: 'Audited One', email: 'one@example.com', region: 'north' };
  const first = await s.gql(REGISTER, { i: input }, service);
  expect(first.errors).toBeUndefined();
  const id = first.data!.registerMember.id;
  expect((await s.gql(REGISTER, { i: input }, service)).data!.registerMember.id).toBe(id);
  expect((await s.gql(REGISTER, { i: { ...input, displayName: 'Someone Else' } }, service)).errors?.[0].extensions?.code).toBe('CONFLICT');

  const edges = (await s.admin(ENTRIES, { id })).auditEntries.edges as { node: { actor: string; action: string; before: string | null; after: string } }[];
  expect(edges).toHaveLength(1);
  const entry = edges[0].node;
  expect(entry).toMatchObject({ action: 'member.register', before: null });
  expect(entry.actor).toContain('store-7');
  expect(JSON.parse(entry.after)).toMatchObject({ ...input, phone: null, birthday: null, gender: null, channel: null, joinedAt: expect.any(String) });
});
