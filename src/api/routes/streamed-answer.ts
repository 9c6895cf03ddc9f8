import type { Response } from 'express';

/** Thrown into a streamed export when its reader has gone: nobody will read the rest. */
export class ReaderGone extends Error {
  constructor(why: string) {
    super(why);
    this.name = 'ReaderGone';
  }
}

/**
 * The writes of a streamed answer (a member's data export, a segment's CSV), with
 * back-pressure: each resolves when the reader wants more, and rejects with ReaderGone once
 * the connection has closed, or once the reader has taken nothing for `stallMs` (the
 * connection is then destroyed). An export reads from its own transaction between writes:
 * a write that waited for a 'drain' that never came held that connection forever, so a
 * download cut off mid-way (or a client that stops reading) took a pool connection for good.
 * `first` runs before the first piece is written (the headers).
 */
export function streamedAnswer(res: Response, stallMs: number, first: () => void): (piece: string) => Promise<void> {
  let started = false;
  return (piece) => {
    if (res.destroyed || res.writableEnded) return Promise.reject(new ReaderGone('The connection has closed'));
    if (!started) {
      started = true;
      first();
    }
    if (res.write(piece)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        res.off('drain', onDrain);
        res.off('close', onClose);
      };
      const onDrain = () => {
        done();
        resolve();
      };
      const onClose = () => {
        done();
        reject(new ReaderGone('The connection has closed'));
      };
      const timer = setTimeout(() => {
        done();
        res.destroy();
        reject(new ReaderGone(`The reader took nothing for ${stallMs} ms`));
      }, stallMs);
      timer.unref();
      res.once('drain', onDrain);
      res.once('close', onClose);
    });
  };
}
