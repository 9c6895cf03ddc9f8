import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DEFAULT_CONSOLE_DIR } from '../../src/config/env';
import { ensureConsoleBuilt } from '../browser/support/console-build';

/**
 * The console's initial JavaScript, what a browser must load before the first page shows:
 * index.html's module script and everything it imports statically (not the lazy pages'
 * chunks, loaded by import() when a page opens), gzipped, at most 500 KB.
 */
const LIMIT = 500 * 1024;

/** The entry's chunks and their static imports (Vite's output: `import … from"./x.js"`, `import"./x.js"`). */
export function initialChunks(indexHtml: string, read: (file: string) => string): string[] {
  const entries = [...indexHtml.matchAll(/<script[^>]+type="module"[^>]+src="\/admin\/assets\/([^"]+)"/g), ...indexHtml.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="\/admin\/assets\/([^"]+)"/g)]
    .map((m) => m[1]);
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of read(file).matchAll(/(?:\bfrom|\bimport)\s*["']\.\/([^"']+\.js)["']/g)) visit(m[1]);
  };
  entries.forEach(visit);
  return [...seen];
}

it('the initial JavaScript is at most 500 KB gzipped; pages are chunks of their own', async () => {
  await ensureConsoleBuilt();
  const assets = join(DEFAULT_CONSOLE_DIR, 'assets');
  const read = (file: string) => readFileSync(join(assets, file), 'utf8');
  const chunks = initialChunks(readFileSync(join(DEFAULT_CONSOLE_DIR, 'index.html'), 'utf8'), read);
  expect(chunks.length).toBeGreaterThan(0);
  const gzipped = chunks.reduce((sum, file) => sum + gzipSync(readFileSync(join(assets, file)), { level: 9 }).length, 0);
  process.stdout.write(`console initial JS: ${chunks.join(', ')}: ${(gzipped / 1024).toFixed(1)} KB gzipped\n`);
  expect(gzipped).toBeLessThanOrEqual(LIMIT);
  // React.lazy: the Members pages are not in it.
  expect(chunks.filter((c) => /^Member/.test(c))).toEqual([]);
}, 180_000);

it('(the walk follows static imports, not import())', () => {
  const files: Record<string, string> = {
    'index-a.js': 'import{r as x}from"./react-b.js";import"./side-c.js";const P=()=>import("./Page-d.js");',
    'react-b.js': 'export const r=1;', 'side-c.js': '', 'Page-d.js': 'import{r}from"./react-b.js";',
  };
  expect(initialChunks('<script type="module" crossorigin src="/admin/assets/index-a.js"></script>', (f) => files[f]).sort())
    .toEqual(['index-a.js', 'react-b.js', 'side-c.js']);
});
