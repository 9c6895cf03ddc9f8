import { createRemoteJWKSet, errors, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { systemClock, type Clock } from '../common/clock';
import { unauthenticated } from '../common/errors';
import type { Actor, Role } from '../modules/actor';
import { canonicalId } from '../modules/members/members.service';

const ROLES: Role[] = ['member', 'service', 'admin'];

/** A token that verified: who it speaks for and until when (ms since the epoch, from its `exp`). */
export interface VerifiedToken {
  actor: Actor;
  expiresAt: number;
}

export interface TokenVerifier {
  /**
   * The actor of a bearer token and its expiry; null when no token was sent (anonymous).
   * A token that was sent but is refused throws an UNAUTHENTICATED AppError saying why
   * (expired, bad signature, missing claim, wrong issuer or audience), never quoting the token.
   */
  verify(authorization: string | undefined | null): Promise<VerifiedToken | null>;
}

/**
 * JWT_JWKS_URL's keys could not be fetched (no answer, a timeout, not a JWKS): the server's
 * problem, not the token's. Answered 503 with Retry-After (a WebSocket: closed 1013, try again
 * later) and logged; it was a 401 "Token refused: could not be verified", logged nowhere, so a
 * client threw away a good token and the operator never learnt the identity provider was out of reach.
 */
export class KeysUnavailable extends Error {
  constructor() {
    super('The signing keys of the identity provider (JWT_JWKS_URL) could not be fetched; retry later');
    this.name = 'KeysUnavailable';
  }
}

export interface TokenOptions {
  secret: string | null;
  jwksUrl: string | null;
  /** When set, a token must carry exactly this `iss` / an `aud` that includes this. */
  issuer?: string | null;
  audience?: string | null;
}

/** How long a verified token is trusted without checking its signature again (never past its own exp). */
const VERIFIED_TTL_MS = 60_000;
const VERIFIED_MAX = 10_000;

/** `clock`: what "now" is for a token's exp and nbf (the system's, unless a test sets its own). */
export function createTokenVerifier(opts: TokenOptions & { clock?: Clock; onKeysUnavailable?: (err: unknown) => void }): TokenVerifier {
  const clock = opts.clock ?? systemClock;
  const secret = opts.secret ? new TextEncoder().encode(opts.secret) : null;
  const jwks: JWTVerifyGetKey | null = opts.jwksUrl ? createRemoteJWKSet(new URL(opts.jwksUrl)) : null;
  // A token without `exp` would be good forever: it is refused.
  const checks: JWTVerifyOptions = {
    requiredClaims: ['exp'],
    ...(opts.issuer ? { issuer: opts.issuer } : {}),
    ...(opts.audience ? { audience: opts.audience } : {}),
  };
  // A store back end sends the same token with every request: verifying its signature each
  // time cost ~0.2 ms of CPU per request. A token that verified is remembered, by its exact
  // text, for a minute or until it expires, whichever is first; a failed one never is.
  const verified = new Map<string, { token: VerifiedToken; until: number }>();
  return {
    async verify(authorization) {
      // No header is anonymous; a header sent blank (an app whose token went missing) is refused as any that is not Bearer.
      if (authorization == null) return null;
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (!match) throw unauthenticated('Authorization must be "Bearer <token>"');
      const token = match[1];
      const now = clock.now().getTime();
      const known = verified.get(token);
      if (known && known.until > now) return known.token;
      let payload: JWTPayload;
      try {
        ({ payload } = jwks
          ? await jwtVerify(token, jwks, { ...checks, algorithms: ['RS256', 'ES256'], currentDate: new Date(now) })
          : await jwtVerify(token, secret!, { ...checks, algorithms: ['HS256'], currentDate: new Date(now) }));
      } catch (err) {
        if (jwks && keysUnavailable(err)) {
          opts.onKeysUnavailable?.(err);
          throw new KeysUnavailable();
        }
        throw unauthenticated(refusal(err));
      }
      const role = payload.role as Role;
      if (typeof payload.sub !== 'string' || payload.sub === '') throw unauthenticated('Token refused: missing claim "sub"');
      if (!ROLES.includes(role)) throw unauthenticated(`Token refused: claim "role" must be one of ${ROLES.join(', ')}`);
      // A member's sub is its id, as the API writes it.
      const sub = role === 'member' ? canonicalId(payload.sub) : payload.sub;
      const result: VerifiedToken = { actor: { role, sub }, expiresAt: payload.exp! * 1000 };
      if (verified.size >= VERIFIED_MAX) verified.clear();
      verified.set(token, { token: result, until: Math.min(now + VERIFIED_TTL_MS, result.expiresAt) });
      return result;
    },
  };
}

/**
 * The JWKS fetch failed: jose's timeout or invalid-set errors, its generic one (an answer that
 * is not 200: "Expected 200 OK from the JSON Web Key Set HTTP response"), or the network's own,
 * which are no JOSEError. The token was never checked.
 */
function keysUnavailable(err: unknown): boolean {
  if (!(err instanceof errors.JOSEError)) return true;
  return err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || err.code === 'ERR_JOSE_GENERIC';
}

/** Why jose refused a token, in words for the caller (jose's own messages are not a contract). */
function refusal(err: unknown): string {
  if (err instanceof errors.JWTExpired) return err.claim === 'iat' ? 'Token refused: issued too long ago' : 'Token expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return `Token refused: missing claim "${err.claim}"`;
    if (err.claim === 'iss') return 'Token refused: wrong issuer';
    if (err.claim === 'aud') return 'Token refused: wrong audience';
    if (err.claim === 'nbf') return 'Token refused: not valid yet';
    return `Token refused: claim "${err.claim}" is invalid`;
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'Token refused: bad signature';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'Token refused: signing algorithm not accepted';
  if (err instanceof errors.JWKSNoMatchingKey) return 'Token refused: signed by an unknown key';
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'Token refused: malformed';
  return 'Token refused: could not be verified';
}

export interface MintOptions {
  issuer?: string | null;
  audience?: string | null;
}

/** A HS256 token with `exp` always set (the server refuses tokens without one). */
export async function mintToken(secret: string, actor: Actor, expiresIn: string | number = '30d', claims: MintOptions = {}): Promise<string> {
  const jwt = new SignJWT({ role: actor.role })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(actor.sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn);
  if (claims.issuer) jwt.setIssuer(claims.issuer);
  if (claims.audience) jwt.setAudience(claims.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
