import { execute, getOperationAST, GraphQLError, Kind, type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AppPubSub } from '../../events/pubsub';
import type { Metrics } from '../../ops/metrics';
import type { Admission } from '../admission';
import type { TokenVerifier } from '../auth';
import { BroadcastCache } from '../broadcast';
import type { ContextFactory } from '../context';
import type { DocumentChecks } from '../document-checks';
import type { createErrorFormatter } from '../plugins/errors';
import { mutationFieldRefusal } from '../field-roles';
import { WsGuard, type GuardedExtra, type WsLimits } from '../ws-guard';

export interface SubscriptionDeps {
  schema: GraphQLSchema;
  checks: DocumentChecks;
  /** The places HTTP requests take (src/api/admission.ts): queries and mutations here take them too. */
  admission: Admission;
  verifier: TokenVerifier;
  wsLimits: WsLimits;
  formatError: ReturnType<typeof createErrorFormatter>;
  contextFor: ContextFactory;
  metrics: Metrics;
  log: Logger;
  /** Told how far behind the slowest socket is, so that a large batch is published as the sockets send it (AppPubSub.drained). */
  pubSub?: AppPubSub;
}

/** What stops the WebSocket endpoint (Apollo's drain calls it). */
export interface Subscriptions { dispose(): void | Promise<void> }

/**
 * GraphQL over WebSocket (graphql-ws) on the HTTP server's /graphql: a socket needs a valid
 * token and stays within its caps (ws-guard.ts); each operation is checked as HTTP checks it;
 * subscription events are executed and serialised once per event and equivalent subscription
 * (broadcast.ts); errors follow HTTP's policy.
 */
export function mountSubscriptions(server: Server, deps: SubscriptionDeps): Subscriptions {
  const { schema, checks, formatError, contextFor } = deps;
  // noServer: the HTTP server's own errors (a port in use) stay its own; attached with `server`,
  // ws re-emitted them on the WebSocket server, where graphql-ws printed them with a stack.
  const wsServer = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  deps.pubSub?.measureBacklogWith(() => {
    let most = 0;
    // Open sockets only: one closed as too slow stays CLOSING (its buffer full) until its peer answers or ws gives up (30 s).
    for (const socket of wsServer.clients) if (socket.readyState === socket.OPEN && socket.bufferedAmount > most) most = socket.bufferedAmount;
    return most;
  });
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/graphql') {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    wsServer.handleUpgrade(req, socket, head, (ws) => wsServer.emit('connection', ws, req));
  });
  // Subscription events are executed and serialized once per event and equivalent subscription.
  const formatResult = (result: ExecutionResult): ExecutionResult =>
    result.errors ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) as unknown as GraphQLError[] } : result;
  const broadcast = new BroadcastCache(formatResult, deps.metrics);
  // Token, expiry and caps per subject and socket (src/api/ws-guard.ts); anonymous sockets are refused.
  const wsGuard = new WsGuard(deps.verifier, deps.wsLimits, deps.log);
  const admitted = admittedExecute(deps.admission, deps.wsLimits.maxSubscriptionsPerSocket);
  return useServer<Record<string, unknown>, GuardedExtra>(wsGuard.wrap({
    schema,
    subscribe: broadcast.subscribe,
    execute: admitted.execute,
    context: (ctx, id) => {
      const context = contextFor(wsGuard.actor(ctx), randomUUID());
      broadcast.attach(context, ctx.extra.socket, id);
      admitted.attach(context, ctx.extra.socket);
      return context;
    },
    // The same limits, validation and cost as HTTP; a refused operation is answered with its
    // errors and the socket stays open for the next one.
    onSubscribe: async (ctx, _id, payload) => {
      const checked = await checks.operation(payload);
      if ('errors' in checked) return checked.errors;
      const unresolved = operationResolution(checked.document, payload.operationName);
      if (unresolved) return [unresolved];
      const refusal = mutationFieldRefusal(schema, checked.document, getOperationAST(checked.document, payload.operationName ?? undefined)!, wsGuard.actor(ctx), payload.variables);
      if (refusal) return [refusal];
      broadcast.remember(checked.document, payload.query);
      const args: ExecutionArgs = { schema, document: checked.document, variableValues: payload.variables, operationName: payload.operationName };
      return args;
    },
    // Same error policy as HTTP: known codes pass, everything else is masked.
    onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? formatResult(result) : undefined),
    onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatError(e.toJSON(), e)),
  }), wsServer);
}

const busy = () => new GraphQLError('The server is busy; retry later', { extensions: { code: 'SERVICE_UNAVAILABLE' } });

/**
 * The operation a subscribe message names, refused as HTTP refuses it (Apollo's
 * OPERATION_RESOLUTION_FAILURE, its words): graphql-ws's own answer was "Unable to identify
 * operation" as BAD_USER_INPUT.
 */
function operationResolution(document: DocumentNode, operationName: string | null | undefined): GraphQLError | undefined {
  if (getOperationAST(document, operationName ?? undefined)) return undefined;
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION).length;
  const message = operationName ? `Unknown operation named "${operationName}".`
    : operations > 1 ? 'Must provide operation name if query contains multiple operations.' : 'Must provide an operation.';
  return new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } });
}

/**
 * Queries and mutations over WebSocket take a place among the operations in progress, as HTTP
 * requests do, and keep it until they have run even if the socket closes meanwhile (the
 * per-socket and per-subject caps are freed at the close, while graphql-js runs on: a member
 * that sent 32 operations and closed, over and over, kept thousands running). One still
 * waiting when its socket closes never runs. Subscriptions do not wait: their events are
 * executed by the broadcast, once per event and equivalent subscription.
 */
function admittedExecute(admission: Admission, perSocket: number) {
  const sockets = new WeakMap<object, WebSocket>();
  // One signal per socket, aborted at its close (a listener per operation would pile up on it).
  const closed = new WeakMap<WebSocket, AbortSignal>();
  const closedSignal = (socket: WebSocket): AbortSignal => {
    let signal = closed.get(socket);
    if (!signal) {
      const controller = new AbortController();
      // Each operation waiting on the socket listens to it: as many as the socket may run.
      setMaxListeners(perSocket + 1, controller.signal);
      if (socket.readyState === socket.OPEN) socket.once('close', () => controller.abort());
      else controller.abort();
      signal = controller.signal;
      closed.set(socket, signal);
    }
    return signal;
  };
  return {
    attach(context: object, socket: WebSocket): void {
      sockets.set(context, socket);
    },
    execute: async (args: ExecutionArgs): Promise<ExecutionResult> => {
      const socket = sockets.get(args.contextValue as object);
      const ran = admission.run(async () => execute(args), socket && closedSignal(socket));
      if (!ran) return { errors: [busy()] };
      // undefined: the socket closed while the operation waited; nobody is there to answer.
      return (await ran) ?? { data: null };
    },
  };
}
