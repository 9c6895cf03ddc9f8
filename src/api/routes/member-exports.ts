import type { Express, Request, Response } from 'express';
import type { Logger } from 'pino';
import { AppError, ErrorCode } from '../../common/errors';
import { canonicalId } from '../../modules/members/members.service';
import { Admission, runWithin } from '../admission';
import type { TokenVerifier } from '../auth';
import type { ContextFactory } from '../context';
import { actorOf, authenticate, sendUnauthenticated } from '../http-auth';
import { sendUnexpected } from '../request-errors';
import { requestIdOf } from './request-telemetry';
import { ReaderGone, streamedAnswer } from './streamed-answer';

export interface MemberExportDeps {
  verifier: TokenVerifier;
  contextFor: ContextFactory;
  log: Logger;
  /** A reader that takes nothing for this long is let go (EXPORT_STALL_MS). */
  stallMs: number;
}

const STATUS: Partial<Record<ErrorCode, number>> = { [ErrorCode.FORBIDDEN]: 403, [ErrorCode.NOT_FOUND]: 404 };

/**
 * Exports streaming at once in this process. Each reads from one transaction, a pool
 * connection, for as long as its reader takes: a reader that takes 16 kB every few seconds
 * (within EXPORT_STALL_MS) keeps it for the whole download, and twenty of them took the pool.
 * The next waits its turn for up to EXPORT_WAIT_MS, then is 503. A member downloads its own
 * document once at a time (429); an admin or a service may have several in line.
 */
export const MAX_EXPORTS = 4;
export const MAX_MEMBER_EXPORTS = 1;
export const EXPORT_WAIT_MS = 30_000;
/** Downloads waiting for a turn at once; the next is 503 at once. */
const MAX_WAITING_EXPORTS = 100;

/**
 * GET /exports/members/<id>.json: a member's data export (the document memberDataExport
 * answers, README "Member data rights"), streamed with back-pressure for any length of
 * history; the member itself (its token) or an admin. A refusal is a JSON error with its code
 * before anything is sent.
 */
export function mountMemberExports(app: Express, { verifier, contextFor, log, stallMs }: MemberExportDeps): void {
  const downloads = new Admission(MAX_EXPORTS, MAX_WAITING_EXPORTS);
  const byMember = new Map<string, number>();
  app.get('/exports/members/:file', authenticate(verifier), async (req: Request<{ file: string }>, res: Response) => {
    const actor = actorOf(res);
    if (!actor) return sendUnauthenticated(res, 'Authentication required', false);
    const id = canonicalId(req.params.file.replace(/\.json$/, '')); // a UUID in capitals is the same id, as in GraphQL (input-guard.ts)
    const member = actor.role === 'member' ? actor.sub : null;
    if (member !== null && (byMember.get(member) ?? 0) >= MAX_MEMBER_EXPORTS) {
      res.setHeader('retry-after', '5');
      return void res.status(429).json({ errors: [{
        message: 'An export of yours is still downloading; retry when it has finished', extensions: { code: ErrorCode.LIMIT_REACHED },
      }] });
    }
    if (member !== null) byMember.set(member, (byMember.get(member) ?? 0) + 1);
    const unmark = () => {
      if (member === null) return;
      const left = (byMember.get(member) ?? 1) - 1;
      if (left > 0) byMember.set(member, left);
      else byMember.delete(member);
    };
    const { services, clock } = contextFor(actor, requestIdOf(req));
    const turn = await runWithin(downloads, res, EXPORT_WAIT_MS, async () => {
      let started = false;
      const write = streamedAnswer(res, stallMs, () => {
        started = true;
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.setHeader('content-disposition', `attachment; filename="member-${id}.json"`);
        res.setHeader('cache-control', 'no-store');
      });
      try {
        await services.dataRights.streamExport(actor, id, write, clock.now());
      } catch (err) {
        // Its reader gone, the export stopped and gave its transaction back: nothing to answer.
        if (err instanceof ReaderGone) return void log.info({ reason: err.message }, 'member export stopped: its reader has gone');
        if (!started && err instanceof AppError && STATUS[err.code]) {
          return void res.status(STATUS[err.code]!).json({ errors: [{ message: err.message, extensions: { code: err.code } }] });
        }
        if (!started) return sendUnexpected(res, err, log, {}, 'member export failed');
        log.error({ err }, 'member export failed');
        return void res.destroy(); // a truncated document must not look complete
      }
      res.end();
    }).finally(unmark);
    if (turn === 'busy') {
      res.setHeader('retry-after', '5');
      res.status(503).json({ errors: [{
        message: `${downloads.inProgress} exports are downloading already; retry later`, extensions: { code: 'SERVICE_UNAVAILABLE' },
      }] });
    }
  });
}
