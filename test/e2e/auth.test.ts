import { SignJWT } from 'jose';
import { expectError, startTestServer, type TestServer, JWT_SECRET } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { TestClock } from '../support/clock';
import { eventually } from '../support/wait';

let s: TestServer;
/** The server's "now": the expiry test moves it past a token's exp instead of sleeping until then. */
const clock = new TestClock();
let memberId: string;
let otherId: string;

beforeAll(async () => {
  s = await startTestServer({ clock });
  await createLadder(s);
  memberId = await registerMember(s, { externalId: 'auth-1' });
  otherId = await registerMember(s, { externalId: 'auth-2' });
});
afterAll(() => s.stop());

async function forged(): Promise<string> {
  return new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('intruder')
    .setExpirationTime('1h').sign(new TextEncoder().encode('not-the-secret'));
}
async function expired(): Promise<string> {
  return new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('late')
    .setIssuedAt(Math.floor(Date.now() / 1000) - 7200).setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
    .sign(new TextEncoder().encode(JWT_SECRET));
}
async function badRole(): Promise<string> {
  return new SignJWT({ role: 'superuser' }).setProtectedHeader({ alg: 'HS256' }).setSubject('x')
    .setExpirationTime('1h').sign(new TextEncoder().encode(JWT_SECRET));
}

const OPS = {
  program: { query: '{ program { pointsPerUnit } }', allowed: ['member', 'service', 'admin'] },
  tiers: { query: '{ tiers { code } }', allowed: ['member', 'service', 'admin'] },
  updateProgram: { query: 'mutation { updateProgram(input: { tierNoticeDays: 30 }) { tierNoticeDays } }', allowed: ['admin'] },
  upsertTier: {
    query: 'mutation { upsertTier(input: { code: "BRONZE", name: "Bronze", rank: 0, qualifyingPoints: 0, retainPoints: 0 }) { code } }',
    allowed: ['admin'],
  },
  members: { query: '{ members(first: 1) { totalCount } }', allowed: ['admin'] },
  auditLog: { query: '{ auditLog(first: 1) { id } }', allowed: ['admin'] },
  registerMember: { query: 'mutation { registerMember(input: { externalId: "auth-1" }) { id } }', allowed: ['service', 'admin'] },
  me: { query: '{ me { id } }', allowed: ['member'] },
} as const;

describe('without a valid token nothing but health answers', () => {
  const cases: [string, () => Promise<string | null>][] = [
    ['no token', async () => null], ['forged token', forged], ['expired token', expired], ['unknown role', badRole],
  ];
  for (const [label, make] of cases) {
    it(`${label}: every operation group is UNAUTHENTICATED`, async () => {
      const token = await make();
      for (const op of Object.values(OPS)) {
        const res = await s.gql(op.query, {}, token);
        expect(res.data?.[Object.keys(res.data ?? {})[0]] ?? null).toBeNull();
        expectError(res, 'UNAUTHENTICATED');
      }
    });
  }

  it('a token that verified once is still refused once it expires', async () => {
    // Valid for an hour by the server's clock, however slow the first request; then the clock
    // moves past exp (the verifier remembers a verified token, but never past its exp).
    const exp = Math.floor(clock.now().getTime() / 1000) + 3600;
    const token = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('brief')
      .setExpirationTime(exp).sign(new TextEncoder().encode(JWT_SECRET));
    expect((await s.gql(OPS.members.query, {}, token)).errors).toBeUndefined();
    clock.advance(exp * 1000 - clock.now().getTime() + 1000);
    try {
      expectError(await s.gql(OPS.members.query, {}, token), 'UNAUTHENTICATED');
    } finally {
      clock.reset();
    }
    expect((await s.gql(OPS.members.query, {}, token)).errors).toBeUndefined();
  });

  it('health is open', async () => {
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });
});

describe('each role on each operation group', () => {
  for (const role of ['member', 'service', 'admin'] as const) {
    it(`${role}`, async () => {
      const token = await s.token(role, role === 'member' ? memberId : undefined);
      for (const [name, op] of Object.entries(OPS)) {
        const res = await s.gql(op.query, {}, token);
        if ((op.allowed as readonly string[]).includes(role)) {
          expect({ name, errors: res.errors }).toEqual({ name, errors: undefined });
        } else {
          expect({ name, code: res.errors?.[0]?.extensions?.code }).toEqual({ name, code: 'FORBIDDEN' });
        }
      }
    });
  }

  it('a member sees itself and no other member', async () => {
    const token = await s.token('member', memberId);
    const self = await s.gql('query($id: ID!) { member(id: $id) { id } }', { id: memberId }, token);
    expect(self.data).toEqual({ member: { id: memberId } });
    const me = await s.gql('{ me { id externalId } }', {}, token);
    expect(me.data).toEqual({ me: { id: memberId, externalId: 'auth-1' } });
    const other = await s.gql('query($id: ID!) { member(id: $id) { id } }', { id: otherId }, token);
    expectError(other, 'FORBIDDEN');
  });

  it('a member id in capitals is the same id, in an argument and in a token\'s sub (iOS writes UUIDs so)', async () => {
    const upper = memberId.toUpperCase();
    const token = await s.token('member', memberId);
    expect((await s.gql('query($id: ID!) { member(id: $id) { id } }', { id: upper }, token)).data).toEqual({ member: { id: memberId } });
    const upperToken = await s.token('member', upper);
    expect((await s.gql('{ me { id } }', {}, upperToken)).data).toEqual({ me: { id: memberId } });
    expect((await s.gql('query($id: ID!) { member(id: $id) { id } }', { id: memberId }, upperToken)).data).toEqual({ member: { id: memberId } });
    expectError(await s.gql('query($id: ID!) { member(id: $id) { id } }', { id: otherId.toUpperCase() }, upperToken), 'FORBIDDEN');
    // Its own tier changes reach a subscription that names it in capitals, with a token whose sub is in capitals.
    const client = s.ws(upperToken);
    const got = new Promise<any>((resolve) => {
      client.subscribe({ query: 'subscription($id: ID) { tierChanged(memberId: $id) { memberId toTier { code } } }', variables: { id: upper } }, {
        next: (v) => resolve(v), error: (e) => resolve({ error: e }), complete: () => {},
      });
    });
    await eventually(() => s.app.pubSub.subscriberCount('TIER_CHANGED') >= 1, 'the subscription');
    await s.admin('mutation($id: ID!) { setMemberTier(memberId: $id, tierCode: "GOLD", reason: "capitals") { id } }', { id: upper });
    expect(await got).toEqual({ data: { tierChanged: { memberId, toTier: { code: 'GOLD' } } } });
    await client.dispose();
  });

  it('service and admin see any member', async () => {
    for (const role of ['service', 'admin'] as const) {
      const res = await s.gql('query($id: ID!) { member(id: $id) { id } }', { id: otherId }, await s.token(role));
      expect(res.data).toEqual({ member: { id: otherId } });
    }
  });
});

describe('graphql-ws applies the same token rules', () => {
  it('refuses a socket without a valid token', async () => {
    for (const token of [null, await forged(), await expired()]) {
      const client = s.ws(token);
      const outcome = await new Promise<string>((resolve) => {
        client.subscribe({ query: '{ program { pointsPerUnit } }' }, {
          next: () => resolve('data'), error: () => resolve('error'), complete: () => resolve('complete'),
        });
      });
      expect(outcome).toBe('error');
    }
  });

  it('answers an operation on an authenticated socket, with role checks', async () => {
    const run = async (token: string, query: string) => {
      const client = s.ws(token);
      return new Promise<any>((resolve) => {
        client.subscribe({ query }, { next: (v) => resolve(v), error: (e) => resolve({ error: e }), complete: () => {} });
      });
    };
    const ok = await run(await s.token('member', memberId), '{ me { id } }');
    expect(ok.data).toEqual({ me: { id: memberId } });
    const denied = await run(await s.token('member', memberId), '{ members(first: 1) { totalCount } }');
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
