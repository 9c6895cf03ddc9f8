import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Context, ServerOptions } from 'graphql-ws';
import type { Extra } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { AppError, ErrorCode } from '../common/errors';
import type { Actor } from '../modules/actor';
import { KeysUnavailable, type TokenVerifier } from './auth';
import { actorRefusal } from './guards';

/** Close codes (graphql-ws's own: both are fatal to its client, which does not retry them). */
export const WS_CLOSE = {
  /** The token was refused at connection, or expired on an open socket. */
  UNAUTHORIZED: 4401,
  /** This subject already has its maximum of open sockets. */
  TOO_MANY_SOCKETS: 4429,
  /** The token could not be checked now (JWT_JWKS_URL's keys out of reach): RFC 6455's "Try Again Later". */
  TRY_AGAIN_LATER: 1013,
} as const;

export interface WsLimits {
  maxSocketsPerSubject: number;
  maxSubscriptionsPerSocket: number;
}

/** What the guard keeps on each socket's graphql-ws `extra`. */
export type GuardedExtra = {
  actor?: Actor | null;
  /** The token's expiry, ms since the epoch. */
  expiresAt?: number;
};

type Ctx<E extends GuardedExtra> = Context<Record<string, unknown>, Extra & E>;
type Options<E extends GuardedExtra> = ServerOptions<Record<string, unknown>, Extra & E>;

/** setTimeout's longest delay (a longer one fires at once); a 30-day token re-arms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The guard's own per-operation refusals: already safe to show, formatted as they are. */
class Refusal extends GraphQLError {}

/**
 * Who may keep a WebSocket, how many, and for how long (issue 17, item 7).
 *
 * - A socket speaks for its token's subject (role + sub) until the token's `exp`: then it is
 *   closed with 4401, and any operation that arrives before the close lands is refused.
 * - A subject holds at most `maxSocketsPerSubject` open sockets; the next is closed with 4429.
 * - A socket runs at most `maxSubscriptionsPerSocket` operations at once (subscriptions and
 *   queries in flight); the next gets an error for that operation alone (LIMIT_REACHED), so an
 *   app's other subscriptions on the socket live on.
 */
export class WsGuard {
  private readonly sockets = new Map<string, number>();

  constructor(
    private readonly verifier: TokenVerifier,
    private readonly limits: WsLimits,
    private readonly log?: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** graphql-ws options with the guard in front of `onConnect`, `onSubscribe` and `onError`. */
  wrap<E extends GuardedExtra>(options: Options<E>): Options<E> {
    const { onConnect, onSubscribe, onError } = options;
    return {
      ...options,
      onConnect: async (ctx) => (await this.connect(ctx)) && (onConnect ? onConnect(ctx) : true),
      onSubscribe: (ctx, id, payload) => this.refusal(ctx) ?? onSubscribe?.(ctx, id, payload),
      onError: (ctx, id, payload, errors) =>
        errors.every((e) => e instanceof Refusal) ? errors.map(formatRefusal) : onError?.(ctx, id, payload, errors),
    };
  }

  /** The socket's actor for an operation's context: null once its token has expired. */
  actor<E extends GuardedExtra>(ctx: Ctx<E>): Actor | null {
    if (this.expired(ctx)) return null;
    return ctx.extra.actor ?? null;
  }

  /** Open sockets of one subject (for tests and metrics). */
  openSockets(actor: Actor): number {
    return this.sockets.get(subjectOf(actor)) ?? 0;
  }

  /** Verifies the token, counts the socket against its subject and closes it at expiry. */
  private async connect<E extends GuardedExtra>(ctx: Ctx<E>): Promise<boolean> {
    const { socket } = ctx.extra;
    const auth = authorizationParam(ctx.connectionParams);
    if (auth !== undefined && typeof auth !== 'string') {
      socket.close(WS_CLOSE.UNAUTHORIZED, 'connectionParams.authorization must be a string: "Bearer <token>"');
      return false;
    }
    let verified;
    try {
      verified = await this.verifier.verify(auth);
    } catch (err) {
      if (err instanceof KeysUnavailable) {
        socket.close(WS_CLOSE.TRY_AGAIN_LATER, 'Identity provider keys unavailable; retry later');
        return false;
      }
      if (!(err instanceof AppError)) throw err;
      socket.close(WS_CLOSE.UNAUTHORIZED, err.message);
      return false;
    }
    // No token: graphql-ws closes with 4403; a socket gone while verifying counts for nothing.
    if (!verified || socket.readyState !== socket.OPEN) return false;
    const refusal = actorRefusal(verified.actor); // as over HTTP
    if (refusal) {
      socket.close(WS_CLOSE.UNAUTHORIZED, refusal);
      return false;
    }
    const subject = subjectOf(verified.actor);
    const open = this.sockets.get(subject) ?? 0;
    if (open >= this.limits.maxSocketsPerSubject) {
      this.log?.warn({ subject, limit: this.limits.maxSocketsPerSubject }, 'WebSocket refused: too many sockets for one subject');
      socket.close(WS_CLOSE.TOO_MANY_SOCKETS, `Too many sockets for this token (limit ${this.limits.maxSocketsPerSubject})`);
      return false;
    }
    this.sockets.set(subject, open + 1);
    ctx.extra.actor = verified.actor;
    ctx.extra.expiresAt = verified.expiresAt;
    const disarm = this.closeAtExpiry(ctx);
    // The ws socket's own close event: graphql-ws calls onClose only for acknowledged sockets.
    socket.once('close', () => {
      disarm();
      const left = (this.sockets.get(subject) ?? 1) - 1;
      if (left > 0) this.sockets.set(subject, left);
      else this.sockets.delete(subject);
    });
    return true;
  }

  /** Why this operation may not start, or undefined when it may. */
  private refusal<E extends GuardedExtra>(ctx: Ctx<E>): readonly GraphQLError[] | undefined {
    if (this.expired(ctx)) return [new Refusal('Token expired', { extensions: { code: ErrorCode.UNAUTHENTICATED } })];
    // graphql-ws has already registered this operation's id: the count includes it.
    const running = Object.keys(ctx.subscriptions).length;
    const limit = this.limits.maxSubscriptionsPerSocket;
    if (running > limit) {
      return [new Refusal(`Too many operations on this socket (limit ${limit}); complete one first`, {
        extensions: { code: ErrorCode.LIMIT_REACHED, limit },
      })];
    }
    return undefined;
  }

  /** True once the token has expired; the socket is then closed (if the timer has not already). */
  private expired<E extends GuardedExtra>(ctx: Ctx<E>): boolean {
    const at = ctx.extra.expiresAt;
    if (at === undefined || this.now() < at) return false;
    ctx.extra.socket.close(WS_CLOSE.UNAUTHORIZED, 'Token expired');
    return true;
  }

  private closeAtExpiry<E extends GuardedExtra>(ctx: Ctx<E>): () => void {
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      if (this.expired(ctx)) return;
      timer = setTimeout(arm, Math.min(ctx.extra.expiresAt! - this.now(), MAX_TIMER_MS));
      timer.unref();
    };
    arm();
    return () => clearTimeout(timer);
  }
}

function subjectOf(actor: Actor): string {
  return `${actor.role}:${actor.sub}`;
}

function formatRefusal(error: GraphQLError): GraphQLFormattedError {
  return { message: error.message, extensions: error.extensions };
}

/**
 * The token a client put in its connection_init: `authorization`, whatever its letters' case
 * (`Authorization`, as an HTTP header is often written, was read as no token at all: 4403).
 */
function authorizationParam(params: Readonly<Record<string, unknown>> | undefined): unknown {
  if (!params) return undefined;
  if ('authorization' in params) return params.authorization;
  const key = Object.keys(params).find((k) => k.toLowerCase() === 'authorization');
  return key === undefined ? undefined : params[key];
}
