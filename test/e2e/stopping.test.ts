import { stat } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { startTestServer, type TestServer } from '../support/harness';

// An instance stopped under load (SIGTERM: main.ts calls app.stop()) behind a load balancer: no
// request a client has sent may be dropped, and no client may be left to send its next request
// on a connection the server is closing (docs/decisions.md, "Stopping under load").

let s: TestServer;
let token: string;
beforeAll(async () => {
  s = await startTestServer();
  token = await s.token('admin');
});
afterAll(() => s.stop());

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
});
