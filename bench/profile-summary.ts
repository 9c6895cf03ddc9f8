// Where a V8 CPU profile's time went (a .cpuprofile from `node --cpu-prof`), by category:
//   npx ts-node --transpile-only bench/profile-summary.ts <file.cpuprofile> [fromUs toUs]
// Each sample's time goes to the category of its own frame (by the script's package or path and
// the function's name). Frames that any library calls (graphql's visitor and type helpers, Node's
// core outside HTTP and sockets, V8 builtins) count for the nearest caller that has a category:
// the visitor under validation is validation, under the document checks it is ours.
import { readFileSync } from 'node:fs';

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; startTime: number; samples: number[]; timeDeltas: number[] }

/** The part of the profile to count, in microseconds of the monotonic clock (process.hrtime, which V8's profile timestamps share on Linux). */
export interface ProfileWindow { fromUs: number; toUs: number }

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  categories: { category: string; ms: number; share: number }[];
  functions: { name: string; category: string; ms: number; share: number }[];
}

/** Categories by npm package; a package not listed is "other libraries". */
const PACKAGES: Record<string, string> = {
  'type-graphql': 'type-graphql (incl. class-validator)', 'class-validator': 'type-graphql (incl. class-validator)',
  'class-transformer': 'type-graphql (incl. class-validator)', 'reflect-metadata': 'type-graphql (incl. class-validator)',
  jose: 'auth (jose, token cache)', dataloader: 'DataLoader',
  pino: 'pino', 'pino-std-serializers': 'pino', 'pino-http': 'pino', 'sonic-boom': 'pino', 'fast-redact': 'pino', 'quick-format-unescaped': 'pino',
  'safe-stable-stringify': 'pino', 'thread-stream': 'pino', 'on-exit-leak-free': 'pino', 'atomic-sleep': 'pino',
  'prom-client': 'metrics (prom-client)', tdigest: 'metrics (prom-client)', bintrees: 'metrics (prom-client)',
  knex: 'MikroORM / knex', tarn: 'MikroORM / knex',
  'ts-node': 'start-up (ts-node)', typescript: 'start-up (ts-node)', 'source-map-support': 'start-up (ts-node)',
};
const PG = /^(pg|pg-[a-z-]+|postgres-[a-z]+|pgpass)$/;
const EXPRESS = new Set(['express', 'router', 'body-parser', 'raw-body', 'iconv-lite', 'type-is', 'mime-types', 'mime-db', 'media-typer', 'content-type',
  'on-finished', 'finalhandler', 'parseurl', 'qs', 'bytes', 'depd', 'http-errors', 'statuses', 'vary', 'negotiator', 'accepts', 'encodeurl',
  'escape-html', 'fresh', 'etag', 'path-to-regexp', 'merge-descriptors', 'setprototypeof', 'unpipe', 'ee-first', 'side-channel', 'call-bound',
  'get-intrinsic', 'cookie', 'send', 'serve-static', 'range-parser', 'proxy-addr', 'forwarded', 'ipaddr.js', 'content-disposition', 'debug', 'ms']);

/** A frame's own category, or null: counted for its caller. */
function categoryOf({ functionName, url }: CallFrame): string | null {
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(idle)') return '(idle)';
  if (functionName === '(program)') return 'V8 and native code outside JS ("(program)")';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length);
    const parts = rest.split('/');
    const pkg = parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
    const path = parts.slice(pkg.includes('/') ? 2 : 1).join('/');
    if (pkg === 'graphql') {
      if (/^language\/(lexer|parser|source|blockString|characterClasses|tokenKind)/.test(path)) return 'graphql parse';
      if (path.startsWith('validation/')) return 'graphql validate';
      if (path.startsWith('execution/')) return 'graphql execute';
      return null; // visitor, printer, type helpers, jsutils: whoever called them
    }
    if (pkg.startsWith('@apollo/') || pkg.startsWith('@as-integrations/')) return 'Apollo Server';
    if (pkg.startsWith('@mikro-orm/')) return 'MikroORM / knex';
    if (PG.test(pkg)) return 'pg driver';
    if (EXPRESS.has(pkg)) return 'Express (routing, JSON body)';
    if (pkg === 'graphql-scalars') return null;
    return PACKAGES[pkg] ?? `other libraries`;
  }
  const src = /\/src\/(.*)$/.exec(url)?.[1];
  if (src !== undefined) {
    if (/^api\/(auth|http-auth)\.ts/.test(src)) return 'auth (jose, token cache)';
    if (/^api\/(document-checks|admission|plugins\/limits)\.ts/.test(src)) return 'our document checks and admission';
    if (/^db\/statement-count/.test(src)) return 'our code (context, resolvers, services, loaders)';
    if (/^ops\//.test(src)) return 'our logging and metrics (src/ops)';
    return 'our code (context, resolvers, services, loaders)';
  }
  if (/^node:(_http|http|net|_stream|stream|internal\/(http|net|stream|streams\/|js_stream|dns))/.test(url)) return 'Node HTTP and sockets';
  if (url === '' && (functionName === 'stringify' || functionName === 'parse')) return 'JSON (parse, stringify)';
  return null; // Node's core elsewhere, V8 builtins: whoever called them
}

/** `window`: only the samples taken in it (the load, without start-up and warm-up); the whole profile without. */
export function summarizeProfile(file: string, window?: ProfileWindow): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const resolved = new Map<number, string>();
  const categoryAt = (id: number): string => {
    const known = resolved.get(id);
    if (known) return known;
    const own = categoryOf(byId.get(id)!.callFrame);
    const up = parent.get(id);
    const category = own ?? (up === undefined ? 'Node core and V8 builtins (event loop, timers, microtasks)' : categoryAt(up));
    resolved.set(id, category);
    return category;
  };
  // A sample's time: until the next sample (the last one: the mean interval).
  const selfUs = new Map<number, number>();
  const { samples, timeDeltas } = profile;
  const mean = timeDeltas.reduce((a, b) => a + b, 0) / Math.max(1, timeDeltas.length);
  let at = profile.startTime;
  samples.forEach((id, i) => {
    at += timeDeltas[i];
    if (window && (at < window.fromUs || at > window.toUs)) return;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, timeDeltas[i + 1] ?? mean));
  });
  const categories = new Map<string, number>();
  const functions = new Map<string, { category: string; us: number }>();
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const category = categoryAt(id);
    if (category === '(idle)') { idleUs += us; continue; }
    categories.set(category, (categories.get(category) ?? 0) + us);
    const f = byId.get(id)!.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/node_modules\//, '').replace(/^.*\/src\//, 'src/').replace(/^file:\/\//, '')}:${f.lineNumber + 1}`;
    const entry = functions.get(name) ?? { category, us: 0 };
    entry.us += us;
    functions.set(name, entry);
  }
  const busyUs = [...categories.values()].reduce((a, b) => a + b, 0);
  return {
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    categories: [...categories].map(([category, us]) => ({ category, ms: us / 1000, share: us / busyUs })).sort((a, b) => b.ms - a.ms),
    functions: [...functions].map(([name, f]) => ({ name, category: f.category, ms: f.us / 1000, share: f.us / busyUs })).sort((a, b) => b.ms - a.ms).slice(0, Number(process.env.PROFILE_TOP ?? 30)),
  };
}

if (require.main === module) {
  const [file, from, to] = process.argv.slice(2);
  if (!file) {
    console.log('usage: npx ts-node --transpile-only bench/profile-summary.ts <file.cpuprofile> [fromUs toUs]');
    process.exit(1);
  }
  const s = summarizeProfile(file, from && to ? { fromUs: Number(from), toUs: Number(to) } : undefined);
  console.log(`${(s.busyMs / 1000).toFixed(2)} s of CPU sampled (${(s.idleMs / 1000).toFixed(2)} s idle left out)\n`);
  for (const c of s.categories) console.log(`${(c.share * 100).toFixed(1).padStart(5)}%  ${c.ms.toFixed(0).padStart(7)} ms  ${c.category}`);
  console.log('\nheaviest functions by self time:');
  for (const f of s.functions) console.log(`${(f.share * 100).toFixed(1).padStart(5)}%  ${f.name}  [${f.category}]`);
}
