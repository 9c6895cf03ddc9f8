// Campaign codes order by code point wherever the order of an event's campaigns is taken, also
// on a database whose collation is a language's (a DATABASE_URL server made with en_US, say):
// the awards apply in (startsAt, code) order by JavaScript's `<`, and a refund reverses them in
// the order SQL reads them back. Here the code column is given ICU's root collation, under which
// "ax" sorts before "Bx" (by code point, "Bx" comes first).
import { sourceAwards } from '../../src/modules/campaigns/campaign-effects.repository';
import { inSqlTransaction } from '../../src/db/transaction';
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
  await s.sql(`alter table campaign alter column code type text collate "und-x-icu"`);
});
afterAll(() => s?.stop());

it('an event\'s awards read back for a refund in the order they applied, whatever the column\'s collation', async () => {
  expect(await s.sql(`select code from (values ('Bx'), ('ax')) v(code) order by code collate "und-x-icu"`)).toEqual([{ code: 'ax' }, { code: 'Bx' }]);
  for (const code of ['ax', 'Bx']) {
    await s.sql(
      `insert into campaign (id, code, name, trigger, status, starts_at, bonus_points, control_percent, activated_at)
       values (gen_random_uuid(), $1, $1, 'PURCHASE', 'ACTIVE', '2020-01-01T00:00:00Z', 10, 0, now())`, [code],
    );
  }
  const id = await registerMember(s, { externalId: 'coll-1' });
  const bought = await s.admin(`mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { bonusPoints } }`, { i: { memberId: id, orderId: 'coll-o1', amount: 10 } });
  expect(bought.recordPurchase.bonusPoints).toBe(20);
  // The order they applied in: their BONUS transactions' ids.
  const applied = await s.sql<{ code: string }>(
    `select c.code from campaign_award a join campaign c on c.id = a.campaign_id where a.member_id = $1 order by a.transaction_id`, [id],
  );
  expect(applied.map((r) => r.code)).toEqual(['Bx', 'ax']);
  const read = await inSqlTransaction(s.app.orm.em.fork(), (tx) => sourceAwards(tx, id, 'purchase:coll-o1'));
  expect(read.map((r) => r.code)).toEqual(['Bx', 'ax']);
});
