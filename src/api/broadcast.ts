import { createSourceEventStream, execute, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Metrics } from '../ops/metrics';
import type { GraphQLContext } from './context';

/**
 * Shared work for subscription events. A pub/sub event reaches every subscriber as the same
 * object; subscribers whose operation, variables and viewer class are the same get one
 * execution of that event and one JSON serialization of its result, not one per subscriber.
 * Both caches are keyed weakly by the event, so nothing outlives it.
 *
 * Wiring (see server.ts): `remember` the query text of each parsed subscription document,
 * use `subscribe` as graphql-ws's subscribe, return `shared(result)` from onNext, pass
 * `replacer` as its jsonMessageReplacer and `expand` every outgoing frame.
 */
export class BroadcastCache {
  private readonly queries = new WeakMap<DocumentNode, string>();
  private readonly executions = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();
  private readonly serialized = new WeakMap<object, string>();
  private slot: { token: string; json: string } | null = null;
  private nextToken = 0;
  private readonly counted;

  constructor(metrics?: Pick<Metrics, 'subscriptionExecutions' | 'subscriptionSerializations'>) {
    // Label lookups bound once: these run once per subscriber and event.
    this.counted = metrics && {
      executed: metrics.subscriptionExecutions.labels('executed'),
      reused: metrics.subscriptionExecutions.labels('reused'),
      serialized: metrics.subscriptionSerializations,
    };
  }

  remember(document: DocumentNode, query: string): void {
    this.queries.set(document, query);
  }

  /** graphql's subscribe, with each event executed once per equivalent subscription. */
  subscribe = async (args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source;
    const key = this.keyOf(args);
    return mapEvents(source[Symbol.asyncIterator](), (event) => {
      if (key === null || typeof event !== 'object' || event === null) return Promise.resolve(execute({ ...args, rootValue: event }));
      let byKey = this.executions.get(event);
      if (!byKey) this.executions.set(event, (byKey = new Map()));
      const cached = byKey.get(key);
      if (cached) {
        this.counted?.reused.inc();
        return cached;
      }
      this.counted?.executed.inc();
      const result = Promise.resolve(execute({ ...args, rootValue: event }));
      byKey.set(key, result);
      return result;
    });
  };

  /**
   * JSON.stringify replacer for outgoing messages: a `next` payload is serialized once per
   * result object and replaced by a token that `expand` swaps back in the frame. graphql-ws
   * stringifies and sends in the same tick, so one slot holds the pending payload; a frame
   * that is never sent (socket closed) leaves nothing behind.
   */
  readonly replacer = (() => {
    const cache = this;
    return function replacer(this: unknown, key: string, value: unknown): unknown {
      if (key !== 'payload' || typeof value !== 'object' || value === null) return value;
      if ((this as { type?: string }).type !== 'next') return value;
      let json = cache.serialized.get(value);
      if (json === undefined) {
        json = JSON.stringify(value);
        cache.serialized.set(value, json);
        cache.counted?.serialized.inc();
      }
      cache.nextToken = (cache.nextToken + 1) % Number.MAX_SAFE_INTEGER;
      cache.slot = { token: `"\\u0001${cache.nextToken}"`, json };
      return `\u0001${cache.nextToken}`;
    };
  })();

  /**
   * Puts the serialized payload back into a frame produced with `replacer`. The payload is
   * the frame's last member, so the token is matched at the very end: a client-chosen
   * subscription id cannot imitate it.
   */
  expand(frame: string): string {
    const slot = this.slot;
    if (!slot) return frame;
    const tail = `"payload":${slot.token}}`;
    if (!frame.endsWith(tail)) return frame;
    this.slot = null;
    return `${frame.slice(0, frame.length - slot.token.length - 1)}${slot.json}}`;
  }

  /**
   * Subscriptions share an execution when their query text, operation, variables and viewer
   * match. Members are keyed by their own id (they only ever receive their own events);
   * services and admins by role. Unknown documents are not shared.
   */
  private keyOf(args: ExecutionArgs): string | null {
    const query = this.queries.get(args.document);
    if (query === undefined) return null;
    const actor = (args.contextValue as GraphQLContext | undefined)?.actor;
    const viewer = !actor ? 'anonymous' : actor.role === 'member' ? `member:${actor.sub}` : actor.role;
    return `${viewer}\n${args.operationName ?? ''}\n${JSON.stringify(args.variableValues ?? {})}\n${query}`;
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/**
 * Maps an event iterator like graphql-js does: `return()` goes straight to the source, so a
 * subscriber that leaves while no event is pending is released at once (an async generator
 * would wait for the next event).
 */
function mapEvents<T, U>(source: AsyncIterator<T>, fn: (value: T) => Promise<U>): AsyncIterableIterator<U> {
  return {
    async next() {
      const r = await source.next();
      return r.done ? { value: undefined, done: true } : { value: await fn(r.value), done: false };
    },
    async return() {
      await source.return?.();
      return { value: undefined, done: true };
    },
    async throw(err?: unknown) {
      if (source.throw) {
        const r = await source.throw(err);
        return r.done ? { value: undefined, done: true } : { value: await fn(r.value), done: false };
      }
      throw err;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
