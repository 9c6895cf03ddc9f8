/**
 * Whether an error says the database could not be reached or went away (not that a statement
 * was wrong): the server was down or restarting, the network dropped, or no connection could
 * be had. A request that met one is answered 503 SERVICE_UNAVAILABLE with Retry-After, so that
 * a till or a back end sends it again (with the same idempotency key) rather than give up on
 * an INTERNAL_SERVER_ERROR; nothing it asked for was written, or, if the connection went at
 * the commit, the retry answers what was.
 */
export function databaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const { code, name, message } = e as { code?: unknown; name?: unknown; message?: unknown };
    if (typeof code === 'string' && unavailableCode(code)) return true;
    if (code === '55000' && typeof message === 'string' && /is not currently accepting connections/.test(message)) return true; // ALTER DATABASE … ALLOW_CONNECTIONS false
    if (name === 'KnexTimeoutError' || name === 'ConnectionException') return true;
    if (typeof message === 'string' && LOST_CONNECTION.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** What the log says of such an error: its message and code, without the stack of an outage every request repeats. */
export function unavailableDetail(err: unknown): { message: unknown; code: unknown } {
  const { message, code } = (err ?? {}) as { message?: unknown; code?: unknown };
  return { message, code };
}

/** Retry-After, in seconds, sent with a 503 for an unavailable database. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

export const DATABASE_UNAVAILABLE_MESSAGE = 'The database is unavailable; retry later';

/**
 * SQLSTATE class 08 (connection exception) but 08P01, 57P01–57P03 (the server shutting down, crashed,
 * or starting up), 53300 (too many connections); and the socket's own errors.
 */
function unavailableCode(code: string): boolean {
  return (code.startsWith('08') && code !== PROTOCOL_VIOLATION) || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300'
    || SOCKET_CODES.has(code);
}

/** 08P01: the server refused what the client sent (too many bind parameters, a malformed message): a bug, not an outage. */
const PROTOCOL_VIOLATION = '08P01';

const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** node-postgres' words for a connection that ended under it (it gives them no code). */
const LOST_CONNECTION = /^Connection terminated|^Client has encountered a connection error and is not queryable|^Knex: Timeout acquiring a connection/;
