import type { AuthChecker } from 'type-graphql';
import { forbidden, unauthenticated } from '../common/errors';
import type { Actor, Role } from '../modules/actor';
import { isUuid } from '../modules/members/members.service';
import type { GraphQLContext } from './context';

/** `@Authorized()` = any valid token; `@Authorized('admin', 'service')` = one of those roles. */
export const authChecker: AuthChecker<GraphQLContext, Role> = ({ context }, roles) => {
  if (!context.actor) throw unauthenticated();
  // A member token's subject is its member id, which goes to SQL as a uuid.
  if (context.actor.role === 'member' && !isUuid(context.actor.sub)) throw unauthenticated('A member token\'s subject must be a member id');
  if (roles.length > 0 && !roles.includes(context.actor.role)) throw forbidden(`Requires role ${roles.join(' or ')}`);
  return true;
};

export function requireActor(ctx: GraphQLContext): Actor {
  if (!ctx.actor) throw unauthenticated();
  return ctx.actor;
}

/** A member sees only itself; service and admin see anyone. */
export function assertCanSeeMember(ctx: GraphQLContext, memberId: string): Actor {
  const actor = requireActor(ctx);
  if (actor.role === 'member' && actor.sub !== memberId) throw forbidden('A member may only see itself');
  return actor;
}
