import cors from 'cors';
import type { RequestHandler } from 'express';

/** The paths a member's web page may call from another origin: the API, and its own data export. */
export const CROSS_ORIGIN_PATHS = ['/graphql', '/exports/members'];

/**
 * CORS for a brand's web pages (a member app in the browser, a shop's H5 page) on the origins
 * the operator lists (CORS_ORIGINS): the preflight is answered here (204); an origin not listed
 * gets no Access-Control-Allow-Origin, so its browser keeps the answer from the page. Tokens are
 * sent as a bearer header, never as cookies, so no credentials are allowed.
 */
export function crossOrigin(origins: string[] | '*'): RequestHandler {
  return cors({
    origin: origins,
    methods: ['GET', 'POST'],
    // The token, JSON, the headers Apollo's clients send (Apollo Client, iOS and Kotlin name
    // themselves in apollographql-client-*; its CSRF check accepts the first two), and a
    // request id of the client's own (the server reads and answers it).
    allowedHeaders: [
      'authorization', 'content-type', 'apollo-require-preflight', 'x-apollo-operation-name',
      'apollographql-client-name', 'apollographql-client-version', 'graphql-client-name', 'graphql-client-version', 'x-request-id',
    ],
    exposedHeaders: ['retry-after', 'x-request-id', 'content-disposition'],
    maxAge: 600,
  });
}
