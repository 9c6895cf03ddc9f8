import { connect, type Socket } from 'node:net';
import { startTestServer, type TestServer } from '../support/harness';

// Behind a load balancer whose idle timeout is longer than the server's, the balancer sends a
// request on a connection the server has just closed, and answers the client 502. Node 20 closes
// an idle keep-alive connection after about 6 s (its 5 s and a second's grace); the server keeps
// it for KEEP_ALIVE_TIMEOUT_MS (65 s). A raw socket, so that only the server closes it (an http.Agent
// also closes a socket by the server's Keep-Alive hint).

/** A connection to the server; `get()` sends GET /healthz on it and resolves with the answer's status. */
async function open(url: string): Promise<{ socket: Socket; get: () => Promise<number>; closedAfter: (ms: number) => Promise<number | null> }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let closedAt: number | null = null;
  socket.on('close', () => { closedAt = Date.now(); });
  socket.on('error', () => {});
  let buffered = '';
  let waiting: ((status: number) => void) | null = null;
  socket.on('data', (chunk) => {
    buffered += chunk.toString('latin1');
    const end = buffered.indexOf('\r\n\r\n');
    if (end < 0 || !waiting) return;
    const length = Number(/content-length: *(\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
    if (buffered.length < end + 4 + length) return;
    const status = Number(buffered.slice(9, 12));
    buffered = buffered.slice(end + 4 + length);
    const done = waiting;
    waiting = null;
    done(status);
  });
  return {
    socket,
    get: () => new Promise<number>((resolve) => {
      waiting = resolve;
      socket.write(`GET /healthz HTTP/1.1\r\nHost: ${hostname}\r\nConnection: keep-alive\r\n\r\n`);
    }),
    /** Waits up to `ms` for the server to close the connection: after how long it did (ms), or null. */
    closedAfter: async (ms) => {
      const from = Date.now();
      for (let waited = 0; waited < ms && closedAt === null; waited += 20) await new Promise((r) => setTimeout(r, 20));
      return closedAt === null ? null : Math.max(0, closedAt - from);
    },
  };
}

let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
});

it('an idle keep-alive connection is still open after Node\'s own limit (the default 65 s)', async () => {
  const s = await startTestServer();
  servers.push(s);
  const c = await open(s.url);
  try {
    expect(await c.get()).toBe(200);
    expect(await c.closedAfter(7_500)).toBeNull();
    expect(await c.get()).toBe(200); // the same connection
  } finally {
    c.socket.destroy();
  }
});

it('KEEP_ALIVE_TIMEOUT_MS is the server\'s: an idle connection is closed by the server after it', async () => {
  const s = await startTestServer({ keepAliveTimeoutMs: 1_000 });
  servers.push(s);
  const c = await open(s.url);
  try {
    expect(await c.get()).toBe(200);
    const after = await c.closedAfter(5_000);
    expect(after).not.toBeNull();
    expect(after!).toBeGreaterThanOrEqual(900);
  } finally {
    c.socket.destroy();
  }
});
