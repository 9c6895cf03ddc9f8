import express from 'express';
import { readFileSync } from 'node:fs';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { buildSchema, Kind, parse, validate, type OperationDefinitionNode } from 'graphql';
import { IDE_EXAMPLES } from '../../src/api/ide-examples';
import { mountDevIde } from '../../src/api/routes/dev-ide';
import { buildAppSchema } from '../../src/api/schema';
import { startTestServer, type TestServer } from '../support/harness';

/** The development IDE, its examples, `GET /`, and none of it in production. */
const committed = buildSchema(readFileSync(resolve(__dirname, '../../schema/schema.graphql'), 'utf8'));
const rootFields = (query: string) => parse(query).definitions
  .filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
  .flatMap((op) => op.selectionSet.selections.map((s) => (s.kind === Kind.FIELD ? s.name.value : '')));
const absent = (query: string) => rootFields(query).filter((f) => !committed.getQueryType()!.getFields()[f] && !committed.getMutationType()!.getFields()[f]);

describe('the IDE\'s example operations', () => {
  it('one for each kind of client: member screen, redeem, use a coupon, a purchase, change a benefit, a segment', () => {
    expect(IDE_EXAMPLES.map((e) => [e.title, e.role, rootFields(e.query)])).toEqual([
      ['Member app: the home screen', 'member', ['me']],
      ['Mini-program: redeem a reward', 'member', ['rewards', 'redeemReward']],
      ['Till: use a coupon', 'service', ['redemptionByCoupon', 'useCoupon']],
      ['Store back end: post a purchase', 'service', ['recordPurchase']],
      ['Admin: change a benefit', 'admin', ['benefits', 'updateBenefit']],
      ['Admin: a segment', 'admin', ['saveSegment']],
    ]);
  });

  for (const example of IDE_EXAMPLES) {
    const missing = absent(example.query);
    if (missing.length) {
      it.skip(`${example.title} (skipped: needs ${missing.join(', ')}, not on this server yet: contract part "store")`, () => {});
      continue;
    }
    it(`${example.title}: valid against the schema`, async () => {
      expect(validate(await buildAppSchema(), parse(example.query)).map((e) => e.message)).toEqual([]);
    });
  }
});

describe('in development', () => {
  let s: TestServer;
  beforeAll(async () => { s = await startTestServer(); });
  afterAll(() => s.stop());

  it('GET / redirects to the IDE', async () => {
    const res = await fetch(`${s.url}/`, { redirect: 'manual' });
    expect({ status: res.status, location: res.headers.get('location') }).toEqual({ status: 302, location: '/graphql' });
  });

  it('the IDE opens with the examples; without a demo member, the member tabs say how to get a token', async () => {
    const res = await fetch(`${s.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const page = await res.text();
    for (const example of IDE_EXAMPLES) expect(page).toContain(JSON.stringify(example.query).slice(1, 60));
    expect(page).toContain('Bearer \\u003ca member token: npm run token -- --role member --sub MEMBER_ID>'); // "<" escaped inside the script
  });
});

describe('the demo member\'s token in the IDE', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    const app = express();
    mountDevIde(app, { memberToken: 'demo-member-token-123', memberId: 'demo-member-id' });
    server = app.listen(0);
    await new Promise((r) => server.once('listening', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  /** GET /graphql as a browser would, with the Host header it sends. */
  const page = (host: string, more: Record<string, string> = {}) => new Promise<string>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/graphql', headers: { host, accept: 'text/html', ...more } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });

  it('goes to a browser on this machine asking by a loopback name, not to a page whose own name resolves here (DNS rebinding)', async () => {
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) expect(await page(host)).toContain('Bearer demo-member-token-123');
    const rebound = await page(`attacker.example:${port}`);
    expect(rebound).not.toContain('demo-member-token-123');
    expect(rebound).toContain('Bearer \\u003ca member token: npm run token -- --role member --sub MEMBER_ID>');
  });

  it('not to a browser elsewhere whose request a proxy on this machine passed on', async () => {
    // A reverse proxy (nginx's proxy_pass to localhost) connects from 127.0.0.1 and sends the upstream's name as Host.
    const proxied = await page(`localhost:${port}`, { 'x-forwarded-for': '203.0.113.9', 'x-real-ip': '203.0.113.9' });
    expect(proxied).not.toContain('demo-member-token-123');
    expect(await page(`localhost:${port}`, { forwarded: 'for=203.0.113.9' })).not.toContain('demo-member-token-123');
    // One passing on a browser on this machine (the console's dev server) still gets it.
    expect(await page(`localhost:${port}`, { 'x-forwarded-for': '127.0.0.1' })).toContain('Bearer demo-member-token-123');
  });
});

describe('in production', () => {
  let s: TestServer;
  beforeAll(async () => { s = await startTestServer({ production: true }); });
  afterAll(() => s.stop());

  it('GET / is not found and GET /graphql serves no IDE', async () => {
    const root = await fetch(`${s.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(404);
    const ide = await fetch(`${s.url}/graphql`, { headers: { accept: 'text/html' } });
    const body = await ide.text();
    expect(body).not.toContain('GraphiQL');
    expect(body).not.toContain('Bearer');
    expect((await fetch(`${s.url}/ide/graphiql.js`)).status).toBe(404);
  });
});
