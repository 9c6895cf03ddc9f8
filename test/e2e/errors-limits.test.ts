import { expectError, startTestServer, type TestServer } from '../support/harness';
import { createLadder } from '../support/fixtures';

let s: TestServer;
let admin: string;
beforeAll(async () => {
  s = await startTestServer({ maxQueryCost: 500, maxQueryDepth: 5 });
  admin = await s.token('admin');
  await createLadder(s);
});
afterAll(() => s.stop());

describe('unexpected errors are masked', () => {
  it('a database failure reaches the client as INTERNAL_SERVER_ERROR without SQL or stack', async () => {
    await s.sql('alter table audit_entry rename to audit_entry_gone');
    try {
      const res = await s.gql('{ auditLog { id } }', {}, admin);
      expect(res.errors).toEqual([{ message: 'Internal server error', path: ['auditLog'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
      expect(JSON.stringify(res)).not.toMatch(/select|audit_entry|stack|at /i);
    } finally {
      await s.sql('alter table audit_entry_gone rename to audit_entry');
    }
  });

  it('a failed write changes nothing (the audit entry and the change share a transaction)', async () => {
    await s.sql('alter table audit_entry add constraint no_more check (false) not valid');
    try {
      const res = await s.gql('mutation { updateProgram(input: { tierNoticeDays: 7 }) { tierNoticeDays } }', {}, admin);
      expectError(res, 'INTERNAL_SERVER_ERROR');
      expect(await s.sql('select tier_notice_days from program')).toEqual([{ tier_notice_days: 30 }]);
    } finally {
      await s.sql('alter table audit_entry drop constraint no_more');
    }
  });
});

describe('request errors are explained', () => {
  it('syntax and validation errors keep their GraphQL codes', async () => {
    expectError(await s.gql('{ program { ', {}, admin), 'GRAPHQL_PARSE_FAILED');
    expectError(await s.gql('{ program { nope } }', {}, admin), 'GRAPHQL_VALIDATION_FAILED');
    expectError(await s.gql('query($f: Int) { members(first: $f) { totalCount } }', { f: 'x' }, admin), 'BAD_USER_INPUT');
  });

  it('a value written in the document that its input does not take is BAD_USER_INPUT naming the field, as the same value sent as a variable is', async () => {
    const service = await s.token('service');
    const id = '00000000-0000-4000-8000-000000000001';
    const inline = (input: string) => s.gql(`mutation { recordPurchase(input: { ${input} }) { pointsEarned } }`, {}, service);
    const asVariable = (input: Record<string, unknown>) => s.gql('mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }', { i: input }, service);
    // The wrong type, a required field left out, a field the input does not have: each the same either way.
    for (const [written, sent, field] of [
      [`memberId: "${id}", orderId: "a", amount: "1"`, { memberId: id, orderId: 'a', amount: '1' }, 'amount'],
      [`memberId: "${id}", orderId: "a"`, { memberId: id, orderId: 'a' }, 'amount'],
      [`memberId: "${id}", orderId: "a", amount: 1, extra: 2`, { memberId: id, orderId: 'a', amount: 1, extra: 2 }, 'extra'],
      [`memberId: "${id}", orderId: null, amount: 1`, { memberId: id, orderId: null, amount: 1 }, 'orderId'],
    ] as const) {
      for (const res of [await inline(written), await asVariable(sent)]) {
        expect(res.status).toBe(400);
        expectError(res, 'BAD_USER_INPUT', field);
      }
    }
    // Within a list, the list's field; an argument's own value, the argument.
    expectError(await s.gql('{ members(first: "ten") { totalCount } }', {}, admin), 'BAD_USER_INPUT', 'first');
    // A required argument left out, as a required variable not sent.
    expectError(await s.gql(`mutation { setMemberTier(memberId: "${id}", reason: "desk") { id } }`, {}, admin), 'BAD_USER_INPUT', 'tierCode');
    expectError(await s.gql(`mutation($t: String!) { setMemberTier(memberId: "${id}", tierCode: $t, reason: "desk") { id } }`, {}, admin), 'BAD_USER_INPUT', 't');
    // A document that asks for what the schema does not have is still GraphQL's validation failure.
    expectError(await s.gql('{ members(nope: 1) { totalCount } }', {}, admin), 'GRAPHQL_VALIDATION_FAILED');
    expect(await s.sql('select count(*)::int as n from purchase')).toEqual([{ n: 0 }]);
  });
});

describe('abuse limits refuse a query before any resolver runs', () => {
  it('query cost: page size times child cost', async () => {
    const res = await s.gql('{ members(first: 100) { edges { node { id tier { name qualifyingPoints retainPoints } } } } }', {}, admin);
    expectError(res, 'QUERY_TOO_COMPLEX');
    expect(res.status).toBe(400);
    const small = await s.gql('{ members(first: 10) { edges { node { id tier { name } } } } }', {}, admin);
    expect(small.errors).toBeUndefined();
  });

  it('a first above the largest page is the field\'s BAD_USER_INPUT, not a cost refusal: it costs what a page of 100 would', async () => {
    for (const first of [101, 500, 2147483647]) {
      const feed = await s.gql(`{ tierChangeFeed(first: ${first}) { pageInfo { hasNextPage } } }`, {}, admin); // a page of 100 costs 201 (MAX_QUERY_COST 500 here)
      expectError(feed, 'BAD_USER_INPUT', 'first');
      expect(feed.errors![0].message).toBe('first must be at most 100');
      expectError(await s.gql(`{ winBackCandidates(first: ${first}) { id } }`, {}, admin), 'BAD_USER_INPUT', 'first');
    }
    // a list of 100 whose items cost too much is still refused before anything runs
    expectError(await s.gql('{ members(first: 1000) { edges { node { id tier { name qualifyingPoints retainPoints } } } } }', {}, admin), 'QUERY_TOO_COMPLEX');
  });

  it('depth', async () => {
    const res = await s.gql('{ members(first: 1) { edges { node { tierProgress { nextTier { name } } } } } }', {}, admin);
    expectError(res, 'QUERY_TOO_COMPLEX');
    expect(res.errors![0].message).toBe('Query depth 6 exceeds the maximum of 5');
    const ok = await s.gql('{ members(first: 1) { edges { node { tier { name } } } } }', {}, admin);
    expect(ok.errors).toBeUndefined();
  });

  it('aliases', async () => {
    const many = Array.from({ length: 31 }, (_, i) => `a${i}: program { tierNoticeDays }`).join(' ');
    const res = await s.gql(`{ ${many} }`, {}, admin);
    expectError(res, 'QUERY_TOO_COMPLEX');
    expect(res.errors![0].message).toBe('31 aliases exceed the maximum of 30');
    const fine = Array.from({ length: 5 }, (_, i) => `a${i}: program { tierNoticeDays }`).join(' ');
    expect((await s.gql(`{ ${fine} }`, {}, admin)).errors).toBeUndefined();
  });

  it('request body size', async () => {
    const res = await fetch(`${s.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ query: `{ program { tierNoticeDays } } # ${'x'.repeat(200_000)}` }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ errors: [{ message: 'Request body too large', extensions: { code: 'BAD_REQUEST' } }] });
  });
});
