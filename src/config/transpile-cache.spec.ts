import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { create as createService } from 'ts-node';

interface Transpiled { outputText: string; sourceMapText?: string; diagnostics?: readonly unknown[] }
interface Transpiler { transpile(code: string, options: { fileName: string }): Transpiled }
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { create } = require('./transpile-cache.cjs') as { create: (options: object) => Transpiler };

const ROOT = resolve(__dirname, '../..');
const FILES = ['src/config/env.ts', 'src/api/types/inputs.ts', 'src/modules/points/points.service.ts'].map((f) => join(ROOT, f));

describe('the transpile cache (src/config/transpile-cache.cjs, tsconfig.json "ts-node")', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'transpile-cache-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is what ts-node runs, and its output is what ts-node gives without it (decorator metadata included)', () => {
    const project = createService({ cwd: ROOT });
    expect(project.options.transpileOnly).toBe(true);
    expect(project.options.transpiler).toBe('./src/config/transpile-cache.cjs');
    // The same compiler options without a transpiler: ts-node's own transpile.
    const { compilerOptions } = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { compilerOptions: object };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions }));
    const plain = createService({ project: join(dir, 'tsconfig.json'), transpileOnly: true });
    expect(plain.options.transpiler).toBeUndefined();
    for (const file of FILES) {
      const code = readFileSync(file, 'utf8');
      const expected = plain.compile(code, file);
      expect(project.compile(code, file)).toBe(expected);
      expect(project.compile(code, file)).toBe(expected); // from the cache now
    }
    expect(plain.compile(readFileSync(FILES[1], 'utf8'), FILES[1])).toMatch(/__metadata\("design:type"/);
  });

  it('keeps one entry per content: read back from the cache, never stale when the file changes', () => {
    const service = createService({ cwd: ROOT });
    const transpiler = create({ service, nodeModuleEmitKind: 'nodecjs', cacheDir: dir });
    const fileName = join(ROOT, 'src', 'example.ts');
    const first = transpiler.transpile('export const answer: number = 41;\n', { fileName });
    expect(first.outputText).toContain('exports.answer = 41;');
    const entries = readdirSync(dir);
    expect(entries).toHaveLength(1);
    // What a second start reads is the entry (marked here to tell it from a new transpile).
    const entry = join(dir, entries[0]);
    writeFileSync(entry, JSON.stringify({ ...first, outputText: `${first.outputText}// from the cache\n` }));
    expect(transpiler.transpile('export const answer: number = 41;\n', { fileName }).outputText).toContain('// from the cache');
    // Another content of the same file is another entry.
    expect(transpiler.transpile('export const answer: number = 42;\n', { fileName }).outputText).toContain('exports.answer = 42;');
    expect(readdirSync(dir)).toHaveLength(2);
    // An entry that cannot be read is transpiled again.
    writeFileSync(entry, '{"outputText": "exports.answer = 4');
    expect(transpiler.transpile('export const answer: number = 41;\n', { fileName }).outputText).toContain('exports.answer = 41;');
  });

  it('leaves no part of an entry behind when it cannot keep one (a full disk, say)', () => {
    const service = createService({ cwd: ROOT });
    const transpiler = create({ service, nodeModuleEmitKind: 'nodecjs', cacheDir: dir });
    const fileName = join(ROOT, 'src', 'example.ts');
    transpiler.transpile('export const x = 1;\n', { fileName });
    const [entry] = readdirSync(dir);
    rmSync(join(dir, entry));
    // The entry's name taken by a folder that is not empty: the rename into place fails.
    mkdirSync(join(dir, entry, 'in-the-way'), { recursive: true });
    expect(transpiler.transpile('export const x = 1;\n', { fileName }).outputText).toContain('exports.x = 1;');
    expect(readdirSync(dir)).toEqual([entry]);
  });

  it('keeps nothing that has diagnostics (ts-node reports them and the start fails)', () => {
    const service = createService({ cwd: ROOT });
    const transpiler = create({ service, nodeModuleEmitKind: 'nodecjs', cacheDir: dir });
    const broken = transpiler.transpile('export const = ;\n', { fileName: join(ROOT, 'src', 'broken.ts') });
    expect(broken.diagnostics?.length).toBeGreaterThan(0);
    expect(readdirSync(dir)).toEqual([]);
  });
});
