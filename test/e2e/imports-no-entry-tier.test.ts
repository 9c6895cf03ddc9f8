import { createLadder } from '../support/fixtures';
import { startTestServer, type TestServer } from '../support/harness';
import { eventually } from '../support/wait';

// A programme started empty (SEED=none): no tier yet.
let s: TestServer;
let admin: string;
beforeAll(async () => {
  s = await startTestServer();
  admin = await s.token('admin');
});
afterAll(() => s?.stop());

async function importMembers(body: string): Promise<{ status: string; rowsDone: number; failure: string | null }> {
  const res = await fetch(`${s.url}/imports/members`, { method: 'POST', body, headers: { 'content-type': 'text/csv', authorization: `Bearer ${admin}` } });
  expect(res.status).toBe(202);
  const { id } = await res.json() as { id: string };
  let job: { status: string; rowsDone: number; failure: string | null } | undefined;
  await eventually(async () => {
    job = (await s.admin(`query($id: ID!) { importJob(id: $id) { status rowsDone failure } }`, { id })).importJob;
    return job!.status !== 'RUNNING';
  }, 'the import to end');
  return job!;
}

describe('a members import into a programme without its entry tier', () => {
  it('FAILS saying so (as registerMember refuses CONFLICT), not as an error of the server\'s; once the tier exists the same file goes in', async () => {
    const file = 'externalId,displayName\nnt-1,First\nnt-2,Second\n';
    expect(await importMembers(file)).toEqual({
      status: 'FAILED', rowsDone: 0, failure: 'The programme has no entry tier (rank 0): create one with upsertTier, then import the file again',
    });
    expect(await s.sql('select count(*)::int as n from member')).toEqual([{ n: 0 }]);
    await createLadder(s);
    expect(await importMembers(file)).toEqual({ status: 'SUCCEEDED', rowsDone: 2, failure: null });
  });
});
