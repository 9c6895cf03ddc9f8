import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';

/**
 * What an erasure scrubs, by the shape of what it scrubs (docs/decisions.md, "Member data
 * rights"; migration scrub_by_shape). In stored JSON (webhook payloads, audit entries) a string
 * equal to a personal value becomes null; instants, dates and identifiers are otherwise kept as
 * the ledger keeps them, and only the other strings (a reason) have the values inside them
 * scrubbed. In a text, a value is found whatever its case, as a whole word, a phone in any
 * grouping of its digits.
 */

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
  await s.sql(`insert into webhook_endpoint (id, url, event_types, active, secret, created_at, updated_at)
    values (gen_random_uuid(), 'https://hooks.example.com/loyalty', '{*}', true, 'whsec_test', now(), now())`);
});
afterAll(() => s.stop());

const scrub = async (text: string, values: string[]) =>
  (await s.sql<{ t: string }>('select text_scrub($1, $2::text[]) as t', [text, values]))[0].t;

describe('text_scrub', () => {
  const marta = ['+48 601 234 567', 'Kowalska', 'Marta', 'Marta Kowalska', 'marta.k@example.com'];

  it('finds a value whatever its case, a name by its words, a phone in any grouping of its digits', async () => {
    expect(await scrub('marta kowalska called; reply to MARTA.K@EXAMPLE.COM, then Marta again', marta))
      .toBe('[erased] called; reply to [erased], then [erased] again');
    for (const phone of ['48601234567', '+48601234567', '601 234 567', '601-234-567', '(48) 601.234.567', '+48 601 234 567'])
      expect(await scrub(`phoned back on ${phone}, twice`, marta)).toBe('phoned back on [erased], twice');
    // Other numbers stay: fewer digits, more digits, other digits.
    expect(await scrub('order 234 567, card 4860123456789, tel 601 234 568', marta)).toBe('order 234 567, card 4860123456789, tel 601 234 568');
  });

  it('whatever the case of a letter beyond ASCII too (the database is C: its own folding is ASCII only)', async () => {
    expect(await scrub('élodie świątek called; ÉLODIE ŚWIĄTEK again, Élodie alone', ['Élodie', 'Élodie Świątek', 'Świątek']))
      .toBe('[erased] called; [erased] again, [erased] alone');
    expect(await scrub('ΣΊΣΥΦΟΣ and σίσυφος', ['Σίσυφος'])).toBe('[erased] and [erased]');
  });

  it('a value only as a whole word: not inside an order id, a date or a longer word', async () => {
    expect(await scrub('order SO-20261206-0042 of 2026-12-06 for 2026 at Linen Lane; Lin came', ['2026', 'Lin']))
      .toBe('order SO-20261206-0042 of [erased]-12-06 for [erased] at Linen Lane; [erased] came');
  });

  it('three characters or more, two beyond ASCII (a Chinese name); regex characters in a value are its own', async () => {
    expect(await scrub('王芳来电，Al and Bo too', ['王芳', 'Al', 'Bo'])).toBe('[erased]来电，Al and Bo too');
    expect(await scrub('a.b+c(d)\\e and aXb+c(d)\\e', ['a.b+c(d)\\e'])).toBe('[erased] and aXb+c(d)\\e');
    expect(await scrub('no value at all', [])).toBe('no value at all');
  });
});

describe('jsonb_scrub', () => {
  it('keeps instants, dates and identifiers; nulls a value given whole; scrubs inside the other strings', async () => {
    const data = {
      member: { id: 'a1', externalId: '2026' }, occurredAt: '2026-12-06T18:55:58.396Z', activatesAt: '2026-12-06', orderId: 'SO-2026-1',
      reference: 'purchase:2026', source: 'order 2026', couponCode: 'C-2026', toTier: 'GOLD', reason: 'goodwill for 2026 after a call', note: '2026',
      lines: ['for 2026', { refundId: 'r-2026' }],
    };
    const [row] = await s.sql<{ j: unknown }>('select jsonb_scrub($1::jsonb, $2::text[]) as j', [JSON.stringify(data), ['2026']]);
    expect(row.j).toEqual({
      ...data, member: { id: 'a1', externalId: null }, reason: 'goodwill for [erased] after a call', note: null,
      lines: ['for [erased]', { refundId: 'r-2026' }],
    });
  });
});

it('an erased member whose externalId is short keeps its events\' instants and order ids; its reasons lose every spelling of it', async () => {
  // This year: in every instant the server writes today (joinedAt, occurredAt).
  const ext = String(new Date().getUTCFullYear());
  const id = await registerMember(s, { externalId: ext, displayName: 'Marta Kowalska', email: 'marta.k@example.com', phone: '+48 601 234 567' });
  const orderId = `SO-${ext}1206-0042`;
  await s.admin('mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }', { i: { memberId: id, orderId, amount: 120 } });
  await s.admin('mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { id } }', {
    i: { memberId: id, amount: 5, reason: `marta called about order ${orderId}; call back on 601-234-567`, idempotencyKey: `adj-${ext}` },
  });
  const before = await s.sql<{ type: string; data: any }>('select type, data from webhook_event where member_id = $1 order by id', [id]);
  await s.admin('mutation($id: ID!) { eraseMember(memberId: $id, reason: "request from MARTA KOWALSKA") { erasedAt } }', { id });
  const after = await s.sql<{ type: string; data: any }>('select type, data from webhook_event where member_id = $1 order by id', [id]);

  const recorded = after.find((e) => e.type === 'purchase.recorded')!;
  const recordedBefore = before.find((e) => e.type === 'purchase.recorded')!;
  expect(recorded.data).toEqual({ ...recordedBefore.data, member: { id, externalId: null } });
  const adjusted = after.find((e) => e.type === 'points.adjusted')!;
  expect(adjusted.data.reason).toBe(`[erased] called about order ${orderId}; call back on [erased]`);
  const erased = after.find((e) => e.type === 'member.erased')!;
  expect(erased.data.reason).toBe('request from [erased]');
  const [ledger] = await s.sql<{ reason: string }>(`select reason from point_transaction where member_id = $1 and type = 'ADJUST'`, [id]);
  expect(ledger.reason).toBe(adjusted.data.reason);
  const [register] = await s.sql<{ after: { joinedAt: string } }>(`select after from audit_entry where entity_id = $1 and action = 'member.register'`, [id]);
  expect(register.after.joinedAt).toMatch(new RegExp(`^${ext}-\\d\\d-\\d\\dT`));
});
