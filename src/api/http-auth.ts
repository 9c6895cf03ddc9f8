import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError, ErrorCode } from '../common/errors';
import type { Actor } from '../modules/actor';
import { KeysUnavailable, type TokenVerifier, type VerifiedToken } from './auth';
import { actorRefusal } from './guards';

/** A 401 in the shape of a GraphQL error response; the reason says why, never the token. */
export function sendUnauthenticated(res: Response, message: string, invalidToken: boolean): void {
  // RFC 6750: tell an HTTP client which scheme to use, and that the one it sent was refused.
  res.setHeader('www-authenticate', invalidToken ? 'Bearer error="invalid_token"' : 'Bearer');
  res.status(401).json({ errors: [{ message, extensions: { code: ErrorCode.UNAUTHENTICATED } }] });
}

/**
 * Verifies the bearer token before the request goes on. No token: anonymous (the resolvers'
 * role checks answer UNAUTHENTICATED where one is needed). A token that is refused, or whose
 * actor cannot act (actorRefusal): 401 with the reason, for every operation; a bad token is
 * never silently treated as no token.
 */
export function authenticate(verifier: TokenVerifier): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const verified: VerifiedToken | null = await verifier.verify(req.headers.authorization);
      res.locals.auth = verified;
      // A verified token that still cannot act (a member token whose subject is no member id) is
      // refused here too, as a WebSocket closes with 4401: not an HTTP 200 with every field UNAUTHENTICATED.
      const refusal = verified?.actor ? actorRefusal(verified.actor) : null;
      if (refusal) return sendUnauthenticated(res, refusal, true);
    } catch (err) {
      if (err instanceof AppError && err.code === ErrorCode.UNAUTHENTICATED) return sendUnauthenticated(res, err.message, true);
      if (err instanceof KeysUnavailable) {
        res.setHeader('retry-after', '5');
        return void res.status(503).json({ errors: [{ message: err.message, extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
      }
      return next(err);
    }
    next();
  };
}

/** The actor `authenticate` found, or null for an anonymous request. */
export function actorOf(res: Response): Actor | null {
  return (res.locals.auth as VerifiedToken | null | undefined)?.actor ?? null;
}

/**
 * `Authorization: Bearer <secret>` required when a secret is set (METRICS_TOKEN on /metrics);
 * open when it is not. Compared in constant time: both sides are hashed first, so neither
 * the secret's bytes nor its length show in the time taken.
 */
export function requireBearerSecret(secret: string | null, realm: string): RequestHandler {
  if (!secret) return (_req, _res, next) => next();
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const expected = digest(secret);
  return (req, res, next) => {
    const given = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    if (given !== undefined && timingSafeEqual(digest(given), expected)) return next();
    res.setHeader('www-authenticate', `Bearer realm="${realm}"`);
    res.status(401).type('text/plain').send(`${realm} requires Authorization: Bearer <token>\n`);
  };
}
