import express from 'express';
import { NoSchemaIntrospectionCustomRule, type GraphQLSchema } from 'graphql';
import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { Clock } from '../common/clock';
import type { AppConfig } from '../config/env';
import type { AppPubSub } from '../events/pubsub';
import type { RequestServices } from '../modules/services';
import type { Metrics } from '../ops/metrics';
import { Admission } from './admission';
import type { TokenVerifier } from './auth';
import { contextFactory } from './context';
import { DocumentChecks } from './document-checks';
import type { IdeOptions } from './ide';
import { createErrorFormatter } from './plugins/errors';
import type { QueryLimits } from './plugins/limits';
import { CROSS_ORIGIN_PATHS, crossOrigin } from './cross-origin';
import { requestErrorHandler, unmatchedRequestHandler } from './request-errors';
import { mountConsole, type ConsoleRouteOptions } from './routes/console';
import { mountDevIde } from './routes/dev-ide';
import { mountGraphql, startApollo } from './routes/graphql';
import { mountHealth } from './routes/health';
import { mountMetrics, type MetricsRouteDeps } from './routes/metrics';
import { useRequestLog, useRequestMetrics } from './routes/request-telemetry';
import { mountImports } from './routes/imports';
import { mountMemberExports } from './routes/member-exports';
import { mountSegmentExports } from './routes/segment-exports';
import { mountSubscriptions } from './routes/subscriptions';

export interface HttpDeps {
  config: AppConfig;
  /**
   * A new request's (or subscription operation's) services and loaders, on an EntityManager
   * fork of their own: start-up builds it (src/app.ts); this layer never holds the ORM.
   */
  requestServices: () => RequestServices;
  /** The database pool now, for /metrics (src/db/pool.ts poolStats); null when unreadable. */
  poolStats: MetricsRouteDeps['poolStats'];
  schema: GraphQLSchema;
  pubSub: AppPubSub;
  verifier: TokenVerifier;
  metrics: Metrics;
  log: Logger;
  ready: () => Promise<boolean>;
  /** What "now" is for requests (startApp's options.clock); the system clock when absent. */
  clock?: Clock;
  /** What the development IDE fills in (the demo member's token and id). */
  ide?: IdeOptions;
  /** The operator's console at /admin: its build folder, and the development admin token (development starts only). */
  console?: ConsoleRouteOptions;
}

export interface HttpApp {
  server: Server;
  listen(port: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * The HTTP server: its middlewares and routes in the order a request meets them (the order
 * matters: logging and metrics see every request; the token is checked before a body is read,
 * documents before they take an admission place; the error handler comes last), then the
 * WebSocket endpoint on the same server and port.
 */
export async function createHttpApp(deps: HttpDeps): Promise<HttpApp> {
  const { config, schema, verifier, metrics, log, pubSub } = deps;
  const limits = queryLimits(config);
  // One set of checks for both paths: tokens, shape, validation (and cost), before anything runs.
  const checks = new DocumentChecks(schema, limits, {
    rules: config.production ? [NoSchemaIntrospectionCustomRule] : [], hideSuggestions: config.production, share: config.documentCheckShare,
  });
  // GraphQL requests in progress at once (src/api/admission.ts); documents are checked, on their
  // own budget, before they take a place.
  const admission = new Admission(config.maxConcurrentRequests, config.maxWaitingRequests);
  const contextFor = contextFactory(deps.requestServices, pubSub, deps.clock);
  const formatError = createErrorFormatter(log, { hideSuggestions: config.production });
  const app = express();
  app.disable('x-powered-by');
  // No ETag: GraphQL answers are POSTs that no cache revalidates, and hashing each body costs CPU.
  app.disable('etag');
  const server = createServer(app);
  // An idle keep-alive connection stays open past a load balancer's own idle limit (KEEP_ALIVE_TIMEOUT_MS).
  server.keepAliveTimeout = config.keepAliveTimeoutMs;

  useRequestLog(app, log);
  useRequestMetrics(app, metrics);
  mountHealth(app, deps.ready);
  mountMetrics(app, { token: config.metricsToken, metrics, admission, pubSub, poolStats: deps.poolStats });
  if (config.corsOrigins) app.use(CROSS_ORIGIN_PATHS, crossOrigin(config.corsOrigins));
  mountSegmentExports(app, { verifier, contextFor, log, stallMs: config.exportStallMs });
  mountImports(app, { verifier, contextFor, log, maxRunning: config.importConcurrency, maxWaitMs: config.importWaitMs });
  mountMemberExports(app, { verifier, contextFor, log, stallMs: config.exportStallMs });
  // Development only: the IDE, and `/` leads to it. In production neither exists (404).
  if (!config.production) mountDevIde(app, deps.ide);
  // The operator's console (static files; /admin/dev-token only in a development start).
  mountConsole(app, deps.console ?? { dir: config.consoleDir, devAdminToken: null });
  const subscriptions = mountSubscriptions(server, {
    schema, checks, admission, verifier, formatError, contextFor, metrics, log, pubSub,
    wsLimits: { maxSocketsPerSubject: config.wsMaxSocketsPerSubject, maxSubscriptionsPerSocket: config.wsMaxSubscriptionsPerSocket },
  });
  const apollo = await startApollo(server, { schema, production: config.production, limits, formatError, metrics, subscriptions });
  mountGraphql(app, apollo, { verifier, bodyLimit: config.bodyLimit, checks, admission, formatError, contextFor });
  app.use(unmatchedRequestHandler());
  // Body-parser errors (too large, malformed JSON) become 4xx answers that say what is wrong, without a stack.
  app.use(requestErrorHandler(log));

  return {
    server,
    // A port in use (EADDRINUSE) fails the start, which then stops what it started.
    listen: (port) => new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, () => {
        server.off('error', reject);
        resolve((server.address() as { port: number }).port);
      });
    }),
    close: async () => {
      await apollo.stop(); // stops accepting, drains in-flight requests, closes sockets
    },
  };
}

function queryLimits(config: AppConfig): QueryLimits {
  return {
    maxLength: config.maxQueryLength, maxTokens: config.maxQueryTokens, maxDepth: config.maxQueryDepth, maxAliases: config.maxAliases,
    maxDirectives: config.maxDirectives, maxCost: config.maxQueryCost,
  };
}
