// The webhooks bench's two receivers, in a process of their own (forked by bench/webhooks.ts):
// one answers 204, one 500. Started once for the whole bench, before any run: the runs without
// an endpoint have them running (idle) too, and they never share the load generator's event
// loop. Over IPC: {ready: {healthy, failing}} once listening; on {report: true} it answers
// {report: {healthyIds, healthyPosts, failingPosts}} (the distinct event ids the healthy one
// received since the last report, and the POSTs each got), and forgets them.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface Counts { ids: Set<string>; posts: number }

function listen(status: number, counts: Counts): Promise<string> {
  const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    req.resume();
    req.on('end', () => {
      counts.posts++;
      counts.ids.add(String(req.headers['loyalty-event-id']));
      res.writeHead(status).end();
    });
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`)));
}

async function main() {
  const healthy: Counts = { ids: new Set(), posts: 0 };
  const failing: Counts = { ids: new Set(), posts: 0 };
  const urls = { healthy: await listen(204, healthy), failing: await listen(500, failing) };
  process.on('message', (m: { report?: boolean }) => {
    if (!m.report) return;
    process.send?.({ report: { healthyIds: [...healthy.ids], healthyPosts: healthy.posts, failingPosts: failing.posts } });
    healthy.ids.clear();
    healthy.posts = 0;
    failing.ids.clear();
    failing.posts = 0;
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ ready: urls });
}

void main();
