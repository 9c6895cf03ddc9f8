import type { Express } from 'express';
import { ideHtml, ideRouter, type IdeOptions } from '../ide';

/**
 * Development only (createHttpApp mounts it outside production, where neither exists: 404):
 * the IDE's assets, `/` leading to the IDE, and the IDE's page on GET /graphql from a browser
 * (any other GET /graphql goes on to the API).
 */
export function mountDevIde(app: Express, options: IdeOptions | undefined): void {
  const page = ideHtml(options);
  app.use(ideRouter());
  app.get('/', (_req, res) => res.redirect(302, '/graphql'));
  app.get('/graphql', (req, res, next) => {
    if (req.accepts(['json', 'html']) === 'html' && !req.query.query) return void res.type('html').setHeader('cache-control', 'no-store').send(page);
    next();
  });
}
