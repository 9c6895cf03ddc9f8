import { getIntrospectionQuery } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { request } from 'node:http';
import WebSocket from 'ws';
import { abuseDocuments } from '../support/abuse-documents';
import { createLadder, registerMember } from '../support/fixtures';
import { expectError, startTestServer, type TestServer } from '../support/harness';
import * as ops from '../support/operations';
import { eventually } from '../support/wait';

// Generous bounds, far above what a refusal costs (a few ms) and far below what these
// documents cost before (seconds, or a hang): CPU time of this process, which runs the server
// (the stall and the wait for /healthz too: see measured).
const CPU_BOUND_MS = 1000;
const STALL_BOUND_MS = 1000;

let s: TestServer;
let admin: string;
let member: string;
let memberId: string;
beforeAll(async () => {
  // No budget for new documents here (it is tested on its own below): a refusal's CPU time
  // is measured while /healthz is polled, and a wait for the budget would count the polling.
  s = await startTestServer({ documentCheckShare: 1 });
  admin = await s.token('admin');
  await createLadder(s);
  memberId = await registerMember(s, { displayName: 'Ada' });
  member = await s.token('member', memberId);
});
afterAll(() => s.stop());

async function post(body: unknown, token?: string | null, headers: Record<string, string> = {}) {
  const res = await fetch(`${s.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] } };
}

/** CPU time this process has used since `since` (process.cpuUsage), in ms. */
const cpuMsSince = (since: NodeJS.CpuUsage) => { const d = process.cpuUsage(since); return (d.user + d.system) / 1000; };

/**
 * Sends one request while /healthz is polled; measures this process's CPU time (the server
 * runs in it), the longest event-loop stall and the slowest /healthz answer meanwhile. The stall
 * and the wait for /healthz are measured in this process's CPU time too, not the clock's: what
 * the server computed while the loop could not turn, or /healthz waited. On a loaded machine
 * the process also waits for a core, which the clock counts (a /healthz answer took 1.4 s of
 * the clock there, with two busy loops on the test's core) and which is no work of the server's.
 */
async function measured<T>(send: () => Promise<T>) {
  let tick = process.cpuUsage();
  let stallMs = 0;
  const ticker = setInterval(() => {
    stallMs = Math.max(stallMs, cpuMsSince(tick));
    tick = process.cpuUsage();
  }, 10);
  let done = false;
  let slowestHealthz = 0;
  const poll = (async () => {
    while (!done) {
      const c0 = process.cpuUsage();
      const res = await fetch(`${s.url}/healthz`);
      expect(res.status).toBe(200);
      slowestHealthz = Math.max(slowestHealthz, cpuMsSince(c0));
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const cpu0 = process.cpuUsage();
  const result = await send();
  const cpuMs = cpuMsSince(cpu0);
  done = true;
  await poll;
  clearInterval(ticker);
  stallMs = Math.max(stallMs, cpuMsSince(tick));
  return { result, cpuMs, stallMs, slowestHealthz };
}

describe('the worst documents are refused quickly and /healthz keeps answering', () => {
  for (const doc of abuseDocuments) {
    it(`${doc.name} (${(doc.query.length / 1000).toFixed(1)} kB): ${doc.expect}`, async () => {
      for (const token of [null, member]) {
        const { result, cpuMs, stallMs, slowestHealthz } = await measured(() => post({ query: doc.query }, token));
        expect(result.status).toBe(400);
        expect(result.body.errors?.[0]?.extensions?.code).toBe(doc.expect);
        expect(cpuMs).toBeLessThan(CPU_BOUND_MS);
        expect(stallMs).toBeLessThan(STALL_BOUND_MS);
        expect(slowestHealthz).toBeLessThan(STALL_BOUND_MS);
      }
    });
  }

  it('a GET request is checked as a POST is', async () => {
    const bomb = abuseDocuments[0];
    const res = await fetch(`${s.url}/graphql?query=${encodeURIComponent(bomb.query)}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
  });

  it('a GET whose URL holds a `#` is checked on the document Apollo runs (its search ends at the `#`)', async () => {
    // fetch drops a URL's fragment; node:http sends the path as written, as a raw client can.
    const get = (path: string) => new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = request({ host: new URL(s.url).hostname, port: new URL(s.url).port, path, headers: { 'apollo-require-preflight': 'true' } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => { text += c; }).on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      });
      req.on('error', reject).end();
    });
    const aliases = encodeURIComponent(`{ ${Array.from({ length: 31 }, (_, i) => `a${i}: __typename`).join(' ')} }`);
    for (const path of [`/graphql?query=${aliases}`, `/graphql?query=${aliases}#&query=x`, `/graphql?query=${aliases}#`]) {
      const res = await get(path);
      expect({ path, status: res.status, code: res.body.errors?.[0]?.extensions?.code, data: res.body.data })
        .toEqual({ path, status: 400, code: 'QUERY_TOO_COMPLEX', data: undefined });
    }
  });

  it('limits say which limit and never echo the document', async () => {
    const res = await post({ query: `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: tiers { code }`).join(' ')} }` }, admin);
    expect(res.body.errors).toEqual([{ message: '31 aliases exceed the maximum of 30', extensions: { code: 'QUERY_TOO_COMPLEX' } }]);
  });
});

describe('checking new documents has its share of the event loop', () => {
  it('a flood of new documents waits its turn; a known query and /healthz are answered meanwhile', async () => {
    // 0.1% of the loop, 1 ms banked: thirty refused documents take seconds to check, on any machine.
    const t = await startTestServer({ databaseUrl: s.databaseUrl, documentCheckShare: 0.001 });
    const abort = new AbortController();
    try {
      expect((await t.gql(ops.MEMBER_HOME, {}, member)).errors).toBeUndefined(); // now a known text
      let answered = 0;
      const flood = Array.from({ length: 30 }, (_, i) => fetch(`${t.url}/graphql`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ nope${i} }` }), signal: abort.signal,
      }).then((res) => { answered++; return res.status; }, () => 'aborted'));
      const known = await t.gql(ops.MEMBER_HOME, {}, member);
      const health = await fetch(`${t.url}/healthz`);
      expect(known.errors).toBeUndefined();
      expect(health.status).toBe(200);
      expect(answered).toBeLessThan(30);
      abort.abort();
      expect(new Set(await Promise.all(flood))).toEqual(new Set([...(answered ? [400] : []), 'aborted']));
    } finally {
      await t.stop();
    }
  });
});

describe('the operations real clients send are allowed', () => {
  it('the member app: home screen and rewards', async () => {
    const home = await s.gql(ops.MEMBER_HOME, {}, member);
    expect(home.errors).toBeUndefined();
    expect(home.data!.me.id).toBe(memberId);
    const rewards = await s.gql(ops.MEMBER_REWARDS, {}, member);
    expect(rewards.errors).toBeUndefined();
  });

  it('the console: member profile with ledger, tier history and redemptions; segment page; dashboard', async () => {
    const profile = await s.gql(ops.CONSOLE_MEMBER_PROFILE, { id: memberId }, admin);
    expect(profile.errors).toBeUndefined();
    expect(profile.data!.member.id).toBe(memberId);
    const { saveSegment } = await s.admin('mutation { saveSegment(input: { name: "Everyone", filter: {} }) { id } }');
    const segment = await s.gql(ops.CONSOLE_SEGMENT, { id: saveSegment.id }, admin);
    expect(segment.errors).toBeUndefined();
    const dashboard = await s.gql(ops.CONSOLE_DASHBOARD, { from: '2025-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, admin);
    expect(dashboard.errors).toBeUndefined();
  });

  it('the README tour, and the IDE\'s introspection query', async () => {
    expect((await s.gql(ops.README_TOUR, {}, admin)).errors).toBeUndefined();
    const purchase = await s.gql(ops.README_PURCHASE, { i: { memberId, orderId: 'order-1001', amount: 129.9 } }, await s.token('service'));
    expect(purchase.errors).toBeUndefined();
    const introspection = await s.gql(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true }), {}, admin);
    expect(introspection.errors).toBeUndefined();
    expect(introspection.data!.__schema.types.length).toBeGreaterThan(20);
  });
});

describe('the WebSocket path applies the same check, and a refused operation leaves the socket open', () => {
  let client: Client;
  const socket = { connected: 0, closed: 0 };
  beforeAll(() => {
    client = createClient({
      url: s.url.replace(/^http/, 'ws') + '/graphql',
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${member}` },
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => {},
      on: { connected: () => void socket.connected++, closed: () => void socket.closed++ },
    });
  });
  afterAll(() => client.dispose());

  /** The first thing the server answers to one subscribe message (it completes the operation after). */
  const answer = (query: string, variables?: Record<string, unknown>) => new Promise<any>((resolve) => {
    client.subscribe({ query, variables }, {
      next: (value) => resolve(value.errors ?? value),
      error: (err) => resolve(err),
      complete: () => resolve('complete'),
    });
  });
  const codeOf = (answered: any) => (Array.isArray(answered) ? answered[0]?.extensions?.code : `not an error list: ${String(answered?.code ?? answered)}`);

  it('syntax errors, unknown fields, wrong variables and every abuse document under the frame limit', async () => {
    expect(codeOf(await answer('subscription { tierChanged( }'))).toBe('GRAPHQL_PARSE_FAILED');
    expect(codeOf(await answer('subscription { tierChanged { nope } }'))).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(codeOf(await answer('subscription($id: ID) { tierChanged(memberId: $id) { kind } }', { id: { not: 'an id' } }))).toBe('BAD_USER_INPUT');
    for (const doc of abuseDocuments.filter((d) => d.query.length < 60_000)) {
      const { result, cpuMs } = await measured(() => answer(doc.query));
      expect([doc.name, codeOf(result)]).toEqual([doc.name, doc.expect]);
      expect(cpuMs).toBeLessThan(CPU_BOUND_MS);
    }
    expect(socket).toEqual({ connected: 1, closed: 0 });
  });

  it('then a good subscription on the same socket receives its event', async () => {
    const before = s.app.pubSub.subscriberCount('TIER_CHANGED');
    const event = new Promise<any>((resolve, reject) => {
      client.subscribe({ query: ops.README_SUBSCRIPTION, variables: { id: memberId } }, { next: resolve, error: reject, complete: () => {} });
    });
    // Once the server holds the subscription (graphql-ws acknowledges the socket, not the
    // subscription: its own count is the condition), a purchase that crosses SILVER publishes the
    // change to it. A fixed pause let a purchase on a slow machine be published before it.
    await eventually(() => s.app.pubSub.subscriberCount('TIER_CHANGED') === before + 1, 'the subscription');
    const res = await s.gql(ops.README_PURCHASE, { i: { memberId, orderId: 'order-ws', amount: 2000 } }, await s.token('service'));
    expect(res.errors).toBeUndefined();
    expect((await event).data.tierChanged.kind).toBe('UPGRADE');
    expect(socket).toEqual({ connected: 1, closed: 0 });
  });
});

describe('client mistakes in the request are 4xx that say what is wrong', () => {
  it('a wrongly typed variable is 400 BAD_USER_INPUT, also where the cost reads it', async () => {
    const paged = await post({ query: 'query($f: Int) { members(first: $f) { totalCount } }', variables: { f: 'x' } }, admin);
    expect(paged.status).toBe(400);
    expectError({ status: paged.status, ...paged.body } as any, 'BAD_USER_INPUT');
    const input = await post({ query: ops.README_PURCHASE, variables: { i: { memberId, orderId: 'o-typed', amount: 'lots' } } }, await s.token('service'));
    expect(input.status).toBe(400);
    expect(input.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(input.body.errors?.[0]?.message).toMatch(/amount/);
  });

  it('a malformed JSON body says it is not valid JSON, without a stack', async () => {
    const res = await post('{"query": }', admin);
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0].extensions?.code).toBe('BAD_REQUEST');
    expect(res.body.errors![0].message).toMatch(/^Request body is not valid JSON: Unexpected token/);
    expect(JSON.stringify(res.body)).not.toMatch(/ at |\.js:|node_modules/);
    const strict = await post('"just a string"', admin);
    expect([strict.status, strict.body.errors![0].message]).toEqual([400, expect.stringMatching(/^Request body is not valid JSON/)]);
  });

  it('an unsupported charset is 415 and names it', async () => {
    const res = await post('{"query":"{ tiers { code } }"}', admin, { 'content-type': 'application/json; charset=latin9' });
    expect(res.status).toBe(415);
    expect(res.body.errors![0].message).toBe('Unsupported charset "latin9": send JSON in UTF-8');
  });
});

describe('fields that named fragments bring to one selection set', () => {
  const frags = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `...P${i}`).join(' ')} } ${Array.from({ length: n }, (_, i) => `fragment P${i} on Query { program { timeZone } }`).join(' ')}`;

  it('colocated fragments may each ask for the same field with selections, up to five times; leaves and one fragment spread again are not counted', async () => {
    // What urql and Apollo Client send: __typename in every fragment; six fragments on one member.
    const typed = await post({ query: `query($id: ID!) { member(id: $id) { ${Array.from({ length: 6 }, (_, i) => `...M${i}`).join(' ')} } }
      ${['id', 'displayName', 'pointsBalance', 'pendingPoints', 'lifetimePoints', 'joinedAt'].map((f, i) => `fragment M${i} on Member { __typename id ${f} }`).join(' ')}`, variables: { id: memberId } }, admin);
    expect(typed.body.errors).toBeUndefined();
    expect(typed.body.data.member).toMatchObject({ __typename: 'Member', id: memberId, displayName: 'Ada' });
    const again = await post({ query: `{ ${'...P0 '.repeat(8)} } fragment P0 on Query { program { timeZone } }` }, admin);
    expect(again.body.errors).toBeUndefined();
    const colocated = await post({ query: 'query { ...Header ...Balance } fragment Header on Query { me { id displayName } } fragment Balance on Query { me { pointsBalance } }' }, member);
    expect(colocated.body.errors).toBeUndefined();
    expect(colocated.body.data.me).toEqual({ id: memberId, displayName: 'Ada', pointsBalance: expect.any(Number) });
    const five = await post({ query: frags(5) }, admin);
    expect(five.body.errors).toBeUndefined();
    expect(five.body.data.program.timeZone).toEqual(expect.any(String));
  });

  it('a sixth is refused before validation, directly or through nested fragments', async () => {
    for (const query of [frags(6), frags(52),
      // A brings four (its own, B's, D's through B, C's), E a fifth, the selection's own is the sixth.
      '{ ...A ...E program { timeZone } } fragment A on Query { ...B ...C program { tierNoticeDays } } fragment B on Query { program { pointsPerUnit } ...D } '
        + 'fragment C on Query { program { downgradePolicy } } fragment D on Query { program { tierValidityMonths } } fragment E on Query { program { pointsPendingDays } }']) {
      const res = await post({ query }, admin);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expect(res.body.errors?.[0]).toMatchObject({ message: '"program" appears more than 5 times in one selection set through its fragments', extensions: { code: 'QUERY_TOO_COMPLEX' } });
    }
  });
});

describe('a field with selections written more than once in one selection set', () => {
  it('is merged as GraphQL merges it, up to five times, also through inline fragments and @include', async () => {
    const docs: [string, Record<string, unknown>][] = [
      ['query($full: Boolean!) { me { tier { code } ... @include(if: $full) { tier { name rank } } } }', { full: true }],
      ['{ me { tier { code } ... on Member { tier { name rank } } } }', {}],
      ['{ me { tier { code } tier { name } tier { rank } } }', {}],
    ];
    for (const [query, variables] of docs) {
      const res = await post({ query, variables }, member);
      expect({ query, status: res.status, errors: res.body.errors }).toEqual({ query, status: 200, errors: undefined });
      expect(res.body.data.me.tier).toMatchObject({ code: expect.any(String) });
    }
    const merged = await post({ query: docs[0][0], variables: { full: true } }, member);
    expect(Object.keys(merged.body.data.me.tier).sort()).toEqual(['code', 'name', 'rank']);
    const five = await post({ query: `{ ${'program { timeZone } '.repeat(5)} }` }, admin);
    expect(five.body.errors).toBeUndefined();
  });

  it('is refused past five, or when a copy repeats a field below it too (copies within copies: validation grows with their product)', async () => {
    const six = await post({ query: `{ ${'program { timeZone } '.repeat(6)} }` }, admin);
    expect(six.body.errors?.[0]).toMatchObject({ message: '"program" appears more than 5 times in one selection set', extensions: { code: 'QUERY_TOO_COMPLEX' } });
    for (const query of [
      '{ me { tier { code benefits { code } benefits { name } } tier { name } } }',
      '{ me { tier { name } ... on Member { tier { benefits { code } ... on Tier { benefits { name } } } } } }',
    ]) {
      const res = await post({ query }, member);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expect(res.body.errors?.[0]).toMatchObject({ message: '"tier" appears more than once in one selection set and repeats a field below it: ask for it once, with all its fields', extensions: { code: 'QUERY_TOO_COMPLEX' } });
    }
  });
});

describe('the media type of an answer follows Accept (GraphQL over HTTP)', () => {
  const typeOf = async (body: string, accept: string | null, token: string | null = admin) => {
    const res = await fetch(`${s.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(accept ? { accept } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });
    await res.text();
    return [res.status, res.headers.get('content-type')];
  };
  const GRAPHQL_RESPONSE = 'application/graphql-response+json; charset=utf-8';
  const JSON_TYPE = 'application/json; charset=utf-8';

  it('answers application/graphql-response+json when Accept ranks it first, the early refusals too; JSON otherwise', async () => {
    const accept = 'application/graphql-response+json, application/json;q=0.9';
    expect(await typeOf('{"query":"{ program { timeZone } }"}', accept)).toEqual([200, GRAPHQL_RESPONSE]);
    expect(await typeOf('{"query":"{ program { "}', accept)).toEqual([400, GRAPHQL_RESPONSE]); // refused by the document checks
    expect(await typeOf('{"query":"{ program { nope } }"}', accept)).toEqual([400, GRAPHQL_RESPONSE]);
    expect(await typeOf('{"query": }', accept)).toEqual([400, GRAPHQL_RESPONSE]); // not JSON
    expect(await typeOf('{"query":"{ program { timeZone } }"}', accept, 'not-a-token')).toEqual([401, GRAPHQL_RESPONSE]);
    for (const plain of [null, 'application/json', '*/*', 'application/json, application/graphql-response+json;q=0.9']) {
      expect(await typeOf('{"query":"{ program { "}', plain)).toEqual([400, JSON_TYPE]);
      expect(await typeOf('{"query":"{ program { timeZone } }"}', plain, 'not-a-token')).toEqual([401, JSON_TYPE]);
    }
  });
});
