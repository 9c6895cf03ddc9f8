import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { countStatementsInto } from '../../src/db/statement-count';

export interface Counted<T> {
  result: T;
  /** The text of each statement sent to PostgreSQL, in order. */
  statements: string[];
}

export type StatementCounter = <T>(work: () => Promise<T>) => Promise<Counted<T>>;

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** What the count waits for before it ends: the pool's connections all back and none asked for. */
export interface PoolState { numUsed(): number; numPendingAcquires(): number; numPendingCreates(): number }

const SETTLE_MS = 2_000;

/**
 * Counts, for a server running in this process, the statements it sends PostgreSQL while
 * `work` runs: those of every HTTP request it receives meanwhile (each request is handled in
 * the count's async context) and those `work` runs in-process. Requests outside a count are
 * handled as before. One count at a time; the requests counted should not overlap others.
 *
 * A request may leave work behind its answer (the coalesced NOTIFY after a commit, sent from
 * a pooled connection): the count ends when `pool` has every connection back, so that such a
 * statement is counted every time or never.
 */
export function statementCounter(server: Server, pool: () => PoolState): StatementCounter {
  let counting: string[] | null = null;
  for (const listener of server.listeners('request') as RequestListener[]) {
    server.removeListener('request', listener);
    server.on('request', (req: IncomingMessage, res: ServerResponse) =>
      counting ? countStatementsInto(counting, () => listener(req, res)) : listener(req, res));
  }
  return async (work) => {
    if (counting) throw new Error('statement counts do not nest');
    const statements: string[] = [];
    counting = statements;
    try {
      const result = await countStatementsInto(statements, work);
      await settled(pool());
      return { result, statements: [...statements] };
    } finally {
      counting = null;
    }
  };
}

async function settled(pool: PoolState): Promise<void> {
  const busy = () => pool.numUsed() + pool.numPendingAcquires() + pool.numPendingCreates() > 0;
  for (const until = Date.now() + SETTLE_MS; busy();) {
    if (Date.now() > until) throw new Error(`the pool is still busy ${SETTLE_MS} ms after the work counted`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** The statements, one a line, each cut at 120 characters: for a failure message. */
export function listStatements(statements: readonly string[]): string {
  return statements.map((s, i) => `${String(i + 1).padStart(3)}. ${s.replace(/\s+/g, ' ').trim().slice(0, 120)}`).join('\n');
}
