import { startTestServer, type TestServer } from '../support/harness';

// A client that calls a path the server does not serve, or a REST path with another method,
// is told so in JSON like every other answer (it was Express's HTML "Cannot GET" page).

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ production: true });
});
afterAll(async () => {
  await s.stop();
});

async function call(method: string, path: string) {
  const res = await fetch(`${s.url}${path}`, { method, headers: { authorization: `Bearer ${await s.token('admin')}` } });
  return { status: res.status, allow: res.headers.get('allow'), type: res.headers.get('content-type'), body: await res.json() };
}

it('a REST path with another method is 405 with Allow, in JSON', async () => {
  expect(await call('GET', '/imports/members')).toEqual({
    status: 405, allow: 'POST', type: 'application/json; charset=utf-8',
    body: { errors: [{ message: 'GET is not allowed on /imports/members: use POST', extensions: { code: 'METHOD_NOT_ALLOWED' } }] },
  });
  expect(await call('DELETE', '/exports/segments/00000000-0000-4000-8000-000000000001.csv')).toMatchObject({ status: 405, allow: 'GET, HEAD' });
  expect(await call('POST', '/exports/members/1.json')).toMatchObject({ status: 405, allow: 'GET, HEAD' });
  expect(await call('POST', '/healthz')).toMatchObject({ status: 405, allow: 'GET, HEAD' });
});

it('a path nothing serves is 404 NOT_FOUND, in JSON', async () => {
  for (const [method, path] of [['GET', '/nope'], ['GET', '/'], ['POST', '/imports'], ['GET', '/metrics/x']]) {
    expect(await call(method, path)).toEqual({
      status: 404, allow: null, type: 'application/json; charset=utf-8',
      body: { errors: [{ message: `Nothing is served at ${method} ${path}`, extensions: { code: 'NOT_FOUND' } }] },
    });
  }
});

it('the served paths still answer', async () => {
  expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  expect((await fetch(`${s.url}/admin/`)).status).toBe(200);
});
