import { lookup } from 'node:dns/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { addressProblem, classifyAddress, hostOf, shortError } from './webhooks.rules';

/** At most this much of an answer's body is read; the rest is not waited for. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

export interface WebhookRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Allow http:// and non-public addresses (development, WEBHOOK_ALLOW_INSECURE=1). */
  allowInsecure: boolean;
}

/** An attempt's result: the answer's status (null: none) and what went wrong, if anything. */
export interface WebhookResponse { status: number | null; error: string | null }

/** Keep-alive connections per origin (scheme, host, port): each was opened to an address checked when it was opened. */
const agents = new Map<string, http.Agent>();

function agentFor(url: URL): http.Agent {
  const key = `${url.protocol}//${url.host}`;
  let agent = agents.get(key);
  if (!agent) {
    if (agents.size > 1000) agents.clear(); // endpoints come and go; an old idle agent's sockets close on their own
    const options = { keepAlive: true, maxSockets: 64, maxFreeSockets: 16, timeout: 60_000 };
    agents.set(key, (agent = url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options)));
  }
  return agent;
}

/**
 * The address to connect to for `url`: looked up now (at every attempt) and, unless insecure
 * addresses are allowed, refused if any address the name has is loopback, private,
 * link-local or otherwise not public. The connection then goes to exactly this address (the
 * request's own `lookup` answers with it): a name that answers differently a moment later
 * (DNS rebinding) is not looked up again.
 */
async function checkedAddress(url: URL, allowInsecure: boolean): Promise<{ address: string; family: number } | { problem: string }> {
  const host = hostOf(url);
  const literal = classifyAddress(host);
  const found = literal ? [{ address: host, family: host.includes(':') ? 6 : 4 }] : await lookup(host, { all: true, verbatim: true });
  if (!found.length) return { problem: `${host} has no address` };
  if (!allowInsecure) {
    for (const a of found) {
      const kind = classifyAddress(a.address);
      if (kind !== 'public') return { problem: addressProblem(a.address, kind ?? 'reserved') };
    }
  }
  return found[0];
}

/**
 * POSTs one delivery: no redirect followed (a 3xx is a failed attempt), the whole attempt
 * (look-up, connection, the answer's status) within `timeoutMs`, at most MAX_RESPONSE_BYTES
 * of the answer read. Never throws: what went wrong is in `error`.
 */
export async function sendWebhook(req: WebhookRequest): Promise<WebhookResponse> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return { status: null, error: 'the endpoint URL is not valid' };
  }
  if (!req.allowInsecure && url.protocol !== 'https:') return { status: null, error: 'refused: http:// (set WEBHOOK_ALLOW_INSECURE=1 to allow it)' };
  // Aborted only at the deadline: a 2xx's connection goes on (its body drained) and back to the agent.
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  // The answer's status, once it has come: a non-2xx whose body is still being read at the
  // deadline is that status (a 410 still deactivates; the log shows the code), not "no answer".
  let answered: number | null = null;
  const deadline = new Promise<WebhookResponse>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve(answered == null
        ? { status: null, error: `timed out after ${req.timeoutMs} ms` }
        : { status: answered, error: `HTTP ${answered}: the answer's body did not end within ${req.timeoutMs} ms` });
    }, req.timeoutMs);
  });
  const attempt = (async (): Promise<WebhookResponse> => {
    let target: Awaited<ReturnType<typeof checkedAddress>>;
    try {
      target = await checkedAddress(url, req.allowInsecure);
    } catch (err) {
      return { status: null, error: `address look-up failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
    }
    if ('problem' in target) return { status: null, error: `refused: ${target.problem}` };
    if (controller.signal.aborted) return { status: null, error: 'timed out' };
    return post(url, req, target, controller.signal, (status) => { answered = status; });
  })();
  const result = await Promise.race([attempt, deadline]);
  clearTimeout(timer);
  return result;
}

function post(url: URL, req: WebhookRequest, target: { address: string; family: number }, signal: AbortSignal, onStatus: (status: number) => void): Promise<WebhookResponse> {
  const pinned: LookupFunction = (_host, options, callback) => {
    // Node asks for every address when it tries them in turn (autoSelectFamily): the one checked is all there is.
    if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [target]);
    else callback(null, target.address, target.family);
  };
  const body = Buffer.from(req.body);
  return new Promise<WebhookResponse>((resolve) => {
    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'POST', agent: agentFor(url), lookup: pinned, signal,
      headers: { ...req.headers, 'content-length': String(body.length) },
    }, (res) => {
      onStatus(res.statusCode ?? 0);
      resolve(answer(res));
    });
    request.on('error', (err: NodeJS.ErrnoException) => resolve({ status: null, error: shortError(`connection failed: ${err.code ?? err.message}`) }));
    request.end(body);
  });
}

/** A 2xx is settled at its status; any other answer is read (up to MAX_RESPONSE_BYTES) for the first of what it says. */
function answer(res: IncomingMessage): Promise<WebhookResponse> | WebhookResponse {
  const status = res.statusCode ?? 0;
  if (status >= 200 && status < 300) {
    drain(res);
    return { status, error: null };
  }
  if (status >= 300 && status < 400) {
    drain(res);
    return { status, error: shortError(`HTTP ${status}: redirect not followed${res.headers.location ? ` (to ${res.headers.location})` : ''}`) };
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => resolve({ status, error: shortError(`HTTP ${status}${size ? `: ${Buffer.concat(chunks).toString('utf8', 0, Math.min(size, 300))}` : ''}`) });
    res.on('data', (chunk: Buffer) => {
      if (size < MAX_RESPONSE_BYTES) chunks.push(chunk);
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) {
        res.destroy();
        done();
      }
    });
    res.on('end', done);
    res.on('error', done);
    res.on('close', done);
  });
}

/** Reads and drops the rest of an answer (the connection goes back for the next attempt), giving up past MAX_RESPONSE_BYTES. */
function drain(res: IncomingMessage): void {
  let size = 0;
  res.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_RESPONSE_BYTES) res.destroy();
  });
  res.on('error', () => { /* the status is what counts */ });
}
