// A child process of the abuse bench (bench/abuse.ts): either the /healthz probe or the
// attackers, so that neither shares an event loop with the member load that the bench
// process runs. A probe that waits behind 32 clients' callbacks measures the client, not the
// server. Started with `fork(…, [kind, port])`; on the message 'stop' it sends its figures
// back and exits.
import http from 'node:http';
import { abuseDocuments } from '../test/support/abuse-documents';

export const ATTACKERS = 16;

export type ProbeReport = { kind: 'healthz'; latencies: number[] };
export type AttackReport = { kind: 'attack'; answers: [string, [string, number][]][] };

/** Polls /healthz (one request at a time, 20 ms apart) until stopped; resolves with the latencies. */
function pollHealthz(port: number): { stop: () => Promise<number[]> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      await new Promise<void>((resolve) => {
        http.get({ host: '127.0.0.1', port, path: '/healthz', agent }, (res) => { res.resume(); res.on('end', resolve); }).on('error', () => resolve());
      });
      latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return { stop: async () => { running = false; await loop; agent.destroy(); return latencies; } };
}

/** The code of an answer: its first error's extensions.code, OK, or HTTP_<status>. */
function codeOf(status: number, text: string): string {
  try {
    const json = JSON.parse(text);
    if (json.errors?.length) return String(json.errors[0]?.extensions?.code ?? 'NO_CODE');
    if (status === 200) return 'OK';
  } catch { /* not JSON */ }
  return `HTTP_${status}`;
}

/**
 * ATTACKERS anonymous connections, each sending the abuse documents in turn, one at a time.
 * Each request carries a comment of its own, so no cache of a document's text helps.
 * Bodies are JSON built once per document and only their comment changes.
 */
function attack(port: number): { stop: () => Promise<Map<string, Map<string, number>>> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: ATTACKERS });
  const prefixes = abuseDocuments.map((d) => JSON.stringify({ query: `${d.query}\n#` }).slice(0, -2));
  const answers = new Map(abuseDocuments.map((d) => [d.name, new Map<string, number>()]));
  let running = true;
  let seq = 0;
  const send = (body: string) => new Promise<{ status: number; text: string }>((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/graphql', method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', (e) => resolve({ status: 0, text: String(e) }));
    req.end(body);
  });
  const worker = async (w: number) => {
    for (let k = w; running; k++) {
      const d = k % abuseDocuments.length;
      const res = await send(`${prefixes[d]} ${w}-${seq++}"}`);
      const counts = answers.get(abuseDocuments[d].name)!;
      const code = codeOf(res.status, res.text);
      counts.set(code, (counts.get(code) ?? 0) + 1);
    }
  };
  const workers = Array.from({ length: ATTACKERS }, (_, w) => worker(w));
  return { stop: async () => { running = false; await Promise.all(workers); agent.destroy(); return answers; } };
}

if (require.main === module) {
  const [kind, port] = [process.argv[2], Number(process.argv[3])];
  const send = (report: ProbeReport | AttackReport) => process.send!(report, undefined, {}, () => process.exit(0));
  // A child that cannot report has nothing left to do: it says why and exits 1, as an unhandled rejection would.
  const orExit = (report: Promise<unknown>): void => {
    report.catch((err) => {
      console.error(err);
      process.exit(1);
    });
  };
  if (kind === 'healthz') {
    const probe = pollHealthz(port);
    process.on('message', () => {
      orExit(probe.stop().then((latencies) => send({ kind: 'healthz', latencies })));
    });
  } else {
    const attackers = attack(port);
    process.on('message', () => {
      orExit(attackers.stop().then((answers) => send({ kind: 'attack', answers: [...answers].map(([name, counts]) => [name, [...counts]]) })));
    });
  }
  process.send!('started');
}
