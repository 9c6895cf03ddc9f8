import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The development signing secret: kept in the data folder (DATA_DIR/jwt-secret, mode 600),
 * created by the first `npm start` without JWT_SECRET and read by every later start and by
 * `npm run token`, so that tokens survive a restart and the CLI's tokens work against the
 * running server. Never printed. Development only: production requires JWT_SECRET.
 */
export function devSecretPath(dataDir: string): string {
  return resolve(dataDir, 'jwt-secret');
}

/**
 * DATA_DIR, when it exists, must be a folder: a file there failed the start with the system's
 * words alone ("EEXIST: file already exists, mkdir '/srv/loyalty-data'"), naming no setting.
 */
export function assertDataDir(dataDir: string): void {
  const path = resolve(dataDir);
  if (existsSync(path) && !statSync(path).isDirectory()) {
    throw new Error(`DATA_DIR ${path} is a file, not a folder: set DATA_DIR to a folder (it is created if missing)`);
  }
}

/**
 * DATA_DIR checked (assertDataDir) and created if missing, a folder at a time: Node 20's
 * `mkdirSync(path, { recursive: true })` never returns for a path under a pseudo-filesystem that
 * refuses new folders (DATA_DIR=/proc/x spun at full CPU, silent, deaf to SIGTERM); one level at
 * a time, the refusal is an error, reported in one line naming DATA_DIR.
 */
export function makeDataDir(dataDir: string): void {
  assertDataDir(dataDir);
  const missing: string[] = [];
  for (let p = resolve(dataDir); !existsSync(p); p = dirname(p)) {
    missing.unshift(p);
    if (dirname(p) === p) break;
  }
  for (const folder of missing) {
    try {
      mkdirSync(folder);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue; // another start made it meanwhile
      throw new Error(`DATA_DIR ${resolve(dataDir)} cannot be created (${(err as NodeJS.ErrnoException).code ?? (err as Error).message} at ${folder}): set DATA_DIR to a folder the server may create`, { cause: err });
    }
  }
}

/** The stored secret, or null when there is none (no development start yet). */
export function readDevSecret(dataDir: string): string | null {
  const path = devSecretPath(dataDir);
  if (!existsSync(path)) return null;
  const secret = readFileSync(path, 'utf8').trim();
  if (secret.length < 32) throw new Error(`${path} does not hold a development secret (delete it to make a new one)`);
  return secret;
}

/**
 * The stored secret, created first if there is none. Written to a private temporary file and
 * linked into place, so that two starts at once agree on one secret and a reader never sees
 * a half-written file.
 */
export function loadOrCreateDevSecret(dataDir: string): { secret: string; path: string; created: boolean } {
  assertDataDir(dataDir);
  const path = devSecretPath(dataDir);
  const existing = readDevSecret(dataDir);
  if (existing) return { secret: existing, path, created: false };
  makeDataDir(dataDir);
  const temp = join(resolve(dataDir), `.jwt-secret-${process.pid}-${randomBytes(4).toString('hex')}`);
  writeFileSync(temp, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
  let created = true;
  try {
    linkSync(temp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    created = false; // another start got there first: use its secret
  } finally {
    unlinkSync(temp);
  }
  return { secret: readDevSecret(dataDir)!, path, created };
}
