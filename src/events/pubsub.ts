import type { TierEvents } from '../modules/tiers/tier-event-types';

/**
 * The in-process pub/sub that GraphQL subscriptions read from. Events reach it only
 * through the outbox dispatcher, after commit, on every instance; a Redis transport can
 * replace it behind the same typed interface (type-graphql's PubSub: publish/subscribe).
 *
 * Why not @graphql-yoga/subscription's createPubSub: it gives each subscriber an
 * EventTarget listener and a Repeater (and `filter` another), and with 10,000 subscribers
 * a publish took ~200 ms before the first of them saw the event, against ~2–6 ms here
 * (a set of plain queues; see docs/benchmarks.md). The filter runs at publish time, so an
 * event a subscriber doesn't want costs it one function call and no promise.
 *
 * AppEvents: each topic with what its events are, as the modules that publish them declare
 * them (a type only; their event types register at start-up: registry.ts).
 */
export type AppEvents = TierEvents;

/** Events a subscriber may fall behind by before its subscription is ended (it catches up with tierChangeFeed from its last cursor). */
const MAX_BACKLOG = 1000;

export class Subscription<T extends { memberId: string }> implements AsyncIterableIterator<T> {
  private readonly backlog: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | null = null;
  private listener: ((event: T) => void) | null = null;
  private closed = false;

  /** `memberId`: the one member whose events this subscription receives; null: every member's. */
  constructor(private readonly detach: (s: Subscription<T>) => void, readonly memberId: string | null = null) {}

  /**
   * Callback mode, for fan-out: each event goes straight to `listener` as it is published
   * (no queue, no promise per event). `next()` then stays pending until the subscription
   * ends, so an iterating consumer learns of the end and nothing else.
   */
  listen(listener: (event: T) => void): void {
    this.listener = listener;
    for (const event of this.backlog.splice(0)) listener(event);
  }

  push(event: T): void {
    if (this.closed || (this.memberId != null && event.memberId !== this.memberId)) return;
    if (this.listener) {
      try {
        this.listener(event);
      } catch {
        void this.return(); // a failing listener ends its own subscription, never the publish loop
      }
    } else if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: event, done: false });
    } else if (this.backlog.length >= MAX_BACKLOG) {
      void this.return(); // a consumer this far behind is dropped, not allowed to grow memory
    } else {
      this.backlog.push(event);
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.backlog.length) return Promise.resolve({ value: this.backlog.shift()!, done: false });
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.closed) {
      this.closed = true;
      this.backlog.length = 0;
      this.detach(this);
      this.waiting?.({ value: undefined, done: true });
      this.waiting = null;
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  async throw(err?: unknown): Promise<IteratorResult<T>> {
    await this.return();
    throw err;
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

/** Who listens to a topic on this instance: anyone for every member, and the members listened to one by one. */
export interface Audience { everyone: boolean; members: string[] }

/** How often `drained` looks at the backlog. */
const DRAIN_POLL_MS = 5;
/** What one poll of `drained` counts at most, however long it took: the rest was a stall of the server's own. */
const STALL_COUNTED_MS = 50;
/** `drained` ends after this many times its wait, by the clock, whatever it counted. */
const STALLED_WAIT_FACTOR = 10;

export class AppPubSub {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- one set per topic, typed at the methods
  private readonly topics = new Map<keyof AppEvents, Set<Subscription<any>>>();

  /** Delivers `event` to every current subscriber of `topic` (the same object to all of them). */
  publish<K extends keyof AppEvents>(topic: K, event: AppEvents[K]): void {
    const subscribers = this.topics.get(topic) as Set<Subscription<AppEvents[K]>> | undefined;
    if (!subscribers) return;
    for (const s of subscribers) s.push(event); // a Set tolerates the deletion a push may cause
  }

  /** The events of `topic` from now on: one member's (`memberId`), or every member's (null); `return()` unsubscribes. */
  subscribe<K extends keyof AppEvents>(topic: K, memberId: string | null = null): AsyncIterableIterator<AppEvents[K]> {
    let subscribers = this.topics.get(topic) as Set<Subscription<AppEvents[K]>> | undefined;
    if (!subscribers) {
      subscribers = new Set();
      this.topics.set(topic, subscribers);
    }
    const set = subscribers;
    const subscription = new Subscription<AppEvents[K]>((s) => set.delete(s), memberId);
    set.add(subscription);
    return subscription;
  }

  /**
   * Who listens to `topic` here right now. The dispatcher reads back only the events someone
   * will receive: a review batch's 20,000 changes are not read when no one listens to every
   * member.
   */
  audience(topic: keyof AppEvents): Audience {
    const members = new Set<string>();
    for (const s of this.topics.get(topic) ?? []) {
      if (s.memberId == null) return { everyone: true, members: [] };
      members.add(s.memberId);
    }
    return { everyone: false, members: [...members] };
  }

  /** What the transport holds unsent for its slowest subscriber, in bytes (measureBacklogWith); 0 without one. */
  private backlog: () => number = () => 0;

  /** The transport (the WebSocket server) says how to measure its slowest subscriber's backlog. */
  measureBacklogWith(backlog: () => number): void {
    this.backlog = backlog;
  }

  /**
   * Resolves once no subscriber has more than `bytes` of published events unsent, or once it
   * has waited `maxMs` (polling every few milliseconds): the dispatcher publishes a large batch
   * in slices and waits here between them, so that a socket sends a slice before the next is
   * queued. Each poll counts the time it took, but at most STALL_COUNTED_MS: a socket's backlog
   * goes out only when this event loop turns, so a stall of the server's own (a collection, a
   * batch being read back, a process starved of CPU: a turn longer than that) is not the
   * subscriber's time. Counted in full, such a stall used up the wait with nothing sent, the
   * next slices were queued unsent, and a subscriber that read all it was sent passed its
   * socket's limit and was cut off. Turns of other work up to that long count in full (the wait
   * is then about maxMs); longer ones stretch it. The wait ends after STALLED_WAIT_FACTOR × maxMs
   * by the clock whatever it counted, so that one subscriber that does not read holds this
   * instance's deliveries for a bounded time.
   */
  async drained(bytes: number, maxMs: number): Promise<void> {
    // A steady clock: the system's may be stepped back (NTP) while this waits.
    const end = performance.now() + STALLED_WAIT_FACTOR * maxMs;
    let waited = 0;
    do {
      const before = performance.now();
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
      if (this.backlog() <= bytes) return;
      waited += Math.min(performance.now() - before, STALL_COUNTED_MS);
    } while (waited < maxMs && performance.now() < end);
  }

  /** Subscribers of a topic right now (for tests and metrics). */
  subscriberCount(topic: keyof AppEvents): number {
    return this.topics.get(topic)?.size ?? 0;
  }
}

export const createAppPubSub = () => new AppPubSub();
