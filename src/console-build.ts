import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { DEFAULT_CONSOLE_DIR, projectRoot } from './config/env';

/**
 * The operator's console is built at install (`prepare`: `npm run build:admin`). A clone where
 * that did not run (`npm install --ignore-scripts`, a copied node_modules) builds it on its
 * first start instead, in the background: /admin answers 503 "being built" until it is there.
 * Only the project's own admin/dist is built; a CONSOLE_DIR elsewhere is the operator's.
 */
export function consoleIsBuilt(dir: string): boolean {
  return existsSync(join(dir, 'index.html'));
}

const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Builds admin/ into admin/dist (`npm run build -w admin`, Vite); resolves when done, rejects with the build's last words. */
export function buildConsole(root: string = projectRoot()): Promise<void> {
  return new Promise((resolve, reject) => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    // NODE_ENV=production whatever this process has (Jest sets "test"): otherwise Vite bundles React's development build.
    // Its own process group (not on Windows), so that a server stopped while it builds stops the
    // whole build (npm, its shell, Vite) with it instead of leaving Vite to finish alone.
    const ownGroup = process.platform !== 'win32';
    const child = spawn(npm, ['run', 'build', '--workspace', 'admin'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' }, detached: ownGroup });
    const stop = () => stopBuild(child, ownGroup);
    process.on('exit', stop);
    // A stop signal that comes before the server has its own handlers ends the process by its
    // default action, with no 'exit' event: these stop the build, then let the signal do what it
    // would have done (its default when no one else listens to it).
    const onSignal = (signal: NodeJS.Signals) => {
      stop();
      forget();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    const forget = () => {
      process.off('exit', stop);
      for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
    };
    for (const signal of STOP_SIGNALS) process.once(signal, onSignal);
    let output = '';
    const keep = (d: Buffer) => {
      output = (output + d.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err) => {
      forget();
      reject(err);
    });
    child.on('exit', (code) => {
      forget();
      if (code === 0) resolve();
      else reject(new Error(`the console's build failed (exit ${code}): ${output.trim().split('\n').slice(-5).join(' | ')}`));
    });
  });
}

/** Stops a build still running (its whole process group where it has one); a build already ended is left alone. */
function stopBuild(child: ChildProcess, ownGroup: boolean): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    if (ownGroup) process.kill(-child.pid, 'SIGTERM');
    else child.kill('SIGTERM');
  } catch {
    // Gone between the check and the kill: nothing to stop.
  }
}

/** At start-up: builds the console if it is the project's own and missing. Never fails the start; says what happened. */
export async function buildConsoleIfMissing(dir: string, log: Logger): Promise<'present' | 'built' | 'failed' | 'elsewhere'> {
  if (consoleIsBuilt(dir)) return 'present';
  if (dir !== DEFAULT_CONSOLE_DIR || !existsSync(join(projectRoot(), 'admin', 'package.json'))) {
    log.warn({ dir }, 'the console is not built in CONSOLE_DIR: /admin answers 503 until it is');
    return 'elsewhere';
  }
  log.info('building the console (admin/dist is missing: `npm install` builds it; this start does it now)…');
  const started = Date.now();
  try {
    await buildConsole();
    log.info({ ms: Date.now() - started }, 'console built: /admin');
    return 'built';
  } catch (err) {
    log.error({ err }, 'the console could not be built: /admin answers 503; run `npm run build:admin` to see why');
    return 'failed';
  }
}
