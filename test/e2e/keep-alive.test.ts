import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { startTestServer, type TestServer } from '../support/harness';

// Behind a load balancer whose idle timeout is longer than the server's, the balancer sends a
// request on a connection the server has just closed, and answers the client 502. Node closes
// an idle keep-alive connection after 5 s; the server keeps it for KEEP_ALIVE_TIMEOUT_MS (65 s).

/** GET /healthz over `agent`: its status, whether it went out on a connection used before, and that connection. */
function healthz(url: string, agent: Agent): Promise<{ status: number; reused: boolean; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/healthz`, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket, socket: req.socket! }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Whether `socket` closes within `ms`. */
function closesWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
});

it('an idle keep-alive connection is still open after Node\'s 5 s (the default 65 s)', async () => {
  const s = await startTestServer();
  servers.push(s);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const first = await healthz(s.url, agent);
    expect([first.status, first.reused]).toEqual([200, false]);
    expect(await closesWithin(first.socket, 6_000)).toBe(false);
    const second = await healthz(s.url, agent);
    expect([second.status, second.reused, second.socket === first.socket]).toEqual([200, true, true]);
  } finally {
    agent.destroy();
  }
});

it('KEEP_ALIVE_TIMEOUT_MS is the server\'s: an idle connection is closed by the server after it', async () => {
  const s = await startTestServer({ keepAliveTimeoutMs: 300 });
  servers.push(s);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const first = await healthz(s.url, agent);
    expect(await closesWithin(first.socket, 5_000)).toBe(true);
    const second = await healthz(s.url, agent);
    expect([second.status, second.reused]).toEqual([200, false]);
  } finally {
    agent.destroy();
  }
});
