import type { IncomingMessage } from 'node:http';

/**
 * Whether a request comes from a browser on this machine, asking for this machine: what the
 * development sign-in (GET /admin/dev-token) requires besides a development start.
 *   - The peer is a loopback address (127.0.0.0/8, ::1, or IPv4-mapped 127.x).
 *   - The Host is a loopback name (localhost, 127.x, [::1]): a page on another site whose name
 *     resolves to 127.0.0.1 (DNS rebinding) sends its own name and is refused.
 *   - The browser does not say it comes from another site (Sec-Fetch-Site cross-site /
 *     same-site) or another origin (an Origin header that is not a loopback one).
 *   - No proxy says it passed on a request of another machine (Forwarded, X-Forwarded-For or
 *     X-Real-IP naming an address that is not loopback, X-Forwarded-Host not a loopback name,
 *     Via): a reverse proxy on this machine connects from a loopback address, and may set Host
 *     to the upstream's loopback name, for a browser anywhere. (A proxy that says nothing of
 *     its client cannot be told apart: behind one, start with JWT_SECRET.)
 */
export interface LocalRequestFacts {
  remoteAddress: string | undefined;
  host: string | undefined;
  origin?: string | undefined;
  secFetchSite?: string | undefined;
  /** A proxy's header is present: the request was passed on from another client. */
  proxied?: boolean;
}

/**
 * The client addresses the proxies' headers name (X-Forwarded-For, X-Real-IP, RFC 7239's
 * Forwarded `for=`), and whether a header says more than an address can (Via, a Forwarded
 * element without `for`, an obfuscated `for=_hidden`): then the client is not known to be here.
 */
function forwardedClients(req: IncomingMessage): { addresses: string[]; unknown: boolean } {
  const all = (name: string) => { const v = req.headers[name]; return v === undefined ? [] : Array.isArray(v) ? v : [v]; };
  const addresses: string[] = [];
  let unknown = all('via').length > 0;
  for (const value of [...all('x-forwarded-for'), ...all('x-real-ip')]) addresses.push(...value.split(',').map((a) => a.trim()));
  for (const element of all('forwarded').flatMap((v) => v.split(','))) {
    const pair = element.split(';').map((p) => p.trim()).find((p) => p.toLowerCase().startsWith('for='));
    if (!pair) { unknown = true; continue; }
    // for=192.0.2.60, for="[2001:db8::1]:4711", for="127.0.0.1:8080"
    const node = pair.slice(4).replace(/^"|"$/g, '');
    addresses.push(node.startsWith('[') ? node.slice(1, node.indexOf(']')) : node.replace(/:\d+$/, ''));
  }
  return { addresses, unknown };
}

/** A Node request's facts (express's req and the http module's alike). */
export function requestFacts(req: IncomingMessage): LocalRequestFacts {
  const one = (name: string) => { const v = req.headers[name]; return Array.isArray(v) ? v[0] : v; };
  const clients = forwardedClients(req);
  const forwardedHost = one('x-forwarded-host');
  return {
    remoteAddress: req.socket.remoteAddress, host: req.headers.host, origin: req.headers.origin, secFetchSite: one('sec-fetch-site'),
    // A proxy on this machine passing on a request of a browser on this machine (all it names loopback) is still local.
    proxied: clients.unknown || clients.addresses.some((a) => !isLoopbackAddress(a)) || (forwardedHost !== undefined && !isLoopbackHost(forwardedHost)),
  };
}

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4)) return true;
  return address === '::1';
}

/** `localhost`, `127.0.0.1:4000`, `[::1]:4000` (a Host header, with or without its port). */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  const lower = name.toLowerCase();
  return lower === 'localhost' || lower === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(lower);
}

/** The peer and the Host both loopback, and no proxy between: a browser on this machine asking by a loopback name. */
export function isLoopbackRequest(facts: Pick<LocalRequestFacts, 'remoteAddress' | 'host' | 'proxied'>): boolean {
  return !facts.proxied && isLoopbackAddress(facts.remoteAddress) && isLoopbackHost(facts.host);
}

export function isLocalRequest(facts: LocalRequestFacts): boolean {
  if (!isLoopbackRequest(facts)) return false;
  if (facts.secFetchSite && facts.secFetchSite !== 'same-origin' && facts.secFetchSite !== 'none') return false;
  if (facts.origin) {
    try {
      if (!isLoopbackHost(new URL(facts.origin).host)) return false;
    } catch {
      return false;
    }
  }
  return true;
}
