import type { GraphQLError } from 'graphql';
import { createTokenVerifier, mintToken } from './auth';
import { WsGuard, type GuardedExtra } from './ws-guard';

// The part of item 7 an end-to-end test cannot time: an operation that arrives after the
// token's expiry but before the expiry timer has closed the socket. The guard's clock is
// moved instead. The socket is a stand-in with ws's close/once/readyState.
const SECRET = 'ws-guard-spec-secret-0123456789abcdef';
const verifier = createTokenVerifier({ secret: SECRET, jwksUrl: null });

function socket() {
  const onClose: (() => void)[] = [];
  return {
    OPEN: 1, readyState: 1, closes: [] as [number, string][],
    close(code: number, reason: string) { this.closes.push([code, reason]); this.readyState = 2; },
    once(_event: 'close', fn: () => void) { onClose.push(fn); },
    closed() { onClose.forEach((fn) => fn()); },
  };
}

async function setUp(expiresIn: string | number = '1h', limits = { maxSocketsPerSubject: 2, maxSubscriptionsPerSocket: 2 }) {
  let now = Date.now();
  const guard = new WsGuard(verifier, limits, undefined, () => now);
  const inner = { subscribed: 0, errors: 0 };
  const options = guard.wrap<GuardedExtra>({
    onSubscribe: () => void inner.subscribed++,
    onError: () => { inner.errors++; return []; },
  });
  const ws = socket();
  const token = await mintToken(SECRET, { role: 'member', sub: '00000000-0000-4000-8000-000000000001' }, expiresIn);
  const ctx: any = { subscriptions: {}, extra: { socket: ws, request: {} }, connectionParams: { authorization: `Bearer ${token}` } };
  // As graphql-ws does: the id is registered before onSubscribe runs.
  const subscribe = (id: string) => {
    ctx.subscriptions[id] = null;
    return options.onSubscribe!(ctx, id, { query: '{ __typename }' }) as readonly GraphQLError[] | undefined;
  };
  return { guard, options, ws, ctx, inner, subscribe, advance: (ms: number) => { now += ms; } };
}

describe('WsGuard', () => {
  it('takes the token under authorization in any letters\' case, and refuses one that is not a string (4401) rather than reading no token', async () => {
    const t = await setUp('1h');
    const token = t.ctx.connectionParams.authorization as string;
    t.ctx.connectionParams = { Authorization: token };
    expect(await t.options.onConnect!(t.ctx)).toBe(true);
    t.ws.closed();
    const u = await setUp('1h');
    u.ctx.connectionParams = { authorization: { token } };
    expect(await u.options.onConnect!(u.ctx)).toBe(false);
    expect(u.ws.closes).toEqual([[4401, 'connectionParams.authorization must be a string: "Bearer <token>"']]);
    const v = await setUp('1h');
    v.ctx.connectionParams = {};
    expect(await v.options.onConnect!(v.ctx)).toBe(false); // no token: graphql-ws closes 4403
    expect(v.ws.closes).toEqual([]);
  });


  it('refuses an operation once the token has expired, before the timer closes the socket', async () => {
    const t = await setUp('1h');
    expect(await t.options.onConnect!(t.ctx)).toBe(true);
    expect(t.subscribe('1')).toBeUndefined();
    expect(t.inner.subscribed).toBe(1);
    delete t.ctx.subscriptions['1'];

    t.advance(3_600_000); // the timer is armed on the real clock: it has not fired
    const refused = t.subscribe('2')!;
    expect(refused.map((e) => [e.message, e.extensions.code])).toEqual([['Token expired', 'UNAUTHENTICATED']]);
    expect(t.inner.subscribed).toBe(1);
    expect(t.ws.closes).toEqual([[4401, 'Token expired']]);
    expect(t.guard.actor(t.ctx)).toBeNull();
    // The guard's refusal reaches the client as it is, not through the server's masking onError.
    expect(await t.options.onError!(t.ctx, '2', { query: '' }, refused)).toEqual([{ message: 'Token expired', extensions: { code: 'UNAUTHENTICATED' } }]);
    expect(t.inner.errors).toBe(0);
    t.ws.closed();
  });

  it('counts operations per socket, the new one included', async () => {
    const t = await setUp();
    await t.options.onConnect!(t.ctx);
    t.subscribe('a');
    t.subscribe('b');
    const refused = t.subscribe('c')!;
    expect(refused[0].extensions).toEqual({ code: 'LIMIT_REACHED', limit: 2 });
    expect(t.inner.subscribed).toBe(2);
    t.ws.closed();
  });

  it('a 30-day token does not close its socket at once (setTimeout caps at 2^31-1 ms)', async () => {
    const t = await setUp('30d');
    expect(await t.options.onConnect!(t.ctx)).toBe(true);
    await new Promise((r) => setTimeout(r, 30));
    expect(t.ws.closes).toEqual([]);
    t.ws.closed();
  });

  it('releases a subject\'s place when its socket closes', async () => {
    const t = await setUp();
    const actor = { role: 'member' as const, sub: '00000000-0000-4000-8000-000000000001' };
    await t.options.onConnect!(t.ctx);
    expect(t.guard.openSockets(actor)).toBe(1);
    t.ws.closed();
    expect(t.guard.openSockets(actor)).toBe(0);
  });
});
