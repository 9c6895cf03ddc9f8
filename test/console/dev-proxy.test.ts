import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../support/server-process';

/**
 * `npm run dev -w admin` (admin/README.md) serves the console from Vite with hot reload and must
 * pass every request the console makes to the server itself to a running server: a path it does
 * not proxy is Vite's 404 (the Imports page's uploads to /imports/… were). The server's own paths
 * are those its routes answer outside /admin; each one the console's code names must be proxied.
 */
const SERVER_ROOTS = ['/graphql', '/imports', '/exports', '/healthz', '/readyz', '/metrics', '/admin/dev-token'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'gql' ? [] : sourceFiles(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

async function viteConfig(env: NodeJS.ProcessEnv = process.env): Promise<{ proxy: Record<string, string> }> {
  const script = "const c = (await import('./vite.config.mjs')).default; console.log(JSON.stringify({ proxy: c.server.proxy }))";
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: join(ROOT, 'admin'), env });
  return JSON.parse(stdout) as { proxy: Record<string, string> };
}

it("Vite's dev server proxies every server path the console requests", async () => {
  const requested = new Set<string>(['/graphql']); // the urql client's `${origin}/graphql`
  for (const file of sourceFiles(join(ROOT, 'admin', 'src'))) {
    for (const [, path] of readFileSync(file, 'utf8').matchAll(/['"`](\/[^'"`\s]*)/g)) {
      const root = SERVER_ROOTS.find((r) => path === r || path.startsWith(`${r}/`) || path.startsWith(`${r}?`));
      if (root) requested.add(root);
    }
  }
  expect([...requested].sort()).toEqual(['/admin/dev-token', '/exports', '/graphql', '/imports']);
  const { proxy } = await viteConfig();
  for (const path of requested) expect({ path, target: proxy[path] }).toEqual({ path, target: 'http://localhost:4000' });
}, 60_000);

it('LOYALTY_SERVER points the dev server at a server on another port', async () => {
  const { proxy } = await viteConfig({ ...process.env, LOYALTY_SERVER: 'http://localhost:4321' });
  expect(new Set(Object.values(proxy))).toEqual(new Set(['http://localhost:4321']));
}, 60_000);
