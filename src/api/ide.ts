import express, { type Router } from 'express';
import { dirname, join } from 'node:path';

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

export const IDE_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>Loyalty GraphQL IDE</title>
<link rel="stylesheet" href="/ide/graphiql.css"><style>body{margin:0;height:100vh}#ide{height:100vh}</style></head>
<body><div id="ide"></div>
<script src="/ide/react.js"></script><script src="/ide/react-dom.js"></script><script src="/ide/graphiql.js"></script>
<script>
  const token = localStorage.getItem('loyalty-token') || '';
  const fetcher = GraphiQL.createFetcher({ url: '/graphql', subscriptionUrl: location.origin.replace(/^http/, 'ws') + '/graphql' });
  ReactDOM.createRoot(document.getElementById('ide')).render(React.createElement(GraphiQL, {
    fetcher, defaultEditorToolsVisibility: true,
    defaultHeaders: JSON.stringify({ authorization: token ? 'Bearer ' + token : 'Bearer <paste the admin token printed at start-up>' }, null, 2),
  }));
</script></body></html>`;
