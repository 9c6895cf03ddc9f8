import pino from 'pino';
import { connect } from 'node:net';
import { mintToken } from '../../src/api/auth';
import { JWT_SECRET, startTestServer, type TestServer } from '../support/harness';

// Issue 17, item 9: request logs must not hold bearer tokens or cookies.
const lines: string[] = [];
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ log: pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }) });
});
afterAll(() => s.stop());

async function until(pred: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

it('logs requests with the authorization header and cookies redacted, on HTTP and WebSocket', async () => {
  const token = await s.token('admin');
  const expired = await mintToken(JWT_SECRET, { role: 'admin', sub: 'late' }, Math.floor(Date.now() / 1000) - 60);
  const cookie = 'session=cookie-secret-value-42';
  const post = (authorization: string) => fetch(`${s.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization, cookie, 'proxy-authorization': `Basic cHJveHk6c2VjcmV0` },
    body: JSON.stringify({ query: '{ tiers { code } }' }),
  });
  const before = lines.length;
  expect((await post(`Bearer ${token}`)).status).toBe(200);
  expect((await post(`Bearer ${expired}`)).status).toBe(401);
  expect((await fetch(`${s.url}/exports/segments/none.csv`, { headers: { authorization: `Bearer ${token}`, cookie } })).status).toBe(404);
  // A socket (its token travels in connection_init; the upgrade does not pass the request logger).
  const client = s.ws(token);
  await new Promise<void>((resolve, reject) => client.subscribe({ query: '{ program { pointsPerUnit } }' }, { next: () => {}, error: reject, complete: resolve }));

  const completed = () => lines.slice(before).filter((l) => l.includes('"request completed"'));
  await until(() => completed().length >= 3, 'three request log lines');
  const logged = lines.slice(before).join('');
  // The lines are there, with the headers named and their values replaced.
  expect(completed().every((l) => l.includes('"authorization":"[redacted]"') && l.includes('"cookie":"[redacted]"'))).toBe(true);
  expect(logged).toContain('"proxy-authorization":"[redacted]"');
  for (const secret of [token, expired, token.split('.')[2], expired.split('.')[2], 'cookie-secret-value-42', 'cHJveHk6c2VjcmV0']) {
    expect(logged).not.toContain(secret);
  }
});

it('logs a token sent in the query string (RFC 6750 §2.3: refused here) with its value redacted', async () => {
  const token = await s.token('admin');
  const before = lines.length;
  const res = await fetch(`${s.url}/graphql?access_token=${token}&operation=x`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ auditLog(first: 1) { id } }' }),
  });
  expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('UNAUTHENTICATED'); // not taken
  expect((await fetch(`${s.url}/exports/members/none.json?id_token=${token}`)).status).toBe(401);
  await until(() => lines.slice(before).filter((l) => l.includes('"request completed"')).length >= 2, 'two request log lines');
  const logged = lines.slice(before).join('');
  expect(logged).not.toContain(token.split('.')[2]);
  expect(logged).toContain('access_token=[redacted]&operation=x'); // the other parameters stay
  expect(logged).toContain('"id_token":"[redacted]"');
});

it('warns at start-up of a JWT_SECRET shorter than 256 bits (an HS256 key anyone with one token can guess offline), and only then', async () => {
  expect(lines.some((l) => l.includes('JWT_SECRET is shorter'))).toBe(false); // this file's server: a 41-byte secret
  const short: string[] = [];
  const weak = await startTestServer({ jwtSecret: 'q7Zx-w3', log: pino({ level: 'info' }, { write: (line: string) => void short.push(line) }) });
  try {
    const warning = short.map((l) => JSON.parse(l) as { level: number; msg: string; bytes?: number }).find((l) => l.msg.includes('JWT_SECRET is shorter'));
    expect(warning).toMatchObject({ level: 40, bytes: 7 });
    expect(short.join('')).not.toContain('q7Zx-w3'); // the secret itself is never logged
  } finally {
    await weak.stop();
  }
});

it('an import upload the client cuts off is logged as that, not as the database being unavailable', async () => {
  const token = await s.token('admin');
  const { hostname, port } = new URL(s.url);
  const before = lines.length;
  for (const cut of ['destroy', 'end'] as const) {
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), hostname, () => {
        socket.write(`POST /imports/members HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${token}\r\nContent-Type: text/csv\r\nContent-Length: 100000\r\n\r\nexternalId,displayName\r\ncut-1,Cut\r\n`);
        setTimeout(() => (cut === 'destroy' ? socket.destroy() : socket.end()), 300);
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve());
      socket.resume();
    });
  }
  await until(() => lines.slice(before).filter((l) => /upload cut off/.test(l)).length >= 2, 'the two cut-off uploads logged');
  const logged = lines.slice(before);
  expect(logged.filter((l) => /database unavailable/.test(l))).toEqual([]);
  expect(logged.filter((l) => JSON.parse(l).level >= 40)).toEqual([]);
});
