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

test('a process that exits while the console builds takes the build with it', async () => {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'root', private: true, workspaces: ['admin'] }));
  mkdirSync(join(dir, 'admin'));
  const build = `node -e "require('fs').writeFileSync(process.argv[1], String(process.pid)); setInterval(() => {}, 1000)" ${JSON.stringify(pidFile)}`;
  writeFileSync(join(dir, 'admin', 'package.json'), JSON.stringify({ name: 'admin', private: true, scripts: { build } }));
  // The server's side: buildConsole started, then the process exits (as a stop signal makes it do) while the build runs.
  const driver = `
    const { existsSync } = require('node:fs');
    require(${JSON.stringify(join(ROOT, 'src', 'console-build'))}).buildConsole(${JSON.stringify(dir)}).catch(() => {});
    const t = setInterval(() => { if (existsSync(${JSON.stringify(pidFile)})) { clearInterval(t); process.exit(0); } }, 50);
  `;
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', driver], { cwd: ROOT, stdio: 'ignore' });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code).toBe(0);
  expect(existsSync(pidFile)).toBe(true);
  buildPid = Number(readFileSync(pidFile, 'utf8'));
  expect(Number.isInteger(buildPid) && buildPid > 0).toBe(true);
  await eventually(() => !alive(buildPid!), 'the build to be stopped with the process that started it', 10_000);
}, 60_000);
