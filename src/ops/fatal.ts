import pino, { type Logger } from 'pino';

/** An error as one line: its own message (written to be acted on), newlines folded. */
export function oneLine(err: unknown): string {
  const e = err as { message?: string; code?: string | number; errors?: unknown[] } | null;
  // AggregateError (a connection refused on every address of a host) has no message of its own.
  const message = e?.message || (e?.errors?.length ? oneLine(e.errors[0]) : '') || (e?.code ? String(e.code) : '') || String(err);
  return String(message).replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * The stop signal (SIGINT, SIGTERM, SIGHUP) that reached the process while it was starting,
 * before the server took its signals over (src/db/embedded-postgres.mjs notes it): the start then
 * fails because PostgreSQL stops under it, and that is no failure to report as one.
 */
export function stopSignalWhileStarting(): string | undefined {
  return (globalThis as Record<symbol, string | undefined>)[Symbol.for('loyalty.stopSignal')];
}

/**
 * A logger on stderr for failures, written synchronously (the stack must be out before the one
 * line, and before process.exit), at the level the environment asks for if it is one pino knows
 * (LOG_LEVEL itself may be the mistake).
 */
export function failureLog(): Logger {
  const level = process.env.LOG_LEVEL && process.env.LOG_LEVEL in pino.levels.values ? process.env.LOG_LEVEL : 'info';
  return pino({ level }, pino.destination({ dest: 2, sync: true }));
}

/**
 * The operators' commands (`npm run migrate`, `seed`, `db:snapshot`) fail as the server's start
 * does: one line on stderr, `<what> failed: <why>`, exit 1; the stack at LOG_LEVEL=debug only.
 */
export function exitWithFailure(what: string, err: unknown, log: Logger = failureLog()): never {
  log.debug({ err }, `${what} failed`);
  process.stderr.write(`${what} failed: ${oneLine(err)}\n`);
  process.exit(1);
}
