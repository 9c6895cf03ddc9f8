import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const FILE = resolve(__dirname, '../docs/benchmarks.md');
const HEADER = '# Benchmarks\n\nRun on demand (`npm run bench -- <name>`), never by `npm test`. Figures are ratios against baselines measured in the same run: the machine is shared and noisy.\n\n';

/** Replaces (or appends) one `## title` section of docs/benchmarks.md. */
export function writeSection(title: string, section: string): void {
  const text = existsSync(FILE) ? readFileSync(FILE, 'utf8') : HEADER;
  const start = text.indexOf(`## ${title}\n`);
  if (start < 0) return writeFileSync(FILE, text.trimEnd() + '\n\n' + section);
  const next = text.indexOf('\n## ', start + 1);
  writeFileSync(FILE, text.slice(0, start) + (next < 0 ? section : section.trimEnd() + '\n\n' + text.slice(next + 1)));
}
