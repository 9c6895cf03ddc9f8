import http from 'node:http';

export interface LoadResult { label: string; requests: number; errors: number; rps: number; p50: number; p99: number; firstError?: string }

/** POST a JSON body and resolve with status and text (no client-side timeout: jobs can run for minutes). */
export function post(url: string, body: unknown, headers: Record<string, string> = {}, agent?: http.Agent): Promise<{ status: number; text: string }> {
  const u = new URL(url);
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/**
 * A closed-loop load client: `connections` workers, each with one request in flight, over
 * keep-alive sockets, for `seconds` after a warm-up. The same client loads every variant.
 */
export async function runLoad(opts: {
  label: string; url: string; connections: number; seconds: number; warmupSeconds?: number;
  body: (worker: number, i: number) => unknown; isError?: (status: number, text: string) => boolean;
  /** The same headers for every request, or each request's own (a token per member). */
  headers?: Record<string, string> | ((worker: number, i: number) => Record<string, string>);
  /** Called as the measured window opens and closes (after the warm-up): CPU readings, say. */
  onMeasure?: { start(): void; end(): void };
}): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections });
  const isError = opts.isError ?? ((status, text) => status !== 200 || text.includes('"errors"'));
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let counting = false;
  let stop = false;
  let seq = 0;
  const worker = async (w: number) => {
    while (!stop) {
      const started = process.hrtime.bigint();
      const i = seq++;
      const headers = typeof opts.headers === 'function' ? opts.headers(w, i) : opts.headers;
      const res = await post(opts.url, opts.body(w, i), headers, agent).catch((e) => ({ status: 0, text: String(e) }));
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (!counting) continue;
      latencies.push(ms);
      if (isError(res.status, res.text)) {
        errors++;
        firstError ??= res.text.slice(0, 300);
      }
    }
  };
  const workers = Array.from({ length: opts.connections }, (_, w) => worker(w));
  await new Promise((r) => setTimeout(r, (opts.warmupSeconds ?? 3) * 1000));
  counting = true;
  opts.onMeasure?.start();
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, opts.seconds * 1000));
  counting = false;
  opts.onMeasure?.end();
  const elapsed = (Date.now() - t0) / 1000;
  stop = true;
  await Promise.all(workers);
  agent.destroy();
  const sorted = [...latencies].sort((a, b) => a - b);
  return { label: opts.label, requests: sorted.length, errors, rps: sorted.length / elapsed, p50: percentile(sorted, 50), p99: percentile(sorted, 99), firstError };
}
