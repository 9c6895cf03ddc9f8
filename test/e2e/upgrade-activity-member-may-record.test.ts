// An install upgraded from a version before Migration20261220090000_activity_member_may_record:
// its activity rules let every member's app record their kinds, and keep doing so after the
// upgrade (a brand's app is not refused overnight); a rule made afterwards says no unless told.
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { applyPendingMigrations } from '../support/migrations';

const MIGRATION = 'Migration20261220090000_activity_member_may_record';
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
});
afterAll(() => s?.stop());

const RULES = '{ activityRules { kind memberMayRecord } }';
const record = (memberId: string, kind: string, key: string, token: string) => s.gql(
  'mutation($i: RecordActivityInput!) { recordActivity(input: $i) { pointsEarned } }', { i: { memberId, kind, idempotencyKey: key } }, token);

it('rules made before the setting keep letting the app record them; a rule made after it does not, unless the admin says so', async () => {
  await s.admin('mutation { upsertActivityRule(input: { kind: "OLD_SHARE", name: "Share", points: 5, dailyCap: 10 }) { kind } }');
  // As the version before wrote it: no column, no migration recorded.
  await s.sql('alter table activity_rule drop column member_may_record');
  await s.sql('delete from mikro_orm_migrations where name = $1', [MIGRATION]);

  expect(await applyPendingMigrations(s.databaseUrl)).toEqual([MIGRATION]);
  await s.admin('mutation { upsertActivityRule(input: { kind: "NEW_REVIEW", name: "Review", points: 5 }) { kind } }');
  const rules = await s.admin<{ activityRules: { kind: string; memberMayRecord: boolean }[] }>(RULES);
  expect(rules.activityRules.filter((r) => r.kind.startsWith('OLD_') || r.kind.startsWith('NEW_')))
    .toEqual([{ kind: 'NEW_REVIEW', memberMayRecord: false }, { kind: 'OLD_SHARE', memberMayRecord: true }]);

  const member = await registerMember(s);
  const token = await s.token('member', member);
  expect((await record(member, 'OLD_SHARE', 'tap-1', token)).data).toEqual({ recordActivity: { pointsEarned: 5 } });
  expect((await record(member, 'NEW_REVIEW', 'tap-2', token)).errors?.[0].extensions).toEqual({ code: 'FORBIDDEN', field: 'kind' });
});
