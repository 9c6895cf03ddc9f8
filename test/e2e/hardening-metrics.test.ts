import { startTestServer, type TestServer } from '../support/harness';

// Issue 17, item 10: /metrics requires METRICS_TOKEN when it is set; health stays open.
const METRICS_TOKEN = 'metrics-scrape-secret-7f3a9c';
let guarded: TestServer;
let open: TestServer;
beforeAll(async () => {
  guarded = await startTestServer({ metricsToken: METRICS_TOKEN });
  open = await startTestServer({ databaseUrl: guarded.databaseUrl });
});
afterAll(async () => {
  await open.stop();
  await guarded.stop();
});

const get = (s: TestServer, path: string, authorization?: string) =>
  fetch(`${s.url}${path}`, { headers: authorization ? { authorization } : {} });

it('refuses /metrics without the token or with another one (401)', async () => {
  for (const authorization of [undefined, 'Bearer wrong', `Bearer ${METRICS_TOKEN}x`, `Bearer ${METRICS_TOKEN.slice(0, -1)}`, `Basic ${METRICS_TOKEN}`, METRICS_TOKEN]) {
    const res = await get(guarded, '/metrics', authorization);
    expect({ authorization, status: res.status }).toEqual({ authorization, status: 401 });
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect(await res.text()).not.toContain('http_requests');
  }
});

it('serves /metrics with the token', async () => {
  const res = await get(guarded, '/metrics', `Bearer ${METRICS_TOKEN}`);
  expect(res.status).toBe(200);
  expect(await res.text()).toMatch(/^# HELP /m);
});

it('keeps /healthz and /readyz open', async () => {
  expect((await get(guarded, '/healthz')).status).toBe(200);
  expect((await get(guarded, '/readyz')).status).toBe(200);
});

it('leaves /metrics open when METRICS_TOKEN is unset', async () => {
  const res = await get(open, '/metrics');
  expect(res.status).toBe(200);
  expect(await res.text()).toMatch(/^# HELP /m);
});
