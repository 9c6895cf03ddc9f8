import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express, type RequestHandler } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { Server } from 'node:http';
import type { Metrics } from '../../ops/metrics';
import type { Admission } from '../admission';
import type { TokenVerifier } from '../auth';
import type { ContextFactory, GraphQLContext } from '../context';
import type { DocumentChecks } from '../document-checks';
import { actorOf, authenticate } from '../http-auth';
import { unavailableStatusPlugin, type createErrorFormatter } from '../plugins/errors';
import { costLimitPlugin, MAX_VALIDATION_ERRORS, subscriptionsOverWebSocketPlugin, type QueryLimits } from '../plugins/limits';
import { metricsPlugin } from '../plugins/metrics';
import { fieldRolesPlugin } from '../field-roles';
import { httpDrain } from '../closing';
import { requestIdOf } from './request-telemetry';
import type { Subscriptions } from './subscriptions';

type ErrorFormatter = ReturnType<typeof createErrorFormatter>;

export interface ApolloDeps {
  schema: GraphQLSchema;
  production: boolean;
  limits: QueryLimits;
  formatError: ErrorFormatter;
  metrics: Metrics;
  /** Drained with the HTTP server when Apollo stops. */
  subscriptions: Subscriptions;
}

/** Apollo Server on the HTTP server, started: what serves POST /graphql (mountGraphql), and stops (drains) the whole server. */
export async function startApollo(server: Server, { schema, production, limits, formatError, metrics, subscriptions }: ApolloDeps): Promise<ApolloServer<GraphQLContext>> {
  const drain = httpDrain(server);
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    introspection: !production,
    includeStacktraceInErrorResponses: false,
    // main.ts owns SIGTERM/SIGINT and stops everything in order; a second handler here raced it and hung the shutdown.
    stopOnTerminationSignals: false,
    formatError,
    // The token cap again inside Apollo's own parse; documents are checked before Apollo sees
    // them (checks.middleware in mountGraphql), cost after its validation (costLimitPlugin).
    parseOptions: { maxTokens: limits.maxTokens },
    hideSchemaDetailsFromClientErrors: production,
    validationOptions: { maxErrors: MAX_VALIDATION_ERRORS },
    plugins: [
      // Stops accepting, lets the requests in flight and those already sent finish, closes their connections (api/closing.ts).
      { async serverWillStart() { return { async drainServer() { await drain.stop(); } }; } },
      // No HTTP caching or Apollo tracing here: without these, Apollo hooks every field resolver.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginLandingPageDisabled(),
      subscriptionsOverWebSocketPlugin(),
      costLimitPlugin(limits),
      fieldRolesPlugin(),
      metricsPlugin(metrics),
      unavailableStatusPlugin(),
      { async serverWillStart() { return { async drainServer() { await subscriptions.dispose(); } }; } },
    ],
  });
  await apollo.start();
  return apollo;
}

export interface GraphqlRouteDeps {
  verifier: TokenVerifier;
  bodyLimit: string;
  checks: DocumentChecks;
  admission: Admission;
  formatError: ErrorFormatter;
  contextFor: ContextFactory;
}

/**
 * /graphql over HTTP, in this order: the token (a refused one is a 401 before the body is
 * read), the body limit, the document checks (on their own CPU budget), then a place among
 * the requests in progress (admission), then Apollo with the request's context.
 */
export function mountGraphql(app: Express, apollo: ApolloServer<GraphQLContext>, deps: GraphqlRouteDeps): void {
  const { verifier, bodyLimit, checks, admission, formatError, contextFor } = deps;
  app.use('/graphql', answerAsAccepted, authenticate(verifier), express.json({ limit: bodyLimit }), checks.middleware((e) => formatError(e.toJSON(), e)), admission.middleware(), expressMiddleware(apollo, {
    context: async ({ req, res }) => contextFor(actorOf(res), requestIdOf(req)),
  }));
}

const GRAPHQL_RESPONSE = 'application/graphql-response+json';

/**
 * The answers written here before Apollo (a refused token, a document refused by the checks, a
 * busy server, a body that is not JSON) in the media type the client prefers, as Apollo's own
 * are (GraphQL over HTTP): `application/graphql-response+json` when its Accept ranks that
 * first, JSON otherwise. res.json keeps a Content-Type already set.
 */
const answerAsAccepted: RequestHandler = (req, res, next) => {
  if (req.headers.accept && req.accepts(['application/json', GRAPHQL_RESPONSE]) === GRAPHQL_RESPONSE) {
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      if (!res.headersSent && !res.get('content-type')) res.type(`${GRAPHQL_RESPONSE}; charset=utf-8`);
      return json(body);
    };
  }
  next();
};
