import express, { type Router } from 'express';
import { dirname, join } from 'node:path';
import { IDE_EXAMPLES, type IdeExample } from './ide-examples';

/**
 * A GraphiQL IDE served from the project's own node_modules (no CDN: the machine that runs
 * the server may have no internet). Development only.
 */
export function ideRouter(): Router {
  const router = express.Router();
  const graphiqlDir = dirname(require.resolve('graphiql/graphiql.min.js'));
  const files: Record<string, string> = {
    // UMD builds are not in the packages' export maps: find them beside package.json.
    'react.js': join(dirname(require.resolve('react/package.json')), 'umd/react.production.min.js'),
    'react-dom.js': join(dirname(require.resolve('react-dom/package.json')), 'umd/react-dom.production.min.js'),
    'graphiql.js': join(graphiqlDir, 'graphiql.min.js'),
    'graphiql.css': join(graphiqlDir, 'graphiql.min.css'),
  };
  router.get('/ide/:file', (req, res) => {
    const path = files[req.params.file];
    if (!path) return void res.status(404).end();
    res.sendFile(path, { maxAge: '1h' });
  });
  return router;
}

export interface IdeOptions {
  /** The demo member's token and id (development start with the demo data): filled into the member tabs. */
  memberToken?: string | null;
  memberId?: string | null;
}

const PLACEHOLDER: Record<IdeExample['role'], string> = {
  member: 'Bearer <a member token: npm run token -- --role member --sub MEMBER_ID>',
  service: 'Bearer <a service token: npm run token -- --role service --sub till-1>',
  admin: 'Bearer <the admin token printed at start-up, or: npm run token -- --role admin --sub me>',
};

/** The IDE's first tabs: the examples, with the demo member's id and token where they fit. */
export function ideTabs(options: IdeOptions = {}) {
  return IDE_EXAMPLES.map((example) => {
    const authorization = example.role === 'member' && options.memberToken ? `Bearer ${options.memberToken}` : PLACEHOLDER[example.role];
    const variables = example.variables
      ? JSON.stringify(example.variables, null, 2).replaceAll('$MEMBER_ID', options.memberId ?? '<a member id>')
      : undefined;
    return { query: example.query, variables, headers: JSON.stringify({ authorization }, null, 2) };
  });
}

/** JSON inside a <script>: no "</script>" or "<!--" can end it early. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/**
 * The IDE page. Each start of the server has its own tabs (its member token is new): the tabs
 * GraphiQL kept from an earlier start are dropped once, and kept across reloads after that.
 */
export function ideHtml(options: IdeOptions = {}, startId: string = String(Date.now())): string {
  const tabs = ideTabs(options);
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Loyalty GraphQL IDE</title>
<link rel="stylesheet" href="/ide/graphiql.css"><style>body{margin:0;height:100vh}#ide{height:100vh}</style></head>
<body><div id="ide"></div>
<script src="/ide/react.js"></script><script src="/ide/react-dom.js"></script><script src="/ide/graphiql.js"></script>
<script>
  const start = ${scriptJson(startId)};
  if (localStorage.getItem('loyalty-ide-start') !== start) {
    localStorage.removeItem('graphiql:tabState');
    localStorage.removeItem('graphiql:query');
    localStorage.setItem('loyalty-ide-start', start);
  }
  const fetcher = GraphiQL.createFetcher({ url: '/graphql', subscriptionUrl: location.origin.replace(/^http/, 'ws') + '/graphql' });
  const tabs = ${scriptJson(tabs)};
  // GraphiQL fills the editors of the tab it opens on from defaultHeaders and defaultVariables,
  // not from the first of defaultTabs: without them the first run went out without a token.
  ReactDOM.createRoot(document.getElementById('ide')).render(React.createElement(GraphiQL, {
    fetcher, defaultEditorToolsVisibility: true, defaultTabs: tabs, defaultHeaders: tabs[0].headers, defaultVariables: tabs[0].variables,
  }));
</script></body></html>`;
}
