import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../support/harness';

// A security review of the server as a member, a stolen service token or nobody would attack it.
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.stop();
});

describe('the console cannot be framed by another site, nor run a script that is not its own', () => {
  let c: TestServer;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'console-dist-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title><script type="module" src="/admin/assets/index-AbC123.js"></script>');
    writeFileSync(join(dir, 'assets', 'index-AbC123.js'), 'console.log(1)');
    c = await startTestServer({ databaseUrl: s.databaseUrl, consoleDir: dir });
  });
  afterAll(() => c.stop());

  it.each(['/admin/', '/admin/members/x', '/admin/assets/index-AbC123.js', '/admin/assets/missing.js'])('%s', async (path) => {
    const res = await fetch(`${c.url}${path}`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('in production, no error names what the caller did not ask about', () => {
  let p: TestServer;
  beforeAll(async () => {
    p = await startTestServer({ databaseUrl: s.databaseUrl, production: true });
  });
  afterAll(() => p.stop());

  const cases: [string, string, Record<string, unknown>][] = [
    ['an enum value in a variable', 'query($s: WebhookDeliveryStatus) { webhookDeliveries(status: $s) { edges { cursor } } }', { s: 'DELIVERE' }],
    ['an input field in a variable', 'query($f: SegmentFilterInput!) { segmentPreview(filter: $f) { size } }', { f: { tierCode: ['GOLD'] } }],
    ['an enum value inside an input variable', 'query($f: SegmentFilterInput!) { segmentPreview(filter: $f) { size } }', { f: { stages: ['ACTIV'] } }],
  ];
  it.each(cases)('%s: BAD_USER_INPUT without "Did you mean", over HTTP and WebSocket', async (_what, query, variables) => {
    const res = await p.gql(query, variables, null);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors![0].message).not.toMatch(/Did you mean/);
    const client = p.ws(await p.token('member', randomUUID()));
    const errors = await new Promise<unknown>((resolve) => {
      client.subscribe({ query, variables }, { next: (r) => resolve(r.errors), error: resolve, complete: () => resolve(undefined) });
    });
    expect(JSON.stringify(errors)).toContain('BAD_USER_INPUT');
    expect(JSON.stringify(errors)).not.toMatch(/Did you mean/);
  });

  it('a development start still suggests (the IDE helps)', async () => {
    const res = await s.gql(cases[0][1], cases[0][2], null);
    expect(res.errors![0].message).toMatch(/Did you mean the enum value "DELIVERED"\?/);
  });
});
