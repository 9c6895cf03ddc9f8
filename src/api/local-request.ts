/**
 * Whether a request comes from a browser on this machine, asking for this machine: what the
 * development sign-in (GET /admin/dev-token) requires besides a development start.
 *   - The peer is a loopback address (127.0.0.0/8, ::1, or IPv4-mapped 127.x).
 *   - The Host is a loopback name (localhost, 127.x, [::1]): a page on another site whose name
 *     resolves to 127.0.0.1 (DNS rebinding) sends its own name and is refused.
 *   - The browser does not say it comes from another site (Sec-Fetch-Site cross-site /
 *     same-site) or another origin (an Origin header that is not a loopback one).
 */
export interface LocalRequestFacts {
  remoteAddress: string | undefined;
  host: string | undefined;
  origin?: string | undefined;
  secFetchSite?: string | undefined;
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

/** The peer and the Host both loopback: a browser on this machine asking by a loopback name. */
export function isLoopbackRequest(facts: Pick<LocalRequestFacts, 'remoteAddress' | 'host'>): boolean {
  return isLoopbackAddress(facts.remoteAddress) && isLoopbackHost(facts.host);
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
