import { createHmac } from 'node:crypto';
import { ALL_WEBHOOK_EVENTS, isWebhookEventType } from './webhook-events.rules';

/**
 * The pure parts of webhook delivery: the body, the signature, the retry schedule, what an
 * address is, and what an endpoint's URL and event types may be. No clock, no network.
 */

/** What a delivery's body is built from (a webhook_event row). */
export interface EventForBody { id: string; type: string; occurredAt: Date; data: unknown }

/**
 * The POST body: `{"id","type","occurredAt","data"}` in that order. The same event gives the
 * same bytes at every attempt (occurredAt to the millisecond, data as stored: jsonb keeps its
 * own key order), so a receiver may compare retries byte for byte.
 */
export function deliveryBody(e: EventForBody): string {
  return JSON.stringify({ id: e.id, type: e.type, occurredAt: e.occurredAt.toISOString(), data: e.data });
}

/** hex HMAC-SHA256(secret, "<t>.<body>"): one `v1` value. The key is the secret's UTF-8 bytes. */
export function signatureV1(secret: string, t: number, body: string): string {
  return createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
}

/**
 * The Loyalty-Signature header: `t=<unix seconds>,v1=<hex>` with one `v1` per secret in force
 * (the current one first; after a rotation, the previous one too for 24 h).
 */
export function signatureHeader(secrets: readonly string[], t: number, body: string): string {
  return [`t=${t}`, ...secrets.map((s) => `v1=${signatureV1(s, t, body)}`)].join(',');
}

/** The header's parts: its `t` and every `v1` value (a receiver's view; the tests' too). */
export function parseSignatureHeader(header: string): { t: number | null; v1: string[] } {
  let t: number | null = null;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const [k, v] = [part.slice(0, eq).trim(), part.slice(eq + 1).trim()];
    if (k === 't' && /^\d+$/.test(v)) t = Number(v);
    if (k === 'v1' && /^[0-9a-f]{64}$/.test(v)) v1.push(v);
  }
  return { t, v1 };
}

/** The signing secrets in force at `now`: the current one, and the previous one until it expires. */
export function secretsInForce(e: { secret: string; previousSecret: string | null; previousSecretExpiresAt: Date | null }, now: Date): string[] {
  const previous = e.previousSecret && e.previousSecretExpiresAt && e.previousSecretExpiresAt.getTime() > now.getTime() ? [e.previousSecret] : [];
  return [e.secret, ...previous];
}

/** What the API shows of a secret: its last 4 characters. */
export function secretHint(secret: string): string {
  return secret.slice(-4);
}

/** One hour: no retry waits longer. */
export const MAX_BACKOFF_MS = 3_600_000;

/**
 * How long to wait after failed attempt number `attempt` (1 for the first): `base · 2^(attempt−1)`,
 * capped at an hour, with "equal jitter" (half fixed, half random: `random` in [0, 1)), so that
 * deliveries failing together do not all come back together, and a retry never comes sooner
 * than half its step.
 */
export function backoffMs(attempt: number, baseMs: number, random: number, capMs = MAX_BACKOFF_MS): number {
  const step = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40));
  return Math.round(step / 2 + (step / 2) * Math.min(Math.max(random, 0), 1));
}

/** What one attempt came to. `status` null: no HTTP answer (refused, timed out, connection failed). */
export type AttemptOutcome =
  | { kind: 'DELIVERED' }
  /** 410 Gone: the receiver says the endpoint is no more; it is deactivated and the delivery waits. */
  | { kind: 'GONE' }
  | { kind: 'RETRY'; delayMs: number }
  | { kind: 'DEAD' };

/** The outcome of attempt number `attempt` that answered `status` (null: no answer). */
export function attemptOutcome(status: number | null, attempt: number, opts: { maxAttempts: number; baseMs: number; random: number }): AttemptOutcome {
  if (status != null && status >= 200 && status < 300) return { kind: 'DELIVERED' };
  if (status === 410) return { kind: 'GONE' };
  if (attempt >= opts.maxAttempts) return { kind: 'DEAD' };
  return { kind: 'RETRY', delayMs: backoffMs(attempt, opts.baseMs, opts.random) };
}

/** Where an IP address points: only `public` may be sent to in production (unless WEBHOOK_ALLOW_INSECURE=1). */
export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'unspecified' | 'reserved';

function ipv4Bytes(ip: string): number[] | null {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.map(Number);
}

function classifyIpv4([a, b, c]: number[]): AddressClass {
  if (a === 0) return 'unspecified'; // 0.0.0.0/8: "this network"; Linux connects 0.0.0.0 to itself
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 100 && b >= 64 && b <= 127) return 'private'; // carrier-grade NAT (RFC 6598)
  if (a === 169 && b === 254) return 'link-local'; // cloud metadata services live here
  if (a === 192 && b === 0 && c === 0) return 'reserved'; // IETF protocol assignments
  if ((a === 192 && b === 0 && c === 2) || (a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)) return 'reserved'; // documentation
  if (a === 198 && (b === 18 || b === 19)) return 'reserved'; // benchmarking
  if (a >= 224) return 'reserved'; // multicast, reserved, broadcast
  return 'public';
}

/** An IPv6 address's 8 groups (with an embedded IPv4 tail expanded); null if it is not one. */
function ipv6Groups(ip: string): number[] | null {
  let s = ip.toLowerCase();
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (tail) {
    const v4 = ipv4Bytes(tail[1]);
    if (!v4) return null;
    s = s.slice(0, -tail[1].length) + `${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  if (groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.map((g) => parseInt(g, 16));
}

function classifyIpv6(g: number[]): AddressClass {
  if (g.every((x) => x === 0)) return 'unspecified';
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d): the IPv4 address decides.
  const v4 = [g[6] >> 8, g[6] & 255, g[7] >> 8, g[7] & 255];
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) return classifyIpv4(v4);
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return classifyIpv4(v4); // NAT64
  if ((g[0] & 0xffc0) === 0xfe80) return 'link-local';
  if ((g[0] & 0xfe00) === 0xfc00) return 'private'; // unique local fc00::/7
  if ((g[0] & 0xffc0) === 0xfec0) return 'private'; // deprecated site-local
  if ((g[0] & 0xff00) === 0xff00) return 'reserved'; // multicast
  if (g[0] === 0x2001 && g[1] === 0x0db8) return 'reserved'; // documentation
  if (g[0] === 0x2002) return classifyIpv4([g[1] >> 8, g[1] & 255, g[2] >> 8, g[2] & 255]); // 6to4 carries an IPv4 address
  // Only global unicast (2000::/3) is public; outside it (local-use NAT64 64:ff9b:1::/48, which
  // reaches a local IPv4 host; discard-only 100::/64; unassigned space) nothing is.
  if ((g[0] & 0xe000) !== 0x2000) return 'reserved';
  if ((g[0] & 0xfff0) === 0x3ff0) return 'reserved'; // documentation 3fff::/20
  // IETF protocol assignments that are not globally reachable: Teredo 2001::/32, benchmarking
  // 2001:2::/48, ORCHID 2001:10::/28 and ORCHIDv2 2001:20::/28.
  if (g[0] === 0x2001 && (g[1] === 0 || (g[1] === 2 && g[2] === 0) || (g[1] & 0xfff0) === 0x10 || (g[1] & 0xfff0) === 0x20)) return 'reserved';
  return 'public';
}

/** What an IP address (v4 or v6, as text) is; null when the text is no IP address. */
export function classifyAddress(ip: string): AddressClass | null {
  const v4 = ipv4Bytes(ip);
  if (v4) return classifyIpv4(v4);
  const v6 = ipv6Groups(ip);
  return v6 ? classifyIpv6(v6) : null;
}

/** Longest URL an endpoint may have. */
export const MAX_URL_LENGTH = 2048;

/** Whether URLs and addresses that production refuses are allowed (development, tests, WEBHOOK_ALLOW_INSECURE=1). */
export interface UrlPolicy { allowInsecure: boolean }

/**
 * Why an endpoint URL is refused, or null when it is acceptable: http(s) only, no user name or
 * password in it, no fragment; under the secure policy https only, and a host written as an IP
 * address (or `localhost`) must be public. Names are resolved and checked at each attempt.
 */
export function urlProblem(raw: string, policy: UrlPolicy): string | null {
  if (raw.length > MAX_URL_LENGTH) return `url must be at most ${MAX_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'url must be an absolute http(s) URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'url must be an absolute http(s) URL';
  if (url.username || url.password) return 'url must not carry a user name or password';
  if (url.hash) return 'url must not have a fragment (#…)';
  if (!url.hostname) return 'url must name a host';
  const unsafe = policy.allowInsecure ? null : insecurity(url);
  if (unsafe) return unsafe;
  if (!writtenAsCalled(raw, url)) return `url must be an absolute http(s) URL written out in full as the address called: ${url.href}`;
  return null;
}

/** Why production refuses the URL (http://, a loopback, private or otherwise non-public address written as the host), or null. */
function insecurity(url: URL): string | null {
  if (url.protocol !== 'https:') return 'url must be https:// (http:// needs WEBHOOK_ALLOW_INSECURE=1)';
  const host = hostOf(url);
  if (host === 'localhost' || host.endsWith('.localhost')) return 'url must not point at this machine (loopback)';
  const kind = classifyAddress(host);
  if (kind && kind !== 'public') return addressProblem(host, kind);
  return null;
}

/**
 * Whether `raw` is the URL the parser makes of it (`url.href`), up to the case of its scheme and
 * host and the slash of an empty path. The parser repairs a missing or doubled slash, a
 * backslash, a tab or a space, a dot segment, a host written as a number, a default port, a
 * character it percent-encodes: the endpoint would show one address and call another.
 */
function writtenAsCalled(raw: string, url: URL): boolean {
  const href = url.href;
  if (raw === href || `${raw}/` === href) return true;
  const n = url.origin.length;
  return raw.slice(0, n).toLowerCase() === href.slice(0, n) && (raw.slice(n) || '/') === href.slice(n);
}

/** The URL's host name without an IPv6 address's brackets and a trailing dot. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
}

/** Why sending to `address` is refused (it is not public). */
export function addressProblem(address: string, kind: AddressClass): string {
  return `address ${address} is ${kind}: refused (set WEBHOOK_ALLOW_INSECURE=1 to allow it)`;
}

/**
 * An endpoint's event types as stored: each a known type or `*`, no duplicates, in the order
 * given; `*` with others is just `*`. Returns the list or the problem with it.
 */
export function normalizeEventTypes(types: readonly string[]): { types: string[] } | { problem: string } {
  if (!types.length) return { problem: 'eventTypes must name at least one event type (or "*" for every type)' };
  if (types.length > 100) return { problem: 'eventTypes must name at most 100 event types' };
  const unknown = types.filter((t) => t !== ALL_WEBHOOK_EVENTS && !isWebhookEventType(t));
  if (unknown.length) return { problem: `unknown event type${unknown.length > 1 ? 's' : ''}: ${unknown.slice(0, 5).join(', ')} (webhookEventTypes lists them)` };
  if (types.includes(ALL_WEBHOOK_EVENTS)) return { types: [ALL_WEBHOOK_EVENTS] };
  return { types: [...new Set(types)] };
}

/**
 * Whether an endpoint update asks for what the endpoint already has: the same URL, the same
 * activity and the same set of event types (their order is no change). Such an update (a
 * console's save pressed twice, a script's retry) writes nothing and audits nothing.
 */
export function sameEndpointSettings(
  stored: { url: string; eventTypes: readonly string[]; active: boolean },
  wanted: { url: string; eventTypes: readonly string[]; active: boolean },
): boolean {
  if (stored.url !== wanted.url || stored.active !== wanted.active) return false;
  const had = new Set(stored.eventTypes);
  const wants = new Set(wanted.eventTypes);
  return had.size === wants.size && [...wants].every((t) => had.has(t));
}

/** An error text kept for the log: one line, at most 500 characters. */
export function shortError(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 500 ? `${line.slice(0, 497)}...` : line;
}

/**
 * Attempts allowed while the API needs the CPU: `rate` a second, saved up to a tenth of a
 * second's worth (one at least: `allowanceCap`) while none is used. `tokens` is what may be
 * claimed at `at`.
 */
export interface Allowance { tokens: number; at: number }

/** What an allowance saves up at most: a tenth of a second's worth, one at least. */
export const allowanceCap = (rate: number) => Math.max(1, Math.floor(rate / 10));

/** The allowance at `now`, grown at `rate` a second since its last reading, up to its cap. */
export function allowanceAt(a: Allowance, now: number, rate: number): Allowance {
  return { tokens: Math.min(allowanceCap(rate), a.tokens + (Math.max(0, now - a.at) / 1000) * rate), at: Math.max(a.at, now) };
}

/** Milliseconds until the allowance holds `tokens` whole attempts (0: it does now). */
export function msUntilTokens(a: Allowance, rate: number, tokens: number): number {
  return a.tokens >= tokens ? 0 : Math.ceil(((tokens - a.tokens) / rate) * 1000);
}
