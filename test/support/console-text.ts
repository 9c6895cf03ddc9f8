// Helpers for the tests of the console's translations of what the server writes (ledger and tier
// reasons, import messages): a message table filled as the console fills it, CJK text, and the
// server's source to look its sentences up in.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MessageKey } from '../../admin/src/i18n/en';
import { ROOT } from './server-process';

/** The console's translate function over one language's table (`{name}` filled from vars). */
export const fill = (table: Record<MessageKey, string>) => (key: MessageKey, vars: Record<string, string | number> = {}) =>
  table[key].replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));

/** Han characters: a text shown in Chinese holds some. */
export const CJK = /[\u3400-\u9fff]/;

function sources(dir: string): string {
  return readdirSync(dir, { withFileTypes: true }).map((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? sources(path) : e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? readFileSync(path, 'utf8') : '';
  }).join('\n');
}

/** The server's source (src/), without its tests. */
export const SERVER = sources(join(ROOT, 'src'));
