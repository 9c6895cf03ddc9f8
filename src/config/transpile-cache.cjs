// ts-node's transpiler for every `node -r ts-node/register/transpile-only` start (npm start, the
// CLI commands, cluster workers, the tests' server processes): TypeScript's own transpile, as
// ts-node does it without a transpiler, kept on disk so that a file is transpiled once per
// content. Transpiling the server's ~300 files took 4–5 s of CPU at every start (5.0 s to a
// failed start's exit against 1.0 s from a cache); a start from the cache reads them instead.
//
// ts-node's transpiler plugin interface (its `transpiler` option, set in tsconfig.json's
// "ts-node"): `create()` returns `{ transpile(code, { fileName }) }`. The cache key is the
// source, its path, the compiler options, the module kind, the versions of TypeScript and
// ts-node and this file's own text: any change to one is a new entry, never a stale one.
// Entries are written to a temporary file and renamed into place, so that processes starting
// together never read half of one; an entry that cannot be read or written is transpiled again
// (the cache is only ever a shortcut). The folder: node_modules/.cache/loyalty-transpile (safe to delete), or the
// transpiler option `cacheDir`.
'use strict';
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { threadId } = require('node:worker_threads');

const CACHE_DIR = join(__dirname, '..', '..', 'node_modules', '.cache', 'loyalty-transpile');

exports.create = function create({ service, nodeModuleEmitKind, cacheDir = CACHE_DIR }) {
  const ts = service.projectLocalResolveHelper('typescript', true);
  const typescript = require(ts);
  // ts-node's own transpile (what it runs without a transpiler; not in its package's exports, so by path).
  const { createTsTranspileModule } = require(join(dirname(require.resolve('ts-node')), 'ts-transpile-module.js'));
  const compilerOptions = service.config.options;
  const transpileModule = createTsTranspileModule(typescript, { compilerOptions, reportDiagnostics: true });
  const moduleType = nodeModuleEmitKind === 'nodeesm' ? 'module' : 'commonjs';
  // This file's own text too: an edit to how entries are made is a new cache, never old entries.
  const salt = JSON.stringify([readFileSync(__filename, 'utf8'), typescript.version, require('ts-node/package.json').version, moduleType, compilerOptions]);
  return {
    transpile(code, { fileName }) {
      const key = createHash('sha256').update(salt).update('\0').update(fileName).update('\0').update(code).digest('hex');
      const entry = join(cacheDir, `${key}.json`);
      try {
        return JSON.parse(readFileSync(entry, 'utf8'));
      } catch {
        // Not cached yet (or unreadable): transpile it.
      }
      const result = transpileModule(code, { fileName }, moduleType);
      // Diagnostics are reported by ts-node (and fail the start): only a clean result is kept.
      if (!result.diagnostics?.length) {
        // Its own name per process and thread (the churn model's workers run in threads of one process).
        const temporary = `${entry}.${process.pid}.${threadId}.tmp`;
        try {
          mkdirSync(cacheDir, { recursive: true });
          writeFileSync(temporary, JSON.stringify({ outputText: result.outputText, sourceMapText: result.sourceMapText }));
          renameSync(temporary, entry);
        } catch {
          // A read-only node_modules or a full disk, say: the start goes on without the cache, and
          // leaves no part of an entry behind.
          try { unlinkSync(temporary); } catch { /* never written */ }
        }
      }
      return result;
    },
  };
};
