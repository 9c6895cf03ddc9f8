import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../support/harness';

// JWT_JWKS_URL: RS256 tokens of an identity provider, verified against its published keys. The
// keys out of reach (the provider down, a timeout, an answer that is no key set) is the
// server's problem, not the token's: it was a 401 "Token refused: could not be verified",
// logged nowhere, so a client dropped a good token and the operator never learnt why.
let keys: Awaited<ReturnType<typeof generateKeyPair>>;
let provider: Server;
let down: Server; // answers 500, no key set
let s: TestServer;
let unreachable: TestServer; // its JWT_JWKS_URL is `down`'s

const listening = (srv: Server) => new Promise<number>((resolve) => srv.listen(0, '127.0.0.1', () => resolve((srv.address() as AddressInfo).port)));

beforeAll(async () => {
  keys = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  provider = createServer((_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  down = createServer((_req, res) => void res.writeHead(500).end('down'));
  s = await startTestServer({ jwtSecret: null, jwtJwksUrl: `http://127.0.0.1:${await listening(provider)}/jwks` });
  unreachable = await startTestServer({ databaseUrl: s.databaseUrl, jwtSecret: null, jwtJwksUrl: `http://127.0.0.1:${await listening(down)}/jwks` });
});
afterAll(async () => {
  await unreachable?.stop();
  await s?.stop();
  provider?.close();
  down?.close();
});

const idpToken = (sub = 'ops-1') => new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject(sub).setExpirationTime('1h').sign(keys.privateKey);

async function post(server: TestServer, token: string) {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: '{ members(first: 1) { totalCount } }' }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { data?: unknown; errors?: { message: string; extensions: { code: string } }[] } };
}

function wsClose(server: TestServer, token: string): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    ws.on('message', (m: Buffer) => { if (m.toString().includes('connection_ack')) ws.close(1000, 'ok'); });
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) }));
  });
}

describe('JWT_JWKS_URL', () => {
  it("a token of the provider's key is accepted", async () => {
    const res = await post(s, await idpToken('ops-ok'));
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
  });

  it('the keys out of reach: 503 SERVICE_UNAVAILABLE with Retry-After (a WebSocket closes 1013), not a 401 for a good token', async () => {
    const token = await idpToken('ops-2');
    const res = await post(unreachable, token);
    expect(res.status).toBe(503);
    expect(res.retryAfter).toBe('5');
    expect(res.body.errors?.[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
    expect(res.body.errors?.[0].message).toMatch(/JWT_JWKS_URL.*retry later/);
    expect(await wsClose(unreachable, token)).toMatchObject({ code: 1013 });
    // A token the keys refuse is still a 401 (the provider's keys reached, the signature wrong).
    const forged = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject('x').setExpirationTime('1h').sign((await generateKeyPair('RS256')).privateKey);
    expect((await post(s, forged)).status).toBe(401);
  });
});
