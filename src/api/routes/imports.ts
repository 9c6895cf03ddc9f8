import type { Express, Request, Response } from 'express';
import type { Logger } from 'pino';
import { AppError, ErrorCode } from '../../common/errors';
import { databaseUnavailable } from '../../common/unavailable';
import { Admission, runWithin } from '../admission';
import type { TokenVerifier } from '../auth';
import type { ContextFactory } from '../context';
import { actorOf, authenticate, sendUnauthenticated } from '../http-auth';
import { sendUnexpected } from '../request-errors';
import { requestIdOf } from './request-telemetry';

export interface ImportRouteDeps {
  verifier: TokenVerifier;
  contextFor: ContextFactory;
  log: Logger;
  /** Imports this process runs at once (IMPORT_CONCURRENCY); the next waits its turn, its body unread. */
  maxRunning: number;
  /** How long an upload waits for a turn (IMPORT_WAIT_MS) before it is answered 503 with Retry-After. */
  maxWaitMs: number;
}

/** Uploads waiting for a turn at once; the next is 503 at once. */
const MAX_WAITING_UPLOADS = 100;

const FORMATS: Record<string, 'csv' | 'ndjson'> = { 'text/csv': 'csv', 'application/x-ndjson': 'ndjson' };

function sendError(res: Response, status: number, code: string, message: string, field?: string): void {
  res.status(status).json({ errors: [{ message, extensions: { code, ...(field ? { field } : {}) } }] });
}

/**
 * POST /imports/members and POST /imports/purchases?mode=history|earn: a bulk import, admins
 * only. The body (text/csv with a header row, or application/x-ndjson) is streamed into the
 * database, never held here; once it is staged the answer is 202 {"id"}, and the checks and
 * writes go on (importJob(id) shows them). Errors are JSON in the GraphQL error shape.
 */
export function mountImports(app: Express, { verifier, contextFor, log, maxRunning, maxWaitMs }: ImportRouteDeps): void {
  // Each import keeps a pool connection from its first byte to its last write: without a cap,
  // as many uploads at once as the pool has connections left every request waiting for them.
  const turns = new Admission(maxRunning, MAX_WAITING_UPLOADS);
  app.post('/imports/:kind', authenticate(verifier), async (req: Request<{ kind: string }>, res) => {
    const actor = actorOf(res);
    if (!actor) return sendUnauthenticated(res, 'Authentication required', false);
    if (actor.role !== 'admin') return sendError(res, 403, ErrorCode.FORBIDDEN, 'Requires role admin');
    const kind = req.params.kind === 'members' ? 'MEMBERS' : req.params.kind === 'purchases' ? 'PURCHASES' : null;
    if (!kind) return sendError(res, 404, ErrorCode.NOT_FOUND, 'Imports are /imports/members and /imports/purchases');
    const mode = typeof req.query.mode === 'string' ? req.query.mode : null;
    if (kind === 'PURCHASES' && mode !== 'history' && mode !== 'earn') {
      return sendError(res, 400, ErrorCode.BAD_USER_INPUT, 'mode must be history or earn (?mode=history|earn)', 'mode');
    }
    if (kind === 'MEMBERS' && mode != null) return sendError(res, 400, ErrorCode.BAD_USER_INPUT, 'A members import takes no mode', 'mode');
    const [typePart, ...params] = (req.headers['content-type'] ?? '').split(';');
    const format = FORMATS[typePart.trim().toLowerCase()];
    if (!format) return sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'The body must be text/csv (with a header row) or application/x-ndjson');
    // The body is read as UTF-8 bytes as they come: a compressed body, or text declared in another
    // charset, would be read as garbage (a header "lacking" its columns, lines of U+FFFD).
    const charset = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/^"(.*)"$/, '$1');
    if (charset != null && charset !== 'utf-8' && charset !== 'utf8') {
      return sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', `The body must be UTF-8 (charset=${charset} is not read)`);
    }
    const encoding = String(req.headers['content-encoding'] ?? '').trim().toLowerCase();
    if (encoding !== '' && encoding !== 'identity') {
      return sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', `The body must not be compressed (Content-Encoding: ${encoding} is not read)`);
    }
    const { services } = contextFor(actor, requestIdOf(req));
    // The turn is held until the job has ended, not only until the answer: the checks and
    // writes after it keep the import's connection.
    const turn = await runWithin(turns, res, maxWaitMs, async () => {
      try {
        const started = await services.imports.start(actor, { kind, mode: kind === 'MEMBERS' ? null : (mode as 'history' | 'earn'), format, body: req });
        res.status(202).json({ id: started.job.id, status: started.job.status, rowsStaged: started.job.rowsTotal });
        // The checks and writes go on after the answer; their outcome is the job's (FAILED with its reason).
        const job = await started.finished.catch((err: unknown) => void log.error({ err, importId: started.job.id }, 'import failed'));
        if (job?.status === 'FAILED') log.warn({ importId: job.id, failure: job.failure }, 'import failed');
      } catch (err) {
        if (err instanceof AppError) return sendError(res, 400, err.code, err.message, typeof err.details.field === 'string' ? err.details.field : undefined);
        // The client hung up (or ended) before its body was whole: the request stream's own
        // ECONNRESET, not the database's (the job is FAILED, "The upload did not complete").
        if (req.readableAborted || (err as { message?: unknown } | null)?.message === 'aborted') {
          log.info({ err: { message: (err as Error).message, code: (err as { code?: unknown }).code } }, 'import upload cut off by the client');
          if (!res.headersSent && !res.destroyed) sendError(res, 400, ErrorCode.BAD_USER_INPUT, 'The upload did not complete');
          return;
        }
        if (databaseUnavailable(err) && !res.headersSent) return sendUnexpected(res, err, log, {}, 'import upload failed');
        log.warn({ err }, 'import upload failed');
        if (!res.headersSent) sendError(res, 400, ErrorCode.BAD_USER_INPUT, 'The upload did not complete');
      }
    });
    if (turn === 'busy') {
      res.setHeader('retry-after', '5');
      sendError(res, 503, 'SERVICE_UNAVAILABLE',
        `${turns.inProgress} imports are running already (at most ${maxRunning} at once) and none finished in time; retry when one has finished`);
    }
    // 'gone': the client hung up while it waited: nothing was read, nothing to answer.
  });
}
