import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../support/harness';

/**
 * The console's route (src/api/routes/console.ts) on a stand-in build: /admin serves the files
 * with the right cache headers and index.html for the console's own paths; /admin/dev-token
 * exists only in a development start and answers only this machine at localhost; nothing else
 * (the API, health, metrics) is touched. The real build in a real browser: test/browser.
 */
function fakeBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'console-dist-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title><script type="module" src="/admin/assets/index-AbC123.js"></script>');
  writeFileSync(join(dir, 'assets', 'index-AbC123.js'), 'console.log(1)');
  return dir;
}

/** A GET with headers fetch() will not send (Host). */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('in a development start (no JWT_SECRET)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ jwtSecret: null, consoleDir: fakeBuild() });
  });
  afterAll(() => s.stop());

  it('serves index.html at /admin and every extensionless /admin path, revalidated each time', async () => {
    for (const path of ['/admin', '/admin/', '/admin/members', '/admin/members/4f1c0a4e-1111-4222-8333-944445555666', '/admin/sign-in']) {
      const res = await fetch(`${s.url}${path}`);
      expect({ path, status: res.status, type: res.headers.get('content-type'), cache: res.headers.get('cache-control') })
        .toEqual({ path, status: 200, type: 'text/html; charset=utf-8', cache: 'no-cache' });
      expect(await res.text()).toContain('<title>console</title>');
    }
  });

  it('index.html tells a browser on this machine that the development sign-in exists, and no other', async () => {
    expect(await (await fetch(`${s.url}/admin/members`)).text()).toContain('<meta name="loyalty-dev-sign-in" content="/admin/dev-token" /><script');
    const rebound = await get(`${s.url}/admin/members`, { host: 'console.example:4000' });
    expect(rebound.status).toBe(200);
    expect(rebound.body).not.toContain('loyalty-dev-sign-in');
  });

  it('hashed assets are cached for a year; a missing asset or file is a 404, not the page', async () => {
    const asset = await fetch(`${s.url}/admin/assets/index-AbC123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await asset.text()).toBe('console.log(1)');
    for (const path of ['/admin/assets/index-Old999.js', '/admin/assets/', '/admin/favicon.ico']) {
      expect({ path, status: (await fetch(`${s.url}${path}`)).status }).toEqual({ path, status: 404 });
    }
    expect((await fetch(`${s.url}/admin`, { method: 'POST' })).status).toBe(404);
  });

  it('GET /admin/dev-token: the development admin token, which the API takes as an admin\'s', async () => {
    const res = await fetch(`${s.url}/admin/dev-token`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { token, role } = (await res.json()) as { token: string; role: string };
    expect(role).toBe('admin');
    expect(token).toBe(s.app.devAdminToken);
    const audit = await s.gql('{ auditLog(first: 1) { id } }', {}, token);
    expect(audit.errors).toBeUndefined();
  });

  it('refuses a request for another name (DNS rebinding), from another site\'s page, or a proxy\'s from another machine', async () => {
    const port = new URL(s.url).port;
    const url = `${s.url}/admin/dev-token`;
    expect((await get(url, { host: `localhost:${port}` })).status).toBe(200);
    expect((await get(url, { host: `[::1]:${port}` })).status).toBe(200);
    const refused: Record<string, string>[] = [{ host: `rebind.evil.example:${port}` }, { 'sec-fetch-site': 'cross-site' }, { origin: 'https://evil.example' },
      // a browser elsewhere, through a reverse proxy on this machine (its connection is loopback, its Host the upstream's)
      { 'x-forwarded-for': '203.0.113.9' }, { forwarded: 'for=203.0.113.9;proto=https' }, { via: '1.1 nginx' }];
    for (const headers of refused) {
      const res = await get(url, headers);
      expect({ headers, status: res.status }).toEqual({ headers, status: 403 });
      expect(JSON.parse(res.body).errors[0].extensions).toEqual({ code: 'FORBIDDEN' });
      expect(res.body).not.toContain(s.app.devAdminToken!);
    }
  });

  it('leaves the API, health and metrics alone', async () => {
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${s.url}/metrics`)).status).toBe(200);
    const gql = await s.gql('{ __typename }', {}, s.app.devAdminToken);
    expect(gql.data).toEqual({ __typename: 'Query' });
    expect((await fetch(`${s.url}/administrator`)).status).toBe(404);
  });
});

describe('with JWT_SECRET set', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ consoleDir: fakeBuild() });
  });
  afterAll(() => s.stop());

  it('the console is served, and there is no development token', async () => {
    const page = await fetch(`${s.url}/admin/members`);
    expect(page.status).toBe(200);
    expect(await page.text()).not.toContain('loyalty-dev-sign-in');
    const res = await fetch(`${s.url}/admin/dev-token`);
    expect(res.status).toBe(404);
    expect(s.app.devAdminToken).toBeNull();
  });
});

describe('in production', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ production: true, consoleDir: fakeBuild() });
  });
  afterAll(() => s.stop());

  it('the console is served, and there is no development token', async () => {
    const page = await fetch(`${s.url}/admin`);
    expect(page.status).toBe(200);
    expect(await page.text()).not.toContain('loyalty-dev-sign-in');
    const res = await fetch(`${s.url}/admin/dev-token`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ errors: [{ message: 'Nothing is served at GET /admin/dev-token', extensions: { code: 'NOT_FOUND' } }] });
  });
});

describe('before the console is built', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ consoleDir: join(mkdtempSync(join(tmpdir(), 'console-none-')), 'dist') });
  });
  afterAll(() => s.stop());

  it('/admin says it is not built yet (503, retry), and the API works', async () => {
    const res = await fetch(`${s.url}/admin/members`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('10');
    expect(await res.text()).toMatch(/not built yet.*npm run build:admin/);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });
});
