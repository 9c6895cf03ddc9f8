import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');

/** `src/main.ts` as `npm start` runs it, in a process of its own, with what it prints collected. */
export interface ServerProcess { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> }

/** Starts src/main.ts with exactly `env` (the caller builds it from process.env); `nodeArgs` go before the script. */
export function spawnMain(env: NodeJS.ProcessEnv, opts: { cwd?: string; nodeArgs?: string[] } = {}): ServerProcess {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'], env,
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, out: () => out, err: () => err, exited };
}

/** Whether a process of this pid is running (signal 0: nothing is sent). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
