import { stat } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { STOPPED_FAILURE } from '../../src/modules/imports/imports.service';
import { createLadder } from '../support/fixtures';
import { startTestServer, type TestServer } from '../support/harness';
import { eventually } from '../support/wait';

// An instance stopped under load (SIGTERM: main.ts calls app.stop()) behind a load balancer: no
// request a client has sent may be dropped, and no client may be left to send its next request
// on a connection the server is closing (docs/decisions.md, "Stopping under load").

let s: TestServer;
let token: string;
const servers: TestServer[] = [];
beforeEach(async () => {
  s = await startTestServer();
  servers.push(s);
  token = await s.token('admin');
});
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

const BODY = JSON.stringify({ query: '{ program { pointsPerUnit } }' });

/** One raw HTTP/1.1 keep-alive connection: requests written by hand, answers read as they come. */
function rawConnection(url: string) {
  const { hostname, port } = new URL(url);
  const socket: Socket = connect(Number(port), hostname);
  let received = '';
  let ended = false;
  socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
  socket.on('error', () => undefined);
  socket.on('close', () => (ended = true));
  const request = (body = BODY) => `POST /graphql HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nAuthorization: Bearer ${token}\r\n`
    + `Connection: keep-alive\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  /** The answers so far: status line and `connection` header of each. */
  const answers = () => [...received.matchAll(/HTTP\/1\.1 (\d+)[^\r]*\r\n((?:[^\r]+\r\n)*)\r\n/g)]
    .map((m) => ({ status: Number(m[1]), connection: /^connection: *(.*)$/im.exec(m[2])?.[1]?.toLowerCase() ?? null }));
  return { socket, request, answers, ended: () => ended, connected: new Promise<void>((r) => socket.once('connect', () => r())) };
}

async function until(condition: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('stopping under load', () => {
  it('a request sent as the stop begins is answered; answers during the stop say Connection: close; then the connections end', async () => {
    // Connection a: a request in flight across the stop (its body arrives after it began).
    const a = rawConnection(s.url);
    // Connection b: idle keep-alive, its next request written at the very moment the stop begins.
    const b = rawConnection(s.url);
    await Promise.all([a.connected, b.connected]);
    b.socket.write(b.request());
    await until(() => b.answers().length === 1);
    expect(b.answers()).toEqual([{ status: 200, connection: 'keep-alive' }]);
    const full = a.request();
    a.socket.write(full.slice(0, full.length - 5));
    await new Promise((r) => setTimeout(r, 200));

    // From an I/O callback (the event loop's poll phase), as a signal handler runs: the request on b
    // is in the socket, not yet read, when the server looks at its connections.
    const { stopped } = await new Promise<{ stopped: Promise<void> }>((resolve) => stat(__filename, () => {
      const stopping = s.app.stop();
      b.socket.write(b.request());
      resolve({ stopped: stopping });
    }));
    await new Promise((r) => setTimeout(r, 100));
    a.socket.write(full.slice(full.length - 5));

    await until(() => (a.answers().length === 1 && b.answers().length === 2 && a.ended() && b.ended()));
    expect({ a: a.answers(), b: b.answers() }).toEqual({
      a: [{ status: 200, connection: 'close' }],
      b: [{ status: 200, connection: 'keep-alive' }, { status: 200, connection: 'close' }],
    });
    expect([a.ended(), b.ended()]).toEqual([true, true]);
    await stopped;
  }, 60_000);

  it('connections still in the port\'s listen backlog when the stop begins are taken and answered, not reset', async () => {
    // Opened in the same tick as the stop: the kernel has them (loopback), the server has not yet
    // polled its port. Closing the port at once reset every one (ECONNRESET for a POST already sent).
    const clients = Array.from({ length: 20 }, () => rawConnection(s.url));
    const stopped = s.app.stop();
    for (const c of clients) void c.connected.then(() => c.socket.write(c.request()));
    await until(() => clients.every((c) => c.ended()));
    expect(clients.map((c) => c.answers())).toEqual(clients.map(() => [{ status: 200, connection: 'close' }]));
    await stopped;
    // And once the port is closed, a new connection is refused: what a client safely retries elsewhere.
    const late = rawConnection(s.url);
    const refused = await new Promise<boolean>((resolve) => {
      late.socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
      late.socket.once('connect', () => resolve(false));
    });
    expect(refused).toBe(true);
  }, 60_000);

  it('an import running when the server stops ends after its batch in hand, FAILED as stopped, and the stop does not wait for it', async () => {
    await createLadder(s);
    // A POINTS_MULTIPLIER benefit sends every purchase of an earn import through the points
    // service, one by one on the pool's connections: the import is still earning when the stop comes.
    await s.admin(`mutation($i: BenefitInput!) { upsertBenefit(input: $i) { code } }`,
      { i: { code: 'STOP_X', name: 'x', kind: 'POINTS_MULTIPLIER', value: 1, tierCodes: ['BRONZE'] } });
    const upload = async (path: string, rows: string[]) => {
      const res = await fetch(`${s.url}${path}`, { method: 'POST', body: rows.join('\n') + '\n', headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` } });
      expect(res.status).toBe(202);
      return ((await res.json()) as { id: string }).id;
    };
    const members = await upload('/imports/members', ['externalId', ...Array.from({ length: 100 }, (_, i) => `stop-m${i}`)]);
    await eventually(async () => (await s.sql(`select status from import_job where id = $1`, [members]))[0].status === 'SUCCEEDED', 'the members import');
    const day = (i: number) => new Date(Date.UTC(2026, 0, 1) + (i % 300) * 86_400_000).toISOString();
    const id = await upload('/imports/purchases?mode=earn', ['externalId,orderId,amount,occurredAt',
      ...Array.from({ length: 6000 }, (_, i) => `stop-m${i % 100},stop-o${i},${10 + (i % 50)},${day(Math.floor(i / 100))}`)]);
    await eventually(async () => (await s.sql(`select count(*)::int as n from purchase where order_id like 'stop-o%'`))[0].n > 0, 'the import to earn');

    // SIGTERM (main.ts calls app.stop()): the stop used to close the pool under the import, which
    // then waited a minute for a connection and failed as "an error of the server's".
    const t0 = Date.now();
    await s.app.stop();
    const took = Date.now() - t0;
    const [job] = await s.sql(`select status, failure from import_job where id = $1`, [id]);
    const written = (await s.sql(`select count(*)::int as n from purchase where order_id like 'stop-o%'`))[0].n as number;
    expect({ status: job.status, failure: job.failure, fast: took < 15_000 }).toEqual({ status: 'FAILED', failure: STOPPED_FAILURE, fast: true });
    expect(written).toBeLessThan(6000);
    // What it wrote is what it reports, every purchase marked imported (each commits on its own:
    // it counted a page of 2,000 at a time, and a stop before the page's end counted none).
    const [counts] = await s.sql(`select rows_done::int as done, rows_rejected::int as rejected,
      (select count(*)::int from purchase where order_id like 'stop-o%' and source = 'import') as imported from import_job where id = $1`, [id]);
    expect(counts).toEqual({ done: written, rejected: 0, imported: written });
  }, 180_000);
});
