import express, { type Express, type Request, type Response } from 'express';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLocalRequest, isLoopbackRequest, requestFacts } from '../local-request';
import { notServed } from '../request-errors';

export interface ConsoleRouteOptions {
  /** The console's build (admin/dist, or CONSOLE_DIR). It may appear after start-up (built on first start). */
  dir: string;
  /** The development admin token (a development start only: no JWT_SECRET, no JWKS, not production); null otherwise. */
  devAdminToken: string | null;
}

/** Hashed names (Vite's `assets/name-HASH.js`): a new build has new names, so these never change. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The operator's console at /admin: the built files, and index.html for every other
 * extensionless /admin path (the console's own router shows the page). Nothing here reaches
 * /graphql, /metrics or /healthz: every path is under /admin.
 *   - /admin/assets/*: hashed, cached for a year; a missing one is a 404 (never index.html).
 *   - index.html: `no-cache` (revalidated every time, so a new build is picked up at once).
 *   - /admin/dev-token: in a development start only, the development admin token, to a browser
 *     on this machine (src/api/local-request.ts); 404 in any other start, 403 from elsewhere.
 *     index.html says when to ask (DEV_SIGN_IN_META): a console that asked on every load logged
 *     a 404 in any other start.
 */
export function mountConsole(app: Express, options: ConsoleRouteOptions): void {
  const router = express.Router();
  const index = join(options.dir, 'index.html');
  router.use(consoleHeaders);

  router.get('/dev-token', (req, res) => {
    res.setHeader('cache-control', 'no-store');
    // Refusals in the API's error shape, as every other path's 404 and 403.
    if (!options.devAdminToken) return notServed(res, req.method, req.baseUrl + req.path);
    const local = isLocalRequest(requestFacts(req));
    if (!local) return void res.status(403).json({ errors: [{ message: 'The development token is given only to a browser on the server\'s machine, at localhost', extensions: { code: 'FORBIDDEN' } }] });
    res.json({ token: options.devAdminToken, role: 'admin' });
  });

  router.use(express.static(options.dir, {
    index: false,
    redirect: false,
    setHeaders: (res, path) => res.setHeader('cache-control', path.includes(`${join(options.dir, 'assets')}`) ? IMMUTABLE : 'no-cache'),
  }));
  router.use('/assets', (_req, res) => void res.status(404).type('text').send('Not found'));

  router.get('/{*path}', (req, res, next) => {
    // A file name that is not in the build (favicon.ico, a stale chunk) is a 404, not the page.
    if (/\.[A-Za-z0-9]+$/.test(req.path)) return next();
    const devSignIn = Boolean(options.devAdminToken) && isLoopbackRequest(requestFacts(req));
    sendIndex(res, index, devSignIn);
  });
  app.use('/admin', router);
}

/**
 * The console holds an admin token (sessionStorage, or localStorage when the operator stays
 * signed in), so its pages must not be framed by another site (clickjacking: a page that shows
 * the console in an invisible frame and has the operator click "Erase" or "Activate") nor run a
 * script that is not one of its own built files. Every /admin answer says so:
 *   - `frame-ancestors 'none'` and `X-Frame-Options: DENY` (older browsers): no frame anywhere;
 *   - `script-src 'self'`: the built bundle only (no inline script, no eval); `connect-src 'self'`:
 *     it talks to this server alone; styles may be inline (the charts' tooltips write style attributes);
 *   - `nosniff`, and no Referer to other sites.
 */
export const CONSOLE_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data: blob:",
  "font-src 'self' data:", "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

function consoleHeaders(_req: Request, res: Response, next: () => void): void {
  res.setHeader('content-security-policy', CONSOLE_CSP);
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  next();
}

/** In index.html when /admin/dev-token would answer this browser: the sign-in page asks for the token only then. */
export const DEV_SIGN_IN_META = '<meta name="loyalty-dev-sign-in" content="/admin/dev-token" />';

function sendIndex(res: Response, index: string, devSignIn: boolean) {
  if (!existsSync(index)) {
    // A clone where `npm install` did not build it: `npm start` builds it now (src/console-build.ts).
    res.status(503).setHeader('retry-after', '10');
    return void res.type('text').send('The console is not built yet. `npm start` builds it on first start (a few seconds); or run `npm run build:admin`. Reload in a moment.');
  }
  res.setHeader('cache-control', 'no-cache');
  if (!devSignIn) return void res.sendFile(index);
  res.type('html').send(readFileSync(index, 'utf8').replace(/<\/head>|<script/i, (at) => `${DEV_SIGN_IN_META}${at}`));
}

