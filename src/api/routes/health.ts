import type { Express } from 'express';

/** Liveness and readiness, open to anyone (no token). `ready`: the database answers and no migration is pending. */
export function mountHealth(app: Express, ready: () => Promise<boolean>): void {
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', async (_req, res) => {
    const ok = await ready();
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready' });
  });
}
