import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, SignJWT, type JWTPayload } from 'jose';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { JWT_SECRET, expectError, startTestServer, type GqlResponse, type TestServer } from '../support/harness';

// Issue 17, item 8: tokens must expire, may be tied to an issuer and audience, and a refused
// token is an UNAUTHENTICATED answer that says why (never an anonymous request, never echoed).
let s: TestServer;
let scoped: TestServer; // same database, JWT_ISSUER and JWT_AUDIENCE set
const ISSUER = 'https://id.example.test/';
const AUDIENCE = 'loyalty-api';

beforeAll(async () => {
  s = await startTestServer();
  scoped = await startTestServer({ databaseUrl: s.databaseUrl, jwtIssuer: ISSUER, jwtAudience: AUDIENCE });
});
afterAll(async () => {
  await scoped.stop();
  await s.stop();
});

const now = () => Math.floor(Date.now() / 1000);
function sign(claims: JWTPayload, opts: { exp?: number | null; secret?: string } = {}): Promise<string> {
  const jwt = new SignJWT({ role: 'admin', sub: 'tok-tester', ...claims }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (opts.exp !== null) jwt.setExpirationTime(opts.exp ?? now() + 3600);
  return jwt.sign(new TextEncoder().encode(opts.secret ?? JWT_SECRET));
}

async function post(server: TestServer, query: string, authorization?: string): Promise<GqlResponse & { www?: string | null }> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, www: res.headers.get('www-authenticate'), ...((await res.json()) as object) };
}

/** The request is refused as a whole: 401, UNAUTHENTICATED, the reason, and not the token. */
async function expectRefused(server: TestServer, token: string, reason: RegExp, authorization = `Bearer ${token}`) {
  for (const query of ['{ __typename }', '{ members(first: 1) { totalCount } }']) {
    const res = await post(server, query, authorization);
    expect({ query, status: res.status, data: res.data, www: res.www }).toEqual({ query, status: 401, data: undefined, www: 'Bearer error="invalid_token"' });
    expectError(res, 'UNAUTHENTICATED');
    expect(res.errors![0].message).toMatch(reason);
    expect(JSON.stringify(res)).not.toContain(token);
  }
}

describe('a token is refused with its reason', () => {
  it('without exp (it would be good forever)', async () => {
    await expectRefused(s, await sign({}, { exp: null }), /missing claim "exp"/);
  });
  it('expired', async () => {
    await expectRefused(s, await sign({}, { exp: now() - 60 }), /^Token expired$/);
  });
  it('with a bad signature', async () => {
    await expectRefused(s, await sign({}, { secret: 'not-the-secret-at-all-0123456789' }), /bad signature/);
  });
  it('without sub, or with an unknown role', async () => {
    await expectRefused(s, await sign({ sub: undefined }), /missing claim "sub"/);
    await expectRefused(s, await sign({ role: 'superuser' }), /claim "role"/);
  });
  it('a member token whose subject is no member id: refused as a whole, as the WebSocket refuses it (not a 200 with every field refused)', async () => {
    await expectRefused(s, await sign({ role: 'member', sub: 'not-a-uuid' }), /^A member token's subject must be a member id$/);
  });
  it('malformed, or not a Bearer token', async () => {
    await expectRefused(s, 'not.a.jwt', /malformed/);
    await expectRefused(s, 'dXNlcjpwYXNz', /Bearer <token>/, 'Basic dXNlcjpwYXNz');
  });

  it('no token at all is anonymous: what needs no role answers, what needs one is UNAUTHENTICATED', async () => {
    const open = await post(s, '{ __typename }');
    expect({ status: open.status, data: open.data }).toEqual({ status: 200, data: { __typename: 'Query' } });
    const guarded = await post(s, '{ members(first: 1) { totalCount } }');
    expectError(guarded, 'UNAUTHENTICATED');
    expect(guarded.errors![0].message).toBe('Authentication required');
  });

  it('a blank Authorization header is refused as one that is not Bearer (an app whose token went missing), over HTTP and the WebSocket', async () => {
    // Sent as " \t ": fetch sends it blank. No header at all stays anonymous (the test above).
    const res = await post(s, '{ members(first: 1) { totalCount } }', ' \t ');
    expect({ status: res.status, data: res.data, www: res.www }).toEqual({ status: 401, data: undefined, www: 'Bearer error="invalid_token"' });
    expectError(res, 'UNAUTHENTICATED');
    expect(res.errors![0].message).toBe('Authorization must be "Bearer <token>"');
    for (const authorization of ['', '   ']) {
      const closed = await new Promise<{ code: number; reason: string }>((resolve) => {
        createClient({
          url: s.url.replace(/^http/, 'ws') + '/graphql', webSocketImpl: WebSocket, connectionParams: { authorization }, retryAttempts: 0, lazy: false,
          onNonLazyError: () => {}, on: { closed: (e) => resolve(e as { code: number; reason: string }) },
        });
      });
      expect({ authorization, code: closed.code, reason: String(closed.reason) }).toEqual({ authorization, code: 4401, reason: 'Authorization must be "Bearer <token>"' });
    }
  });

  it('a caller the field refuses hears UNAUTHENTICATED or FORBIDDEN, whatever the class of its arguments (checked after the role)', async () => {
    const member = await sign({ role: 'member', sub: '00000000-0000-4000-8000-000000000001' });
    const service = await sign({ role: 'service', sub: 'pos' });
    const admin = await sign({});
    const cases: [string, string | undefined, string][] = [
      // An id that is no UUID, a NUL: anonymous, then a role the field does not admit, then one it does.
      ['mutation { eraseMember(memberId: "not-an-id", reason: "r") { id } }', undefined, 'UNAUTHENTICATED'],
      ['mutation { eraseMember(memberId: "not-an-id", reason: "r") { id } }', `Bearer ${service}`, 'FORBIDDEN'],
      ['mutation { eraseMember(memberId: "not-an-id", reason: "r") { id } }', `Bearer ${admin}`, 'BAD_USER_INPUT'],
      ['{ segment(id: "zz") { id } }', `Bearer ${member}`, 'FORBIDDEN'],
      ['{ segment(id: "zz") { id } }', `Bearer ${admin}`, 'BAD_USER_INPUT'],
      ['{ auditEntries(first: 1, filter: { entityId: "a\\u0000b" }) { pageInfo { hasNextPage } } }', undefined, 'UNAUTHENTICATED'],
      ['{ auditEntries(first: 1, filter: { entityId: "a\\u0000b" }) { pageInfo { hasNextPage } } }', `Bearer ${admin}`, 'BAD_USER_INPUT'],
      // A field any role may call: the argument's class is the answer to any token.
      ['{ member(id: "zz") { id } }', undefined, 'UNAUTHENTICATED'],
      ['{ member(id: "zz") { id } }', `Bearer ${member}`, 'BAD_USER_INPUT'],
    ];
    for (const [query, authorization, code] of cases) {
      const res = await post(s, query, authorization);
      expect({ query, who: authorization ? decodeJwt(authorization.slice(7)).role : 'anonymous', code: res.errors?.[0]?.extensions?.code })
        .toEqual({ query, who: authorization ? decodeJwt(authorization.slice(7)).role : 'anonymous', code });
    }
  });

  it('the segment export says why too', async () => {
    const token = await sign({}, { exp: now() - 60 });
    const res = await fetch(`${s.url}/exports/segments/x.csv`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ errors: [{ message: 'Token expired', extensions: { code: 'UNAUTHENTICATED' } }] });
  });

  it('a WebSocket with a refused token is closed with 4401 and the reason', async () => {
    for (const [token, reason] of [[await sign({}, { exp: null }), /missing claim "exp"/], [await sign({}, { exp: now() - 60 }), /^Token expired$/],
      // As HTTP refuses it (UNAUTHENTICATED): a member token's subject must be a member id.
      [await sign({ role: 'member', sub: 'not-a-uuid' }), /^A member token's subject must be a member id$/]] as const) {
      const client = s.ws(token);
      const closed = await new Promise<{ code: number; reason: string }>((resolve) => client.on('closed', (e) => resolve(e as { code: number; reason: string })));
      expect(closed.code).toBe(4401);
      expect(String(closed.reason)).toMatch(reason);
    }
  });
});

describe('JWT_ISSUER and JWT_AUDIENCE', () => {
  it('refuse a token without them or with others, accept one with both', async () => {
    await expectRefused(scoped, await sign({ aud: AUDIENCE }), /missing claim "iss"/);
    await expectRefused(scoped, await sign({ iss: ISSUER }), /missing claim "aud"/);
    await expectRefused(scoped, await sign({ iss: 'https://evil.example/', aud: AUDIENCE }), /wrong issuer/);
    await expectRefused(scoped, await sign({ iss: ISSUER, aud: 'another-api' }), /wrong audience/);
    const ok = await post(scoped, '{ members(first: 1) { totalCount } }', `Bearer ${await sign({ iss: ISSUER, aud: [AUDIENCE, 'other'] })}`);
    expect({ status: ok.status, errors: ok.errors }).toEqual({ status: 200, errors: undefined });
  });

  it('npm run token mints exp, iss and aud that the server accepts', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/cli/token.ts', '--role', 'service', '--sub', 'pos-1'], {
      env: { ...process.env, JWT_SECRET, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE },
    });
    const token = stdout.trim();
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ role: 'service', sub: 'pos-1', iss: ISSUER, aud: AUDIENCE });
    expect(claims.exp! - now()).toBeGreaterThan(29 * 86400);
    const res = await post(scoped, '{ tiers { code } }', `Bearer ${token}`);
    expect({ status: res.status, errors: res.errors }).toEqual({ status: 200, errors: undefined });
    // A period it cannot read is one line, exit 2, no stack.
    for (const expires of ['banana', '0']) {
      const failed = await promisify(execFile)(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/cli/token.ts', '--role', 'admin', '--expires', expires], {
        env: { ...process.env, JWT_SECRET },
      }).then(() => null, (err: { code: number; stderr: string }) => err);
      expect({ code: failed?.code, stderr: failed?.stderr }).toEqual({ code: 2, stderr: `--expires must be a period from now, such as 30d, 12h or 90m (got "${expires}")\n` });
    }
    // An option it does not know (a typo), or one without its value: the reason and the usage, exit 2, no stack.
    for (const [args, reason] of [[['--role', 'admin', '--exp', '9h'], "Unknown option '--exp'"], [['--role', 'admin', '--sub'], "Option '--sub <value>' argument missing"]] as const) {
      const failed = await promisify(execFile)(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/cli/token.ts', ...args], {
        env: { ...process.env, JWT_SECRET },
      }).then(() => null, (err: { code: number; stderr: string }) => err);
      expect({ code: failed?.code, stderr: failed?.stderr }).toEqual({ code: 2, stderr: `${reason}\nusage: npm run token -- --role admin|service|member --sub ID [--expires 30d]\n` });
    }
    // A token the server would refuse is not minted: a member's subject that is no member id (an outside audit:
    // `--role member --sub bob` gave a 30-day token that got 401 every time); an empty --sub names the role asked for.
    for (const [args, stderr] of [
      [['--role', 'member', '--sub', 'bob'], 'A member token\'s subject must be a member id: --sub "bob" is not a member id (a UUID)\n'],
      [['--role', 'service', '--sub', ''], '--sub must not be empty (leave it out for "service")\n'],
    ] as const) {
      const failed = await promisify(execFile)(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/cli/token.ts', ...args], {
        env: { ...process.env, JWT_SECRET },
      }).then(() => null, (err: { code: number; stderr: string }) => err);
      expect({ code: failed?.code, stderr: failed?.stderr }).toEqual({ code: 2, stderr });
    }
    // NODE_ENV as the server reads it (the server, migrate and seed refused NODE_ENV=prod; the token
    // tool minted with the development secret); in production no development secret is used.
    const dataDir = mkdtempSync(join(tmpdir(), 'token-env-'));
    writeFileSync(join(dataDir, 'jwt-secret'), 'd'.repeat(64));
    for (const [NODE_ENV, stderr] of [
      ['prod', 'NODE_ENV must be production, development or test (or unset), got "prod"\n'],
      ['production', 'JWT_SECRET is required when NODE_ENV=production: set it to the server\'s\n'],
    ] as const) {
      const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV, DATA_DIR: dataDir };
      delete env.JWT_SECRET;
      const failed = await promisify(execFile)(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/cli/token.ts', '--role', 'admin'], { env })
        .then(() => null, (err: { code: number; stderr: string }) => err);
      expect({ code: failed?.code, stderr: failed?.stderr }).toEqual({ code: 2, stderr });
    }
    rmSync(dataDir, { recursive: true, force: true });
  }, 240_000); // nine runs of the token command, each loading ts-node: 17 s here, over 50 s on a loaded machine

  it('the development admin token carries exp, iss and aud', async () => {
    const dev = await startTestServer({ databaseUrl: s.databaseUrl, jwtSecret: null, jwtIssuer: ISSUER, jwtAudience: AUDIENCE });
    try {
      const token = dev.app.devAdminToken!;
      expect(decodeJwt(token)).toMatchObject({ role: 'admin', iss: ISSUER, aud: AUDIENCE, exp: expect.any(Number) });
      const res = await post(dev, '{ members(first: 1) { totalCount } }', `Bearer ${token}`);
      expect({ status: res.status, errors: res.errors }).toEqual({ status: 200, errors: undefined });
    } finally {
      await dev.stop();
    }
  });
});
