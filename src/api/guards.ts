import type { AuthChecker } from 'type-graphql';
import { forbidden, unauthenticated } from '../common/errors';
import type { Actor, Role } from '../modules/actor';
import { isUuid } from '../modules/members/members.service';
import type { GraphQLContext } from './context';

/**
 * Why a verified token still cannot act, or null: a member token's subject is its member id,
 * which goes to SQL as a uuid. HTTP answers it UNAUTHENTICATED, a WebSocket closes with 4401.
 */
export function actorRefusal(actor: Actor): string | null {
  return actor.role === 'member' && !isUuid(actor.sub) ? 'A member token\'s subject must be a member id' : null;
}

/** A field's role check: none (`[]`) = any valid token, else one of `roles`; throws UNAUTHENTICATED or FORBIDDEN. */
export function checkRoles(context: GraphQLContext, roles: readonly Role[]): true {
  if (!context.actor) throw unauthenticated();
  const refusal = actorRefusal(context.actor);
  if (refusal) throw unauthenticated(refusal);
  if (roles.length > 0 && !roles.includes(context.actor.role)) throw forbidden(`Requires role ${roles.join(' or ')}`);
  return true;
}

/** `@Authorized()` = any valid token; `@Authorized('admin', 'service')` = one of those roles. */
export const authChecker: AuthChecker<GraphQLContext, Role> = ({ context }, roles) => checkRoles(context, roles);

export function requireActor(ctx: GraphQLContext): Actor {
  if (!ctx.actor) throw unauthenticated();
  return ctx.actor;
}

/**
 * For a member (itself) or a service naming one: the member exists and was not erased
 * (NOT_FOUND otherwise), as `me` is null and every write NOT_FOUND for an erased member. An
 * admin reads any member's history, an erased one's included (kept for accounting).
 */
export async function assertLiveUnlessAdmin(ctx: GraphQLContext, memberId: string | null | undefined): Promise<void> {
  if (memberId != null && requireActor(ctx).role !== 'admin') await ctx.services.members.assertLive(memberId);
}

/** A member sees only itself; service and admin see anyone. */
export function assertCanSeeMember(ctx: GraphQLContext, memberId: string): Actor {
  const actor = requireActor(ctx);
  if (actor.role === 'member' && actor.sub !== memberId) throw forbidden('A member may only see itself');
  return actor;
}

/**
 * Whose tier changes the caller may read or hear (tierChanged, tierChanges, tierChangeFeed): a
 * member its own; a service one named member; an admin one member or every member (null).
 * Without a member named, tierChanged and tierChanges mean the member itself to a member's token
 * (a member app need not send its own id), where the feed's contract means every member's
 * (`none`: 'every', refused to a member with `refusals.every` and a word on passing its own id).
 * `refusals`: each operation's words.
 */
export function tierChangesScope(
  ctx: GraphQLContext, memberId: string | null | undefined, none: 'itself' | 'every', refusals: { other: string; every: string },
): string | null {
  const actor = requireActor(ctx);
  if (actor.role === 'member') {
    // Left out where it means every member (the feed): the member is told to name itself.
    if (memberId == null && none === 'every') throw forbidden(`${refusals.every}: a member passes its own memberId`);
    if (memberId != null && memberId !== actor.sub) throw forbidden(refusals.other);
    return actor.sub;
  }
  if (actor.role === 'service' && memberId == null) throw forbidden(refusals.every);
  return memberId ?? null;
}
