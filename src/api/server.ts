import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { Admission } from './admission';
import type { MikroORM } from '@mikro-orm/postgresql';
import express from 'express';
import { GraphQLError, NoSchemaIntrospectionCustomRule, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { WebSocketServer } from 'ws';
import type { Clock } from '../common/clock';
import type { AppConfig } from '../config/env';
import type { AppPubSub } from '../events/pubsub';
import type { ServiceSettings } from '../modules/services';
import { LOG_REDACT } from '../ops/logging';
import type { Metrics } from '../ops/metrics';
import type { TokenVerifier } from './auth';
import { BroadcastCache } from './broadcast';
import { createContext, type GraphQLContext } from './context';
import { actorOf, authenticate, requireBearerSecret, sendUnauthenticated } from './http-auth';
import { ideHtml, ideRouter, type IdeOptions } from './ide';
import { createErrorFormatter } from './plugins/errors';
import { costLimitPlugin, MAX_VALIDATION_ERRORS, type QueryLimits } from './plugins/limits';
import { DocumentChecks } from './document-checks';
import { metricsPlugin } from './plugins/metrics';
import { requestErrorHandler } from './request-errors';
import { WsGuard, type GuardedExtra } from './ws-guard';

export interface HttpDeps {
  config: AppConfig;
  orm: MikroORM;
  /** What every request's services take from the configuration. */
  settings: ServiceSettings;
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
}

export interface HttpApp {
  server: Server;
  listen(port: number): Promise<number>;
  close(): Promise<void>;
}

function routeLabel(req: express.Request): string {
  return (req.route?.path as string | undefined) ?? (req.path.startsWith('/ide/') ? '/ide' : 'other');
}

export async function createHttpApp(deps: HttpDeps): Promise<HttpApp> {
  const { config, orm, schema, verifier, metrics, log, pubSub, clock, settings } = deps;
  const limits: QueryLimits = {
    maxLength: config.maxQueryLength, maxTokens: config.maxQueryTokens, maxDepth: config.maxQueryDepth, maxAliases: config.maxAliases,
    maxDirectives: config.maxDirectives, maxCost: config.maxQueryCost,
  };
  // One set of checks for both paths: tokens, shape, validation (and cost), before anything runs.
  const checks = new DocumentChecks(schema, limits, {
    rules: config.production ? [NoSchemaIntrospectionCustomRule] : [], hideSuggestions: config.production, share: config.documentCheckShare,
  });
  // GraphQL requests in progress at once (src/api/admission.ts); documents are checked, on their
  // own budget, before they take a place.
  const admission = new Admission(config.maxConcurrentRequests, config.maxWaitingRequests);
  const app = express();
  app.disable('x-powered-by');
  // No ETag: GraphQL answers are POSTs that no cache revalidates, and hashing each body costs CPU.
  app.disable('etag');
  const server = createServer(app);

  app.use(pinoHttp({
    logger: log,
    redact: LOG_REDACT,
    genReqId: (req, res) => {
      const id = (req.headers['x-request-id'] as string | undefined) ?? randomUUID();
      res.setHeader('x-request-id', id);
      return id;
    },
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' },
  }));
  app.use((req, res, next) => {
    const end = metrics.httpDuration.startTimer();
    res.on('finish', () => {
      const route = routeLabel(req);
      end({ method: req.method, route });
      metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  });

  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', async (_req, res) => {
    const ok = await deps.ready();
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready' });
  });
  app.get('/metrics', requireBearerSecret(config.metricsToken, 'metrics'), async (_req, res) => {
    const pool = poolStats(orm);
    if (pool) {
      metrics.poolUsed.set(pool.used);
      metrics.poolFree.set(pool.free);
      metrics.poolPending.set(pool.pending);
    }
    metrics.requestsInProgress.set(admission.inProgress);
    metrics.requestsWaiting.set(admission.waiting);
    for (const topic of ['TIER_CHANGED', 'TIER_NOTICE'] as const) metrics.subscribers.set({ topic }, pubSub.subscriberCount(topic));
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.get('/exports/segments/:file', authenticate(verifier), async (req: express.Request<{ file: string }>, res) => {
    const actor = actorOf(res);
    if (!actor) return sendUnauthenticated(res, 'Authentication required', false);
    if (actor.role !== 'admin') return void res.status(403).json({ errors: [{ message: 'Requires role admin', extensions: { code: 'FORBIDDEN' } }] });
    const id = req.params.file.replace(/\.csv$/, '');
    const { services } = createContext(orm, pubSub, actor, String(req.id), clock, settings);
    const segment = await services.segments.get(id).catch(() => null);
    if (!segment) return void res.status(404).json({ errors: [{ message: `Segment ${id} not found`, extensions: { code: 'NOT_FOUND' } }] });
    res.setHeader('content-type', 'text/csv; charset=utf-8');
    res.setHeader('content-disposition', `attachment; filename="segment-${id}.csv"`);
    // Keyset batches written with back-pressure: memory stays flat for a million rows.
    const write = (chunk: string) => new Promise<void>((resolve) => (res.write(chunk) ? resolve() : res.once('drain', resolve)));
    try {
      await services.segments.exportCsv(segment.filter, write);
    } catch (err) {
      log.error({ err }, 'segment export failed');
    }
    res.end();
  });

  // Development only: the IDE, and `/` leads to it. In production neither exists (404).
  if (!config.production) {
    const page = ideHtml(deps.ide);
    app.use(ideRouter());
    app.get('/', (_req, res) => res.redirect(302, '/graphql'));
    app.get('/graphql', (req, res, next) => {
      if (req.accepts(['json', 'html']) === 'html' && !req.query.query) return void res.type('html').setHeader('cache-control', 'no-store').send(page);
      next();
    });
  }

  const formatError = createErrorFormatter(log);
  const wsServer = new WebSocketServer({ server, path: '/graphql', maxPayload: 64 * 1024 });
  // Subscription events are executed and serialized once per event and equivalent subscription.
  const formatResult = (result: ExecutionResult): ExecutionResult =>
    result.errors ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) as unknown as GraphQLError[] } : result;
  const broadcast = new BroadcastCache(formatResult, metrics);
  // Token, expiry and caps per subject and socket (src/api/ws-guard.ts); anonymous sockets are refused.
  const wsGuard = new WsGuard(verifier, { maxSocketsPerSubject: config.wsMaxSocketsPerSubject, maxSubscriptionsPerSocket: config.wsMaxSubscriptionsPerSocket }, log);
  const wsCleanup = useServer<Record<string, unknown>, GuardedExtra>(wsGuard.wrap({
    schema,
    subscribe: broadcast.subscribe,
    context: (ctx, id) => {
      const context = createContext(orm, pubSub, wsGuard.actor(ctx), randomUUID(), clock, settings);
      broadcast.attach(context, ctx.extra.socket, id);
      return context;
    },
    // The same limits, validation and cost as HTTP; a refused operation is answered with its
    // errors and the socket stays open for the next one.
    onSubscribe: async (_ctx, _id, payload) => {
      const checked = await checks.operation(payload);
      if ('errors' in checked) return checked.errors;
      broadcast.remember(checked.document, payload.query);
      const args: ExecutionArgs = { schema, document: checked.document, variableValues: payload.variables, operationName: payload.operationName };
      return args;
    },
    // Same error policy as HTTP: known codes pass, everything else is masked.
    onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? formatResult(result) : undefined),
    onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatError(e.toJSON(), e)),
  }), wsServer);

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    introspection: !config.production,
    includeStacktraceInErrorResponses: false,
    // main.ts owns SIGTERM/SIGINT and stops everything in order; a second handler here raced it and hung the shutdown.
    stopOnTerminationSignals: false,
    formatError,
    // The token cap again inside Apollo's own parse; documents are checked before Apollo sees
    // them (checks.middleware below), cost after its validation (costLimitPlugin).
    parseOptions: { maxTokens: limits.maxTokens },
    hideSchemaDetailsFromClientErrors: config.production,
    validationOptions: { maxErrors: MAX_VALIDATION_ERRORS },
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      // No HTTP caching or Apollo tracing here: without these, Apollo hooks every field resolver.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginLandingPageDisabled(),
      costLimitPlugin(limits),
      metricsPlugin(metrics),
      { async serverWillStart() { return { async drainServer() { await wsCleanup.dispose(); } }; } },
    ],
  });
  await apollo.start();
  app.use('/graphql', authenticate(verifier), express.json({ limit: config.bodyLimit }), checks.middleware((e) => formatError(e.toJSON(), e)), admission.middleware(), expressMiddleware(apollo, {
    context: async ({ req, res }) => createContext(orm, pubSub, actorOf(res), String(req.id), clock, settings),
  }));
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

function poolStats(orm: MikroORM): { used: number; free: number; pending: number } | null {
  try {
    const pool = orm.em.getConnection().getKnex().client.pool;
    return { used: pool.numUsed(), free: pool.numFree(), pending: pool.numPendingAcquires() };
  } catch {
    return null;
  }
}
