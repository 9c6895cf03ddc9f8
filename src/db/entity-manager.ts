import { EntityManager } from '@mikro-orm/postgresql';

export { pgArray, pgTextArray } from './array-literal';

/** A named (prepared) statement as node-postgres takes it. */
export interface NamedQuery { name: string; text: string; values: unknown[] }

export interface PgConnection {
  query(text: string | NamedQuery, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  /** The server process's pid, from the connection's start-up (node-postgres' Client sets it). */
  processID?: number;
}
/**
 * A connection of the caller's own whose statements run one after another: callers that
 * issue statements from concurrent tasks (the outbox dispatcher's NOTIFY reads and its poll,
 * the webhook worker's claims and outcomes) share it, and node-postgres deprecates sending a
 * query while one runs. A failure goes to its caller; the next statement still runs.
 */
export function serializedConnection(client: { query(text: string | NamedQuery, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }> }): PgConnection {
  let last: Promise<unknown> = Promise.resolve();
  return {
    query(text, values) {
      const run = last.then(() => (typeof text === 'string' ? client.query(text, values) : client.query(text)));
      last = run.catch(() => undefined);
      return run;
    },
  };
}

export interface KnexClient { acquireConnection(): Promise<PgConnection>; releaseConnection(c: PgConnection): Promise<void> }

/**
 * The EntityManager every request and job gets. Entities, migrations and the unit of work are
 * MikroORM's as usual; what changes is `execute(sql, params)`, the raw SQL our services write
 * by hand for every hot path. MikroORM runs it through knex, which inlines the parameters
 * into the text and spends ~60 µs per statement doing so (knex, MikroORM and lodash were 14% of the app's CPU on the
 * purchase path, by profile). Here it goes straight to the pg connection (the transaction's
 * own, inside a transaction) as a parameterised query. Same connection, same transaction,
 * same result rows; errors are pg's, whose `code` is the SQLSTATE, as before.
 *
 * Knex's binding rules are kept: `?` is a parameter, and an array parameter expands into a
 * comma-separated list (`id in (?)`).
 */
export class AppEntityManager extends EntityManager {
  /** Set on a fork that runs inside `inSqlTransaction`: the connection holding its transaction. */
  private sqlConnection?: PgConnection;

  override async execute<T = unknown[]>(queryOrKnex: unknown, params: unknown[] = [], method: 'all' | 'get' | 'run' = 'all', loggerContext?: unknown): Promise<T> {
    if (typeof queryOrKnex !== 'string' || method !== 'all') {
      if (this.sqlConnection) throw new Error(SQL_ONLY);
      return super.execute(queryOrKnex as string, params, method, loggerContext as never) as Promise<T>;
    }
    const { text, values } = toPositional(queryOrKnex, params);
    const name = PREPARED.get(queryOrKnex);
    const run = (c: PgConnection) => (name ? c.query({ name, text, values }) : c.query(text, values));
    if (this.sqlConnection) return (await run(this.sqlConnection)).rows as T;
    const trx = this.getTransactionContext<{ client: KnexClient }>();
    if (trx) {
      const connection = await trx.client.acquireConnection();
      return (await run(connection)).rows as T;
    }
    const client = this.pool();
    const connection = await client.acquireConnection();
    try {
      return (await run(connection)).rows as T;
    } finally {
      await client.releaseConnection(connection);
    }
  }

  /**
   * A fork of this manager whose `execute` runs on `connection`: one where the caller has begun
   * a transaction (see inSqlTransaction), or a connection of the caller's own (the outbox
   * dispatcher's). Only raw SQL may run on it: an entity operation (find, flush) would go
   * through knex on another connection, so it fails loudly instead.
   */
  forkOnConnection(connection: PgConnection): AppEntityManager {
    const fork = this.fork({ clear: true }) as AppEntityManager;
    fork.sqlConnection = connection;
    // MikroORM hands its transaction context to the driver for every entity operation.
    (fork as unknown as { transactionContext: unknown }).transactionContext = new Proxy({}, { get() { throw new Error(SQL_ONLY); } });
    return fork;
  }

  /** The pool behind MikroORM's knex: inSqlTransaction takes its connections from it. */
  pool(): KnexClient {
    return this.getConnection().getKnex().client as KnexClient;
  }
}

const SQL_ONLY = 'Only raw SQL (execute) runs in a SQL-only transaction; use inTransaction for entity operations';

const cache = new Map<string, { parts: string[] } >();

/** The statements sent as named prepared statements (prepared()), by their SQL, with their names. */
const PREPARED = new Map<string, string>();

/**
 * Marks `sql` to be sent as a named prepared statement: each connection parses and plans it
 * once, and then only binds and runs it. For the hot paths' statements, whose text is one of a
 * few: PostgreSQL spent as much again parsing and planning the purchase's statements as running
 * them (docs/benchmarks.md, "Scaling out"). The text must not vary with its parameters (no
 * array parameter expanding into a list); every distinct text is one more statement kept by
 * every connection, for the connection's life.
 */
export function prepared(sql: string): string {
  if (!PREPARED.has(sql)) {
    if (PREPARED.size >= 1000) throw new Error('too many prepared statements: is a text varying with its data?');
    PREPARED.set(sql, `loyalty_${PREPARED.size + 1}`);
  }
  return sql;
}

/** The name `sql` is sent under, if it is a prepared statement. */
export function preparedName(sql: string): string | undefined {
  return PREPARED.get(sql);
}

/** Texts built from the configuration that preparedWhileRoom has prepared, and how many it prepares at most. */
let fromConfiguration = 0;
const FROM_CONFIGURATION_MAX = 100;

/**
 * prepared() for a text built from the programme's configuration rather than written in the
 * code: a campaign's audience, compiled from its segment filter, inside the purchase's
 * statement. Such a text is the same for every event while the configuration stands (the
 * filter's values are parameters; only its shape is in the text), so it is worth preparing; but
 * each edit of an audience makes another, so at most FROM_CONFIGURATION_MAX of them are
 * prepared in a process's life, and past that they are sent as they are (parsed and planned
 * each time, as before), never refused.
 */
export function preparedWhileRoom(sql: string): string {
  if (PREPARED.has(sql) || fromConfiguration >= FROM_CONFIGURATION_MAX) return sql;
  fromConfiguration++;
  return prepared(sql);
}

/** `select ? … in (?)` with [a, [b, c]] → `select $1 … in ($2, $3)` with [a, b, c]. */
export function toPositional(sql: string, params: readonly unknown[]): { text: string; values: unknown[] } {
  let entry = cache.get(sql);
  if (!entry) {
    entry = { parts: sql.split('?') };
    if (cache.size > 5000) cache.clear();
    cache.set(sql, entry);
  }
  const { parts } = entry;
  if (parts.length - 1 !== params.length) throw new Error(`SQL has ${parts.length - 1} placeholders but ${params.length} parameters`);
  if (parts.length === 1) return { text: sql, values: [] };
  const values: unknown[] = [];
  if (PREPARED.has(sql) && params.some(Array.isArray)) throw new Error('a prepared statement takes no list parameter: its text would vary');
  let text = parts[0];
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    if (Array.isArray(p)) {
      text += p.map((v) => {
        values.push(v);
        return `$${values.length}`;
      }).join(', ');
    } else {
      values.push(p);
      text += `$${values.length}`;
    }
    text += parts[i + 1];
  }
  return { text, values };
}
