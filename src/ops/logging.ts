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
