import { AsyncLocalStorage } from 'node:async_hooks';
import { Client } from 'pg';

/**
 * Statement counting, a facility for tests and benchmarks: the statements one operation sends
 * to PostgreSQL, counted where they leave the process. Every path there ends in node-postgres'
 * `Client.prototype.query`: MikroORM's queries and its transactions' BEGIN/COMMIT (knex calls
 * it on a pooled client), `execute` and inSqlTransaction (straight to a pooled client),
 * advisory locks, NOTIFY, cursors (a cursor is submitted through `query` too) and clients of
 * our own (`new Client`). The wrapper is installed the first time something counts, never in
 * a server that does not: production pays nothing. Once installed, a statement outside any
 * count costs one AsyncLocalStorage look-up.
 *
 * What belongs to an operation is what runs in its async context (AsyncLocalStorage), on any
 * connection, inside transactions and on forked EntityManagers alike; work of others running
 * meanwhile (the outbox dispatcher, another request) is not counted.
 */
const scope = new AsyncLocalStorage<string[]>();
const INSTALLED = Symbol.for('loyalty.statementCount');

type QueryFn = (this: Client, ...args: unknown[]) => unknown;

function installCounter(): void {
  const proto = Client.prototype as unknown as { query: QueryFn; [INSTALLED]?: true };
  if (proto[INSTALLED]) return;
  const query = proto.query;
  proto.query = function countedQuery(this: Client, ...args: unknown[]) {
    scope.getStore()?.push(statementText(args[0]));
    return query.apply(this, args);
  };
  proto[INSTALLED] = true;
}

/** The SQL of what `query` was given: a string, a query config, or a submittable (a cursor). */
function statementText(config: unknown): string {
  if (typeof config === 'string') return config;
  const text = (config as { text?: unknown } | null)?.text;
  return typeof text === 'string' ? text : String(config);
}

/**
 * Runs `work` and adds to `into` the text of every statement it sends to PostgreSQL (in
 * order), whatever runs it: for a harness that counts a server's requests in-process.
 */
export function countStatementsInto<T>(into: string[], work: () => T): T {
  installCounter();
  return scope.run(into, work);
}

/** Runs `work`; returns its result and the statements it sent to PostgreSQL, in order. */
export async function countStatements<T>(work: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  const statements: string[] = [];
  const result = await countStatementsInto(statements, work);
  return { result, statements };
}

/** Runs `work` outside any count (a connection's own set-up, which no operation pays for twice). */
export function uncounted<T>(work: () => T): T {
  return scope.exit(work);
}
