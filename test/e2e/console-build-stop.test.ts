import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, ROOT } from '../support/server-process';
import { eventually } from '../support/wait';

// A start that builds the console (admin/dist missing) and is stopped before the build ends
// stops the build with it: npm, its shell and the build's own process (Vite in the project;
// here a stand-in that writes its pid and runs until it is killed).
const dir = mkdtempSync(join(tmpdir(), 'loyalty-console-build-'));
const pidFile = join(dir, 'build.pid');
let buildPid: number | undefined;


afterAll(() => {
  if (buildPid !== undefined && alive(buildPid)) process.kill(buildPid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'root', private: true, workspaces: ['admin'] }));
mkdirSync(join(dir, 'admin'));
const build = `node -e "require('fs').writeFileSync(process.argv[1], String(process.pid)); setInterval(() => {}, 1000)" ${JSON.stringify(pidFile)}`;
writeFileSync(join(dir, 'admin', 'package.json'), JSON.stringify({ name: 'admin', private: true, scripts: { build } }));

/** The server's side: buildConsole started, then, once the build runs, `end` (as a stop makes the server do). */
async function buildThenEnd(end: string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  rmSync(pidFile, { force: true });
  const driver = `
    const { existsSync } = require('node:fs');
    require(${JSON.stringify(join(ROOT, 'src', 'console-build'))}).buildConsole(${JSON.stringify(dir)}).catch(() => {});
    const t = setInterval(() => { if (existsSync(${JSON.stringify(pidFile)})) { clearInterval(t); ${end}; } }, 50);
  `;
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', driver], { cwd: ROOT, stdio: 'ignore' });
  const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  expect(existsSync(pidFile)).toBe(true);
  buildPid = Number(readFileSync(pidFile, 'utf8'));
  expect(Number.isInteger(buildPid) && buildPid > 0).toBe(true);
  await eventually(() => !alive(buildPid!), 'the build to be stopped with the process that started it', 10_000);
  return ended;
}

test('a process that exits while the console builds takes the build with it', async () => {
  expect(await buildThenEnd('process.exit(0)')).toEqual({ code: 0, signal: null });
}, 60_000);

test('so does a stop signal that comes before the server has handlers of its own; the signal still ends the process', async () => {
  expect(await buildThenEnd("process.kill(process.pid, 'SIGTERM')")).toEqual({ code: null, signal: 'SIGTERM' });
}, 60_000);
