import { createSourceEventStream, execute, GraphQLError, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { WebSocket } from 'ws';
import { Subscription } from '../events/pubsub';
import type { Metrics } from '../ops/metrics';
import type { GraphQLContext } from './context';

/** A subscriber further behind than this (bytes queued on its socket) is disconnected. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

interface Sink { socket: WebSocket; frameStart: string }

/**
 * Subscription fan-out that does the work once per event, not once per subscriber.
 *
 * A pub/sub event reaches every subscriber as the same object. Subscribers whose query text,
 * operation, variables and viewer class match share one execution of that event and one
 * JSON serialization of its result; each subscriber's frame is then that JSON inside its own
 * `{"id":…,"type":"next","payload":…}` envelope (the graphql-transport-ws message graphql-ws
 * would send), written straight to its socket when the event is published. No promise chain
 * per subscriber and event: with 10,000 subscribers this is what keeps a broadcast close to
 * a raw `ws` broadcast of the same bytes (docs/benchmarks.md).
 *
 * Wiring (routes/subscriptions.ts): `remember` each parsed subscription document with its query text,
 * `attach` each operation's context to its socket and id, use `subscribe` as graphql-ws's
 * subscribe. A source that is not one of our pub/sub subscriptions takes the ordinary path
 * (one execution per event, shared when the key matches).
 */
export class BroadcastCache {
  private readonly queries = new WeakMap<DocumentNode, string>();
  private readonly sinks = new WeakMap<object, Sink>();
  private readonly executions = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();
  private readonly payloads = new WeakMap<object, Map<string, Promise<string>>>();
  /** Per key, the last payload in flight: events of one key are serialized in publish order. */
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly counted;

  constructor(
    private readonly format: (result: ExecutionResult) => ExecutionResult,
    metrics?: Pick<Metrics, 'subscriptionExecutions' | 'subscriptionSerializations'>,
  ) {
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

  /** Where the frames of the operation with this context go. */
  attach(context: object, socket: WebSocket, id: string): void {
    this.sinks.set(context, { socket, frameStart: `{"id":${JSON.stringify(id)},"type":"next","payload":` });
  }

  /** graphql's subscribe, with each event executed once per equivalent subscription. */
  subscribe = async (args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source;
    const key = this.keyOf(args);
    const sink = this.sinks.get(args.contextValue as object);
    if (key !== null && sink && source instanceof Subscription) {
      // Fast path: frames go to the socket as events are published; graphql-ws keeps
      // iterating the subscription only to learn when it ends.
      const { socket, frameStart } = sink;
      const events = source as Subscription<{ memberId: string }>;
      events.listen((event) => {
        this.payloadOnce(event, key, args).then((json) => {
          if (socket.readyState !== socket.OPEN) return;
          if (socket.bufferedAmount > MAX_BUFFERED_BYTES) return void socket.close(1013, 'Subscriber too slow');
          socket.send(frameStart + json + '}');
        }, () => { /* execution failures are turned into results by payloadOnce */ });
      });
      return events as unknown as AsyncIterableIterator<ExecutionResult>;
    }
    return mapEvents(source[Symbol.asyncIterator](), (event) => {
      if (key === null || typeof event !== 'object' || event === null) return Promise.resolve(execute({ ...args, rootValue: event }));
      return this.executeOnce(event, key, args);
    });
  };

  /** The value of `make` for this event and key, made once; counted as executed or reused. */
  private once<T>(cache: WeakMap<object, Map<string, Promise<T>>>, event: object, key: string, make: () => Promise<T>): Promise<T> {
    let byKey = cache.get(event);
    if (!byKey) cache.set(event, (byKey = new Map<string, Promise<T>>()));
    const cached = byKey.get(key);
    if (cached) {
      this.counted?.reused.inc();
      return cached;
    }
    this.counted?.executed.inc();
    const made = make();
    byKey.set(key, made);
    return made;
  }

  private executeOnce(event: object, key: string, args: ExecutionArgs): Promise<ExecutionResult> {
    return this.once(this.executions, event, key, () => Promise.resolve(execute({ ...args, rootValue: event })));
  }

  /** The JSON payload of `event` for subscriptions with this key: executed and serialized once. */
  private payloadOnce(event: object, key: string, args: ExecutionArgs): Promise<string> {
    return this.once(this.payloads, event, key, () => {
      const previous = this.tails.get(key) ?? Promise.resolve();
      const payload = previous
        .then(() => execute({ ...args, rootValue: event }))
        .catch((err: unknown): ExecutionResult => ({ errors: [new GraphQLError('Internal server error', { originalError: err as Error })] }))
        .then((result) => {
          this.counted?.serialized.inc();
          return JSON.stringify(this.format(result));
        });
      this.tails.set(key, payload);
      void payload.finally(() => {
        if (this.tails.get(key) === payload) this.tails.delete(key);
      });
      return payload;
    });
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
