import type { Express, Request } from 'express';
import type { Logger } from 'pino';
import type { TokenVerifier } from '../auth';
import type { ContextFactory } from '../context';
import { actorOf, authenticate, sendUnauthenticated } from '../http-auth';
import { sendUnexpected } from '../request-errors';
import { requestIdOf } from './request-telemetry';
import { ReaderGone, streamedAnswer } from './streamed-answer';

export interface SegmentExportDeps {
  verifier: TokenVerifier;
  contextFor: ContextFactory;
  log: Logger;
  /** A reader that takes nothing for this long is let go (EXPORT_STALL_MS). */
  stallMs: number;
}

/** GET /exports/segments/<id>.csv: a saved segment's members as CSV, streamed; admins only. */
export function mountSegmentExports(app: Express, { verifier, contextFor, log, stallMs }: SegmentExportDeps): void {
  app.get('/exports/segments/:file', authenticate(verifier), async (req: Request<{ file: string }>, res) => {
    const actor = actorOf(res);
    if (!actor) return sendUnauthenticated(res, 'Authentication required', false);
    if (actor.role !== 'admin') return void res.status(403).json({ errors: [{ message: 'Requires role admin', extensions: { code: 'FORBIDDEN' } }] });
    const id = req.params.file.replace(/\.csv$/, '');
    const { services } = contextFor(actor, requestIdOf(req));
    let segment: Awaited<ReturnType<typeof services.segments.get>>;
    try {
      segment = await services.segments.get(id);
    } catch (err) {
      return sendUnexpected(res, err, log, { segment: id }, 'segment export failed');
    }
    if (!segment) return void res.status(404).json({ errors: [{ message: `Segment ${id} not found`, extensions: { code: 'NOT_FOUND' } }] });
    let started = false;
    // Keyset batches written with back-pressure: memory stays flat for a million rows.
    const write = streamedAnswer(res, stallMs, () => {
      started = true;
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      res.setHeader('content-disposition', `attachment; filename="segment-${id}.csv"`);
      res.setHeader('cache-control', 'no-store'); // names, emails and phones
    });
    try {
      await services.segments.exportCsv(segment.filter, write);
    } catch (err) {
      if (err instanceof ReaderGone) return void log.info({ reason: err.message }, 'segment export stopped: its reader has gone');
      if (!started) return sendUnexpected(res, err, log, {}, 'segment export failed');
      log.error({ err }, 'segment export failed');
      return void res.destroy(); // a truncated file must not look complete: a mailing tool would send to part of the segment
    }
    res.end();
  });
}
