import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST the receiver got. */
export interface Received {
  path: string;
  body: string;
  headers: http.IncomingHttpHeaders;
  eventId: string;
  eventType: string;
  signature: string;
  at: number;
}

/** How the receiver answers a request: a status (and body; after `delayMs`), or `hang` (never answers). */
export type Answer = { status: number; body?: string; headers?: Record<string, string>; delayMs?: number } | 'hang';

/**
 * A real HTTP server receiving webhooks, as a customer's would: it records each request and
 * answers what `answer` says (204 by default), per path.
 */
export interface Receiver {
  url: string;
  received: Received[];
  answer: (r: Received) => Answer;
  /** Requests received and not yet over (answered, or their connection closed by the sender), now and at most so far. */
  open: number;
  mostOpen: number;
  /** Events received per id (receivers de-duplicate on it). */
  byEvent(): Map<string, Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(answer: (r: Received) => Answer = () => ({ status: 204 })): Promise<Receiver> {
  const hanging: http.ServerResponse[] = [];
  const receiver: Receiver = {
    url: '', received: [], answer, open: 0, mostOpen: 0,
    byEvent() {
      const m = new Map<string, Received[]>();
      for (const r of receiver.received) m.set(r.eventId, [...(m.get(r.eventId) ?? []), r]);
      return m;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        path: req.url ?? '/', body: Buffer.concat(chunks).toString('utf8'), headers: req.headers,
        eventId: String(req.headers['loyalty-event-id'] ?? ''), eventType: String(req.headers['loyalty-event-type'] ?? ''),
        signature: String(req.headers['loyalty-signature'] ?? ''), at: Date.now(),
      };
      receiver.received.push(r);
      receiver.mostOpen = Math.max(receiver.mostOpen, ++receiver.open);
      // Over when the answer is sent or the sender gives up (its abort closes the connection): the
      // sender's own count of what it has open, seen from this side.
      res.once('close', () => receiver.open--);
      const a = receiver.answer(r);
      if (a === 'hang') {
        hanging.push(res);
        return;
      }
      const send = () => {
        res.writeHead(a.status, a.headers ?? {});
        res.end(a.body ?? '');
      };
      if (a.delayMs) setTimeout(send, a.delayMs);
      else send();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}

/**
 * The README's receiver check: t no older than 5 minutes, and one of the v1 values equal
 * (constant-time) to HMAC-SHA256(secret, "<t>.<raw body>").
 */
export function verifySignature(secret: string, header: string, rawBody: string, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  const parts = header.split(',').map((p) => p.split('=') as [string, string]);
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  return parts.filter(([k]) => k === 'v1').some(([, v]) => {
    const got = Buffer.from(v, 'hex');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}
