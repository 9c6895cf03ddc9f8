import type { EntityManager } from '@mikro-orm/postgresql';
import type { OutboxRow } from './outbox';
import type { AppEvents } from './pubsub';

export type Topic = keyof AppEvents;

/**
 * A kind of event the outbox carries, as the module that publishes it defines it: its topic, and
 * how to load the events a set of its outbox rows stands for (from the row itself, or read back
 * by the ids it lists).
 */
export interface OutboxEventType<K extends Topic = Topic> {
  readonly topic: K;
  /**
   * The events these rows (all of this topic) stand for, in id order; with `members`, only
   * theirs (none when empty). `em` reads on the dispatcher's own connection.
   */
  load(em: EntityManager, rows: OutboxRow[], members: string[] | null): Promise<AppEvents[K][]>;
}

/**
 * The topics this instance delivers, each with its event type: modules register theirs at
 * start-up (for example registerTierEvents), the dispatcher looks a row's topic up here and
 * never knows a module.
 */
export class EventRegistry {
  private readonly types = new Map<string, OutboxEventType>();

  register<K extends Topic>(type: OutboxEventType<K>): this {
    if (this.types.has(type.topic)) throw new Error(`outbox topic ${type.topic} is registered twice`);
    this.types.set(type.topic, type);
    return this;
  }

  /** The registered types, in the order they were registered (the order a delivery publishes its topics in). */
  all(): OutboxEventType[] {
    return [...this.types.values()];
  }

  get(topic: string): OutboxEventType | undefined {
    return this.types.get(topic);
  }
}
