import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import type { Actor, Role } from '../modules/actor';

const ROLES: Role[] = ['member', 'service', 'admin'];

export interface TokenVerifier {
  /** The actor of a bearer token, or null when the token is missing, forged or expired. */
  verify(authorization: string | undefined | null): Promise<Actor | null>;
}

export function createTokenVerifier(opts: { secret: string | null; jwksUrl: string | null }): TokenVerifier {
  const secret = opts.secret ? new TextEncoder().encode(opts.secret) : null;
  const jwks: JWTVerifyGetKey | null = opts.jwksUrl ? createRemoteJWKSet(new URL(opts.jwksUrl)) : null;
  return {
    async verify(authorization) {
      const match = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
      if (!match) return null;
      try {
        const { payload } = jwks
          ? await jwtVerify(match[1], jwks, { algorithms: ['RS256', 'ES256'] })
          : await jwtVerify(match[1], secret!, { algorithms: ['HS256'] });
        const role = payload.role as Role;
        if (!ROLES.includes(role) || typeof payload.sub !== 'string' || payload.sub === '') return null;
        return { role, sub: payload.sub };
      } catch {
        return null;
      }
    },
  };
}

export async function mintToken(secret: string, actor: Actor, expiresIn: string | number = '30d'): Promise<string> {
  return new SignJWT({ role: actor.role })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(actor.sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}
