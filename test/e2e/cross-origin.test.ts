import { startTestServer, type TestServer } from '../support/harness';

// A member app running in a browser on the brand's own origin calls the API on another one:
// the browser asks first (a preflight) and shows the page the answer only if the server says
// so. CORS_ORIGINS lists the origins allowed; unset, none is (the console is same-origin).

const APP = 'https://app.brand.example';
const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
});
async function server(corsOrigins: string[] | '*' | null): Promise<TestServer> {
  const s = await startTestServer({ corsOrigins });
  servers.push(s);
  return s;
}

function preflight(s: TestServer, origin: string, path = '/graphql') {
  return fetch(`${s.url}${path}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
  });
}

async function query(s: TestServer, origin: string) {
  return fetch(`${s.url}/graphql`, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json', authorization: `Bearer ${await s.token('admin')}` },
    body: JSON.stringify({ query: '{ program { pointsPerUnit } }' }),
  });
}

it('a listed origin gets its preflight answered and may read the answers', async () => {
  const s = await server([APP, 'http://localhost:5173']);
  const pre = await preflight(s, APP);
  expect(pre.status).toBe(204);
  expect(pre.headers.get('access-control-allow-origin')).toBe(APP);
  expect(pre.headers.get('access-control-allow-methods')).toBe('GET,POST');
  expect(pre.headers.get('access-control-allow-headers')).toMatch(/^authorization,content-type,/);
  // What Apollo Client, Apollo iOS and Apollo Kotlin send, and a request id of the client's own.
  expect(pre.headers.get('access-control-allow-headers')!.split(',')).toEqual(expect.arrayContaining([
    'apollo-require-preflight', 'x-apollo-operation-name', 'apollographql-client-name', 'apollographql-client-version', 'x-request-id',
  ]));
  expect(pre.headers.get('access-control-max-age')).toBe('600');
  expect(pre.headers.get('access-control-allow-credentials')).toBeNull();

  const res = await query(s, APP);
  expect(res.status).toBe(200);
  expect(res.headers.get('access-control-allow-origin')).toBe(APP);
  expect(res.headers.get('vary')).toMatch(/origin/i);
  expect(res.headers.get('access-control-expose-headers')).toBe('retry-after,x-request-id,content-disposition');
  expect(await res.json()).toEqual({ data: { program: { pointsPerUnit: 1 } } });
  // A member's own export download, from the same page.
  expect((await preflight(s, 'http://localhost:5173', '/exports/members/1.json')).headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
});

it('an origin not listed gets no Access-Control-Allow-Origin (its browser keeps the answer from the page)', async () => {
  const s = await server([APP]);
  for (const origin of ['https://evil.example', 'https://app.brand.example.evil.example', 'http://app.brand.example']) {
    expect((await preflight(s, origin)).headers.get('access-control-allow-origin')).toBeNull();
    expect((await query(s, origin)).headers.get('access-control-allow-origin')).toBeNull();
  }
  // Only the API and a member's export: not the admin's imports or segment exports.
  expect((await preflight(s, APP, '/imports/members')).headers.get('access-control-allow-origin')).toBeNull();
});

it('CORS_ORIGINS unset: no cross-origin access; `*`: any origin', async () => {
  const none = await server(null);
  expect((await preflight(none, APP)).headers.get('access-control-allow-origin')).toBeNull();
  expect((await query(none, APP)).headers.get('access-control-allow-origin')).toBeNull();
  const any = await server('*');
  expect((await preflight(any, 'https://anyone.example')).headers.get('access-control-allow-origin')).toBe('*');
  expect((await query(any, 'https://anyone.example')).headers.get('access-control-allow-origin')).toBe('*');
});
