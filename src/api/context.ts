import type { MikroORM } from '@mikro-orm/postgresql';
import { systemClock, type Clock } from '../common/clock';
import type { AppPubSub } from '../events/pubsub';
import type { Actor } from '../modules/actor';
import { createLoaders, createServices, DEFAULT_SERVICE_SETTINGS, type Loaders, type ServiceSettings, type Services } from '../modules/services';

export interface GraphQLContext {
  actor: Actor | null;
  services: Services;
  loaders: Loaders;
  requestId: string;
  pubSub: AppPubSub;
  clock: Clock;
}

/** One EntityManager fork per request or subscription operation: no shared identity map. */
export function createContext(
  orm: MikroORM, pubSub: AppPubSub, actor: Actor | null, requestId: string, clock: Clock = systemClock, settings: ServiceSettings = DEFAULT_SERVICE_SETTINGS,
): GraphQLContext {
  const em = orm.em.fork();
  const services = createServices(em, settings);
  return { actor, services, loaders: createLoaders(em, services, clock), requestId, pubSub, clock };
}

/** A request's context from its caller and id: what the routes build each request's services with. */
export type ContextFactory = (actor: Actor | null, requestId: string) => GraphQLContext;

/** The context factory of one server: every context on a fork of `orm`, with its pub/sub and clock. */
export function contextFactory(orm: MikroORM, pubSub: AppPubSub, clock?: Clock, settings?: ServiceSettings): ContextFactory {
  return (actor, requestId) => createContext(orm, pubSub, actor, requestId, clock, settings);
}
