import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ROOT } from '../support/server-process';

/**
 * `npm run bench -- <name>` reads its sizes from BENCH_* (README, "Tests and benchmarks"): a value
 * that is no whole number is refused in one line before anything starts (BENCH_MEMBERS=abc went
 * as far as seeding, and failed there with PostgreSQL's "invalid input syntax for type integer"
 * and a stack).
 */
const bench = (name: string, env: Record<string, string>) => promisify(execFile)(process.execPath, ['-r', 'ts-node/register/transpile-only', 'bench/run.ts', name], {
  cwd: ROOT, env: { ...process.env, DATABASE_URL: '', ...env },
}).then(() => ({ code: 0, stdout: '', stderr: '' }), (err: { code: number; stdout: string; stderr: string }) => err);

it('a BENCH_* size that is no whole number: one line, exit 2, nothing started', async () => {
  for (const [name, variable, value] of [['search', 'BENCH_MEMBERS', 'abc'], ['points', 'BENCH_SECONDS', '2.5'], ['imports', 'BENCH_PURCHASES', '-1'], ['webhooks', 'BENCH_PURCHASES', '1e3']]) {
    const run = await bench(name, { [variable]: value });
    expect({ name, code: run.code, stderr: run.stderr }).toEqual({ name, code: 2, stderr: `npm run bench: ${variable} must be a whole number (0 or more), got "${value}"\n` });
    expect(run.stdout).toBe('');
  }
}, 120_000);
