/** Who is calling, as carried by the bearer token (runtime.md, "Tokens"). */
export type Role = 'member' | 'service' | 'admin';

export interface Actor {
  role: Role;
  /** For a member: the member id. For service/admin: the principal's name. */
  sub: string;
}

export const SYSTEM_ACTOR: Actor = { role: 'admin', sub: 'system' };

/** How an actor is written into the audit log. */
export const actorLabel = (actor: Actor) => `${actor.role}:${actor.sub}`;
