import { createAppPubSub } from './pubsub';
import type { TierChangeRow } from '../modules/tiers/tier-engine.service';

const change = (memberId: string, id = '1') => ({ id, memberId, kind: 'UPGRADE', fromTierId: null, toTierId: 't', reason: 'r', qualifyingPoints: 0, occurredAt: new Date(0) }) as TierChangeRow;

describe('AppPubSub', () => {
  it('delivers the same event object to every subscriber of its member or of every member, in order', async () => {
    const ps = createAppPubSub();
    const all = ps.subscribe('TIER_CHANGED');
    const onlyA = ps.subscribe('TIER_CHANGED', 'a');
    const a1 = change('a', '1');
    ps.publish('TIER_CHANGED', a1);
    ps.publish('TIER_CHANGED', change('b', '2'));
    ps.publish('TIER_CHANGED', change('a', '3'));
    expect((await all.next()).value).toBe(a1);
    expect((await all.next()).value.id).toBe('2');
    expect((await all.next()).value.id).toBe('3');
    expect((await onlyA.next()).value).toBe(a1);
    expect((await onlyA.next()).value.id).toBe('3');
    ps.publish('TIER_NOTICE', { memberId: 'a' } as never);
    await all.return!();
    expect(await all.next()).toEqual({ value: undefined, done: true });
  });

  it('knows its audience: anyone listening to every member, and which members are listened to', async () => {
    const ps = createAppPubSub();
    expect(ps.audience('TIER_CHANGED')).toEqual({ everyone: false, members: [] });
    const a1 = ps.subscribe('TIER_CHANGED', 'a');
    const a2 = ps.subscribe('TIER_CHANGED', 'a');
    const b = ps.subscribe('TIER_CHANGED', 'b');
    expect(ps.audience('TIER_CHANGED')).toEqual({ everyone: false, members: ['a', 'b'] });
    expect(ps.audience('TIER_NOTICE')).toEqual({ everyone: false, members: [] });
    const all = ps.subscribe('TIER_CHANGED');
    expect(ps.audience('TIER_CHANGED').everyone).toBe(true);
    await all.return!();
    await a1.return!();
    expect(ps.audience('TIER_CHANGED')).toEqual({ everyone: false, members: ['a', 'b'] }); // a still has a2
    await a2.return!();
    await b.return!();
    expect(ps.audience('TIER_CHANGED')).toEqual({ everyone: false, members: [] });
  });

  it('return() ends a pending next() at once and unsubscribes', async () => {
    const ps = createAppPubSub();
    const sub = ps.subscribe('TIER_CHANGED');
    const pending = sub.next();
    expect(ps.subscriberCount('TIER_CHANGED')).toBe(1);
    await sub.return!();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(ps.subscriberCount('TIER_CHANGED')).toBe(0);
  });

  it('ends the subscription of a consumer more than 1,000 events behind instead of growing without bound', async () => {
    const ps = createAppPubSub();
    const slow = ps.subscribe('TIER_CHANGED');
    for (let i = 0; i < 1001; i++) ps.publish('TIER_CHANGED', change('a', String(i)));
    expect(ps.subscriberCount('TIER_CHANGED')).toBe(0);
    expect(await slow.next()).toEqual({ value: undefined, done: true });
  });
});

describe('drained', () => {
  it('resolves at once when no socket is behind, and after maxMs when one stays behind', async () => {
    const pubSub = createAppPubSub();
    let t = Date.now();
    await pubSub.drained(1024, 2000);
    expect(Date.now() - t).toBeLessThan(1000);
    let backlog = 5000;
    pubSub.measureBacklogWith(() => backlog);
    t = Date.now();
    await pubSub.drained(1024, 50);
    expect(Date.now() - t).toBeGreaterThanOrEqual(45);
    // It resolves as soon as the backlog is sent.
    setTimeout(() => { backlog = 0; }, 30);
    t = Date.now();
    await pubSub.drained(1024, 5000);
    expect(Date.now() - t).toBeLessThan(2000);
  });

  it("does not count a stall of this process as the subscriber's time", async () => {
    const pubSub = createAppPubSub();
    let backlog = 5000;
    pubSub.measureBacklogWith(() => backlog);
    const waiting = pubSub.drained(1024, 200);
    // The loop stalls for three times the wait (a collection, a batch read back): no poll runs, nothing is sent.
    const stallEnds = Date.now() + 600;
    while (Date.now() < stallEnds);
    let resolvedAt = 0;
    void waiting.then(() => { resolvedAt = Date.now(); });
    // After the stall the socket still gets its turns to send: the wait goes on and sees the backlog sent.
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(resolvedAt).toBe(0);
    backlog = 0;
    await waiting;
    expect(resolvedAt - stallEnds).toBeGreaterThanOrEqual(35);
  });

  /** How long drained(1024, maxMs) waits for a socket that stays behind while every turn of the loop takes `turnMs`. */
  async function drainedWhileEveryTurnTakes(turnMs: number, maxMs: number): Promise<number> {
    const pubSub = createAppPubSub();
    pubSub.measureBacklogWith(() => 5000);
    let busy = true;
    const turn = () => { const until = Date.now() + turnMs; while (Date.now() < until); if (busy) setImmediate(turn); };
    setImmediate(turn);
    const t = Date.now();
    await pubSub.drained(1024, maxMs);
    busy = false;
    return Date.now() - t;
  }

  it('counts the time of a busy loop: a socket that stays behind is waited for about maxMs, not maxMs in polls', async () => {
    // Every turn of the loop does 20 ms of other work (requests, a batch's rows).
    // Counted in polls of 5 ms, 60 polls of 20 ms turns: 1.2 s and more.
    expect(await drainedWhileEveryTurnTakes(20, 300)).toBeLessThan(900);
  });

  it('ends after ten times its wait by the clock when the server stalls on every turn, whatever it counted', async () => {
    // Every turn stalls 800 ms: each poll counts 50 ms of it, so 120 ms are counted after three polls (2.4 s).
    // The clock's limit, 1.2 s, ends it after the second poll (1.6 s).
    expect(await drainedWhileEveryTurnTakes(800, 120)).toBeLessThan(2000);
  });
});
