import type { Express } from 'express';
import { ideHtml, ideRouter, type IdeOptions } from '../ide';
import { isLoopbackRequest, requestFacts } from '../local-request';

/**
 * Development only (createHttpApp mounts it outside production, where neither exists: 404):
 * the IDE's assets, `/` leading to the IDE, and the IDE's page on GET /graphql from a browser
 * (any other GET /graphql goes on to the API).
 */
export function mountDevIde(app: Express, options: IdeOptions | undefined): void {
  const startId = String(Date.now());
  const page = ideHtml(options, startId);
  // The demo member's token goes only to a browser on this machine that asks by a loopback name,
  // as /admin/dev-token's does: a page on another site whose name resolves to 127.0.0.1 (DNS
  // rebinding) sends its own name in Host, and a request a proxy passed on says so in its headers:
  // both read the examples with placeholders instead.
  const withoutToken = options?.memberToken ? ideHtml({ ...options, memberToken: null }, startId) : page;
  app.use(ideRouter());
  app.get('/', (_req, res) => res.redirect(302, '/graphql'));
  app.get('/graphql', (req, res, next) => {
    if (req.accepts(['json', 'html']) !== 'html' || req.query.query) return next();
    const local = isLoopbackRequest(requestFacts(req));
    res.type('html').setHeader('cache-control', 'no-store').send(local ? page : withoutToken);
  });
}
