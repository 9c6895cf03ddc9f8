import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { buildConsole } from '../../../src/console-build';
import { DEFAULT_CONSOLE_DIR, projectRoot } from '../../../src/config/env';

const ROOT = projectRoot();
const ADMIN = join(ROOT, 'admin');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Whether admin/dist is older than a file it is built from (src/, index.html, the Vite config, the package, and the server's src/common it shares). */
export function consoleBuildIsStale(): boolean {
  const index = join(DEFAULT_CONSOLE_DIR, 'index.html');
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  const sources = [newestSource(join(ADMIN, 'src')), newestSource(join(ROOT, 'src', 'common')), ...['index.html', 'vite.config.mjs', 'package.json'].map((f) => statSync(join(ADMIN, f)).mtimeMs)];
  return Math.max(...sources) > built;
}

/**
 * The browser tests test the console as built: build it when admin/dist is missing or older
 * than its sources (a developer who changed a page runs the tests without a build step). One
 * build at a time across Jest's workers (a lock folder).
 */
export async function ensureConsoleBuilt(): Promise<void> {
  if (!consoleBuildIsStale()) return;
  const lock = join(tmpdir(), `loyalty-console-build-${createHash('sha1').update(ROOT).digest('hex').slice(0, 10)}.lock`);
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than the deadline is one a killed run left behind.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 180_000) rmdirSync(lock);
      if (Date.now() > deadline) throw new Error(`the console build lock ${lock} is held for too long`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    if (consoleBuildIsStale()) await buildConsole(ROOT);
  } finally {
    rmdirSync(lock);
  }
}
