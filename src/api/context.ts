import { systemClock, type Clock } from '../common/clock';
import type { AppPubSub } from '../events/pubsub';
import type { Actor } from '../modules/actor';
import type { Loaders, RequestServices, Services } from '../modules/services';

export interface GraphQLContext {
  actor: Actor | null;
  services: Services;
  loaders: Loaders;
  requestId: string;
  pubSub: AppPubSub;
  clock: Clock;
}

/** A request's or subscription operation's context, on `scope`: services and loaders of their own (one EntityManager fork, no shared identity map). */
export function createContext(scope: RequestServices, pubSub: AppPubSub, actor: Actor | null, requestId: string, clock: Clock = systemClock): GraphQLContext {
  return { actor, services: scope.services, loaders: scope.loaders, requestId, pubSub, clock };
}

/** A request's context from its caller and id: what the routes build each request's services with. */
export type ContextFactory = (actor: Actor | null, requestId: string) => GraphQLContext;

/**
 * The context factory of one server: every context on new services and loaders from
 * `requestServices` (start-up's, src/app.ts: it holds the ORM, this layer never does), with
 * the server's pub/sub and clock.
 */
export function contextFactory(requestServices: () => RequestServices, pubSub: AppPubSub, clock?: Clock): ContextFactory {
  return (actor, requestId) => createContext(requestServices(), pubSub, actor, requestId, clock);
}
