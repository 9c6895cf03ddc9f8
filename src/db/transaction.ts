import type { EntityManager } from '@mikro-orm/postgresql';

/** SQLSTATEs that mean "try the whole transaction again": serialization failure, deadlock. */
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 6;

function sqlState(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } } | null;
  return e?.code ?? e?.cause?.code;
}

/**
 * Runs `work` in one transaction on a fresh fork of `em`. A deadlock or serialization
 * failure is retried with jittered back-off, so that clients never see one: our locks are
 * taken in a fixed order, so retries are rare and short.
 */
export async function inTransaction<T>(em: EntityManager, work: (tx: EntityManager) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let hooks: AfterCommit[] = [];
    try {
      const result = await em.fork({ clear: true }).transactional((tx) => {
        hooks = [];
        afterCommitHooks.set(tx, hooks);
        return work(tx as EntityManager);
      });
      // Committed: now, and only now, what must follow the commit (a rollback runs none of it).
      for (const hook of hooks) await hook(em).catch(() => { /* best effort; the hook's own safety net covers it */ });
      return result;
    } catch (err) {
      if (attempt >= MAX_ATTEMPTS || !RETRYABLE.has(sqlState(err) ?? '')) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
    }
  }
}

type AfterCommit = (em: EntityManager) => Promise<unknown>;
const afterCommitHooks = new WeakMap<object, AfterCommit[]>();

/**
 * Runs `hook` after the transaction `tx` (from inTransaction) commits, outside it; never on
 * rollback. For signals whose loss is tolerable because something else catches up (NOTIFY).
 */
export function afterCommit(tx: EntityManager, hook: AfterCommit): void {
  const hooks = afterCommitHooks.get(tx);
  if (!hooks) throw new Error('afterCommit outside inTransaction');
  hooks.push(hook);
}

/** True when PostgreSQL refused a write because of a unique constraint. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  if (sqlState(err) !== '23505') return false;
  if (!constraint) return true;
  const e = err as { constraint?: string; cause?: { constraint?: string } };
  return (e.constraint ?? e.cause?.constraint) === constraint;
}

/**
 * The shape of every keyed write: the stored result when the key was used before (or a
 * CONFLICT the replay raises), else the write; and when a concurrent write with the same
 * key won the race (unique violation), the winner's stored result.
 */
export async function idempotentWrite<T>(em: EntityManager, replay: (em: EntityManager) => Promise<T | null>, write: () => Promise<T>): Promise<T> {
  const earlier = await replay(em);
  if (earlier) return earlier;
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) {
      const settled = await replay(em);
      if (settled) return settled;
    }
    throw err;
  }
}
