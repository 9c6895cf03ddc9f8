import type { Response } from 'express';

/** Requests waiting for a turn at once; the next is told "busy" at once. */
const MAX_WAITING = 100;

/**
 * Turns of a kind of long request that holds a pool connection from start to end (an import,
 * a streamed export): at most `max` at once, the others waiting in arrival order for at most
 * `waitMs` (an upload's body unread meanwhile: TCP holds it back at the client). A turn freed
 * passes straight to the first in line; one whose client hangs up leaves the line.
 */
export function turns(max: number, waitMs: number) {
  let running = 0;
  const line: (() => void)[] = [];
  return {
    get running() { return running; },
    /** 'go' with a turn taken, 'busy' when none came in time (or the line is full), 'gone' when the client left first. */
    take(res: Response): Promise<'go' | 'busy' | 'gone'> {
      if (running < max) {
        running++;
        return Promise.resolve('go');
      }
      if (line.length >= MAX_WAITING) return Promise.resolve('busy');
      return new Promise((resolve) => {
        const leave = (why: 'busy' | 'gone') => {
          const i = line.indexOf(grant);
          if (i >= 0) line.splice(i, 1);
          clearTimeout(timer);
          res.off('close', onClose);
          resolve(why);
        };
        const grant = () => {
          clearTimeout(timer);
          res.off('close', onClose);
          resolve('go'); // the turn passes on without being counted down and up again
        };
        const onClose = () => leave('gone');
        const timer = setTimeout(() => leave('busy'), waitMs);
        line.push(grant);
        res.once('close', onClose);
      });
    },
    /** Gives a turn back: to the first in line, if any. */
    release(): void {
      const next = line.shift();
      if (next) next();
      else running--;
    },
  };
}
