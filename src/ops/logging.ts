import type { redactOptions } from 'pino';

/**
 * Request and response fields that carry credentials, replaced in every log line (pino's
 * `redact`): a bearer token or a session cookie in a log is a credential for whoever reads it.
 * Used by the request logger (whatever logger it is handed) and by the process's own logger.
 */
export const LOG_REDACT: redactOptions = {
  paths: [
    'req.headers.authorization',
    'req.headers["proxy-authorization"]',
    'req.headers.cookie',
    'res.headers["set-cookie"]',
  ],
  censor: '[redacted]',
};

/** A query parameter whose name says it carries a credential (access_token, id_token, jwt, api_key, secret …). */
const CREDENTIAL_PARAM = /token|jwt|auth|key|secret|passw|signature/i;

/**
 * A request URL as the log may show it: the values of query parameters that carry credentials
 * replaced. The server takes a token from the Authorization header only, but a client that follows
 * RFC 6750 §2.3 sends `?access_token=…`: refused, and it was then written to every request log
 * line in clear (a 30-day admin token, for whoever reads the logs).
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = url.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq < 0) return pair;
    let name = pair.slice(0, eq);
    try { name = decodeURIComponent(name.replace(/\+/g, ' ')); } catch { /* a malformed name is matched as it is */ }
    return CREDENTIAL_PARAM.test(name) ? `${pair.slice(0, eq)}=[redacted]` : pair;
  });
  return `${url.slice(0, q)}?${query.join('&')}`;
}

/** The same for a parsed query object (pino-http logs `req.query` too). */
export function redactQuery(query: unknown): unknown {
  if (query == null || typeof query !== 'object') return query;
  return Object.fromEntries(Object.entries(query).map(([k, v]) => [k, CREDENTIAL_PARAM.test(k) ? '[redacted]' : v]));
}
