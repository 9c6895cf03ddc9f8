import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { DATABASE_RETRY_AFTER_SECONDS, DATABASE_UNAVAILABLE_MESSAGE, databaseUnavailable, unavailableDetail } from '../common/unavailable';
import { redactUrl } from '../ops/logging';

/** What express.json (body-parser) tells about a body it refused; `type` names the case. */
interface BodyError { status?: number; statusCode?: number; type?: string; message?: string; charset?: string; encoding?: string }

/**
 * The JSON parser's own words without the piece of the body V8 quotes back
 * (`Unexpected token '}', "{"query": }" is not valid JSON` → `Unexpected token '}'`).
 */
function jsonProblem(message = ''): string {
  const words = message.replace(/,\s*".*"(\.\.\.)? is not valid JSON$/s, '').trim();
  return words && words.length <= 200 ? words : 'it could not be parsed';
}

/** A message a client can act on, for each way body-parser refuses a body. */
export function bodyErrorMessage(err: BodyError): string {
  switch (err.type) {
    case 'entity.too.large': return 'Request body too large';
    case 'entity.parse.failed': return `Request body is not valid JSON: ${jsonProblem(err.message)}`;
    case 'charset.unsupported': return `Unsupported charset "${err.charset ?? ''}": send JSON in UTF-8`;
    case 'encoding.unsupported': return `Unsupported content encoding "${err.encoding ?? ''}": send gzip, deflate, br or none`;
    case 'request.aborted': return 'The request body ended before its declared length';
    case 'request.size.invalid': return 'The request body does not match its Content-Length';
    default: return 'Bad request';
  }
}

/** The REST paths (not /graphql, /admin or the IDE, which answer every method their own way) and the methods each takes. */
const REST_PATHS: readonly [RegExp, readonly string[]][] = [
  [/^\/(healthz|readyz|metrics)$/, ['GET', 'HEAD']],
  [/^\/imports\/[^/]+$/, ['POST']],
  [/^\/exports\/(members|segments)\/[^/]+$/, ['GET', 'HEAD']],
];

/**
 * What no route answered: a REST path called with another method is 405 with `Allow`; any
 * other path is 404. Both in JSON like every other answer (they were Express's HTML page).
 */
export function unmatchedRequestHandler(): RequestHandler {
  return (req, res) => {
    const allowed = REST_PATHS.find(([path]) => path.test(req.path))?.[1];
    if (allowed) {
      res.status(405).setHeader('allow', allowed.join(', '));
      return void res.json({ errors: [{ message: `${req.method} is not allowed on ${req.path}: use ${allowed.filter((m) => m !== 'HEAD').join(' or ')}`, extensions: { code: 'METHOD_NOT_ALLOWED' } }] });
    }
    notServed(res, req.method, req.path);
  };
}

/** 404 for a path nothing serves, in the API's error shape (`path` as the client asked for it). */
export function notServed(res: Response, method: string, path: string): void {
  res.status(404).json({ errors: [{ message: `Nothing is served at ${method} ${path}`, extensions: { code: 'NOT_FOUND' } }] });
}

/**
 * Errors that reach Express instead of Apollo (the body parser's, or a bug): a client's
 * mistake is a 4xx that says what is wrong; anything else is a logged 500 without detail.
 */
export function requestErrorHandler(log: Logger): ErrorRequestHandler {
  return (err: BodyError, req, res, _next) => {
    const status = err.status ?? err.statusCode;
    if (status && status >= 400 && status < 500) {
      return void res.status(status).json({ errors: [{ message: bodyErrorMessage(err), extensions: { code: 'BAD_REQUEST' } }] });
    }
    sendUnexpected(res, err, log, { url: redactUrl(req.url) }, 'unexpected error in an HTTP request');
  };
}

/**
 * The answer to a failure that is not the client's: 503 SERVICE_UNAVAILABLE with Retry-After
 * when the database is unavailable (the client sends it again), else a logged 500 without detail.
 */
export function sendUnexpected(res: Response, err: unknown, log: Logger, context: Record<string, unknown>, what: string): void {
  if (databaseUnavailable(err)) {
    log.warn({ ...context, err: unavailableDetail(err) }, 'database unavailable');
    res.status(503).setHeader('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
    return void res.json({ errors: [{ message: DATABASE_UNAVAILABLE_MESSAGE, extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
  }
  log.error({ ...context, err }, what);
  res.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
}
