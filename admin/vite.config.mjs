// @ts-check
// The console's build: served by the server at /admin (src/api/routes/console.ts), so every
// asset URL starts with /admin/. JSX is compiled by esbuild (Vite's own TypeScript step, with
// the automatic runtime): no Babel, no React plugin. Pages are lazy chunks (src/app/pages.ts);
// ECharts comes in only with the pages that draw (src/ui/Chart.tsx).
import { defineConfig } from 'vite';

/**
 * `npm run dev -w admin` proxies the server's own paths that the console requests (its GraphQL,
 * the development sign-in, the CSV and JSON exports and the file imports) to a running server:
 * http://localhost:4000 (`npm start`), or LOYALTY_SERVER for one on another port.
 */
const server = process.env.LOYALTY_SERVER || 'http://localhost:4000';
export const SERVER_PATHS = ['/graphql', '/admin/dev-token', '/exports', '/imports'];

export default defineConfig({
  base: '/admin/',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Hashed names under assets/: the server caches them for a year (index.html: no-cache).
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 700,
  },
  server: {
    // `npm run dev -w admin`: the console with hot reload against a server on :4000 (or LOYALTY_SERVER).
    proxy: Object.fromEntries(SERVER_PATHS.map((path) => [path, server])),
  },
});
