import type { Express, Request } from 'express';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { pinoHttp, type ReqId } from 'pino-http';
import { LOG_REDACT, redactQuery, redactUrl } from '../../ops/logging';
import type { Metrics } from '../../ops/metrics';

/**
 * One log line per request (redacted), under the caller's x-request-id or a new one, which the
 * answer carries back. Probes and scrapes are not logged.
 */
const CALLER_ID = /^[\x21-\x7e]{1,128}$/;

export function useRequestLog(app: Express, log: Logger): void {
  const genReqId = (req: IncomingMessage, res: ServerResponse) => {
    const given = req.headers['x-request-id'];
    // A caller's id is kept when it reads as one (up to 128 visible ASCII characters): a 16 KB
    // one was echoed back and written into every log line of the request.
    const id = typeof given === 'string' && CALLER_ID.test(given) ? given : randomUUID();
    res.setHeader('x-request-id', id);
    return id;
  };
  // pino-http writes every request's line at info, a failed one's too: below info it writes
  // none, yet it built a child logger per request, the request serialized and redacted up
  // front (3% of a member screen's CPU, by profile: docs/benchmarks.md). Then only the id is left to give.
  if (!log.isLevelEnabled('info')) {
    app.use((req, res, next) => {
      req.id = genReqId(req, res);
      next();
    });
    return;
  }
  app.use(pinoHttp({
    logger: log,
    redact: LOG_REDACT,
    // The serialized request (pino-http wraps this around its own): no credential in its URL or query.
    serializers: { req: (req: { url?: string; query?: unknown }) => ({ ...req, url: req.url == null ? req.url : redactUrl(req.url), query: redactQuery(req.query) }) },
    genReqId,
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' },
  }));
}

/**
 * A request's id as text: the one useRequestLog gave it (genReqId returns the caller's
 * x-request-id or a UUID, a string), which pino-http types wider (ReqId: number | string | object).
 */
export function requestIdOf(req: { id: ReqId }): string {
  const id = req.id;
  return typeof id === 'object' ? JSON.stringify(id) : String(id);
}

/** Duration and count of every request, by method, route and status. */
export function useRequestMetrics(app: Express, metrics: Metrics): void {
  app.use((req, res, next) => {
    const end = metrics.httpDuration.startTimer();
    res.on('finish', () => {
      const route = routeLabel(req);
      end({ method: req.method, route });
      metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  });
}

/** Mounted apps (app.use) set no route: GraphQL and the console by their mount, each as one label. */
const MOUNTS = ['/graphql', '/admin', '/ide'];

/**
 * The route a request matched (never its raw path: ids would make a label per member); a
 * mounted app's requests by its mount (GraphQL's, the console's, the IDE's assets); else other.
 */
function routeLabel(req: Request): string {
  const route = (req.route as { path: string } | undefined)?.path;
  if (route) return route;
  const path = req.originalUrl.split('?')[0];
  return MOUNTS.find((m) => path === m || path.startsWith(`${m}/`)) ?? 'other';
}
