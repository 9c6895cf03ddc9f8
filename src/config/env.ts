import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** Environment parsing in one place (runtime.md, "Environment"). */
export interface AppConfig {
  port: number;
  databaseUrl: string | null;
  /** WORKERS: server processes on the one port (src/cluster.ts); 1 runs no cluster at all. */
  workers: number;
  /** DB_POOL_MAX: the database pool of each server process (each also holds the outbox's LISTEN connection and the webhook worker's). */
  dbPoolMax: number;
  jwtSecret: string | null;
  jwtJwksUrl: string | null;
  /** JWT_ISSUER / JWT_AUDIENCE: when set, tokens must carry this `iss` / `aud` (and minted ones do). */
  jwtIssuer: string | null;
  jwtAudience: string | null;
  /** METRICS_TOKEN: when set, `/metrics` requires `Authorization: Bearer <it>`. */
  metricsToken: string | null;
  /** CORS_ORIGINS: the web origins whose pages may call /graphql and download a member's export (`*`: any); null: none but the server's own. */
  corsOrigins: string[] | '*' | null;
  /** WebSocket caps (docs/decisions.md, "Transport and tokens"). */
  wsMaxSocketsPerSubject: number;
  wsMaxSubscriptionsPerSocket: number;
  production: boolean;
  seed: 'demo' | 'none' | null; // null: demo on an empty embedded database, none otherwise
  scheduler: boolean;
  /** TIER_EVENTS=off: no outbox rows, no NOTIFY, no dispatcher (nothing is pushed). */
  tierEvents: boolean;
  logLevel: string;
  dataDir: string;
  maxQueryCost: number;
  maxQueryDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxQueryTokens: number;
  maxQueryLength: number;
  /** Share of the event loop for checking documents the server has not seen (1: no budget). */
  documentCheckShare: number;
  maxConcurrentRequests: number;
  maxWaitingRequests: number;
  bodyLimit: string;
  /** A streamed export whose reader takes nothing for this long is cut off (ms). */
  exportStallMs: number;
  /**
   * KEEP_ALIVE_TIMEOUT_MS: how long an idle keep-alive connection is kept open (Node's own
   * default is 5 s). A load balancer that keeps its connections to the server idle for longer
   * (60 s is common) sent requests on connections the server had just closed: a 502 now and then.
   * Default 65 s; at least 1 ms (Node takes 0 as "never close an idle connection").
   */
  keepAliveTimeoutMs: number;
  /** Bulk imports one process runs at once; the next upload waits its turn, its body unread. */
  importConcurrency: number;
  /** How long an upload waits for a turn before it is refused (503 with Retry-After), ms. */
  importWaitMs: number;
  /** CONSOLE_DIR: the operator's console as built (served at /admin); default admin/dist in the project. */
  consoleDir: string;
  /** Webhook delivery (README, "Webhooks"). */
  webhooks: WebhookSettings;
}

/** WEBHOOK_*: how this instance delivers webhooks. */
export interface WebhookSettings {
  /** WEBHOOK_TIMEOUT_MS: an attempt's time limit, from the address look-up to the answer's status. */
  timeoutMs: number;
  /** WEBHOOK_BACKOFF_MS: the first retry's delay; doubled per attempt (with jitter), capped at an hour. */
  backoffMs: number;
  /** WEBHOOK_MAX_ATTEMPTS: then the delivery is DEAD. */
  maxAttempts: number;
  /** WEBHOOK_ALLOW_INSECURE: http:// and loopback/private/link-local addresses; off in production unless `1`, on otherwise. */
  allowInsecure: boolean;
  /** WEBHOOK_CONCURRENCY: attempts in flight at once to one endpoint, per instance. */
  concurrency: number;
  /**
   * WEBHOOK_BUSY_RATE: attempts a second this instance makes at most while the API needs the CPU
   * (docs/decisions.md, "Webhook delivery"); 0: never held back. Left out: 20.
   */
  busyRate?: number;
  /**
   * Held back no further once an event has waited this long for its deliveries (60 s when left
   * out). Not read from the environment: a test shortens it.
   */
  heldAtMostMs?: number;
  /**
   * Whether the API needs the CPU now (the worker then holds back to busyRate). Not read from
   * the environment: tests say it; left out, the CPU's idle time and the database's foreground
   * work decide (webhook-delivery.worker.ts).
   */
  busy?: () => boolean | Promise<boolean>;
  /**
   * How long past its time limit a claimed attempt stays this instance's (5 s when left out):
   * then another instance may claim and send it again (at least once). Not read from the
   * environment: a test that asserts exactly once lengthens it, so that a machine stalled for
   * seconds cannot end a lease under an attempt still being recorded.
   */
  leaseMarginMs?: number;
}

/** The project's folder: the nearest one above this file with a package.json (src/config or dist/src/config alike). */
export function projectRoot(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

/** Where the console's build goes by default (admin/ is an npm workspace of the project: `npm run build:admin`). */
export const DEFAULT_CONSOLE_DIR = join(projectRoot(), 'admin', 'dist');

/**
 * A positive whole number written in decimal digits: `0x10`, `1e2` or `20000000000000000000`
 * (past 2^53, read back as another number) are refused, not read as 16, 100 or 2e19.
 */
function intOr(value: string | undefined, fallback: number, name: string): number {
  if (value == null || value === '') return fallback;
  const n = wholeNumber(value);
  if (n == null || n <= 0) throw new Error(`${name} must be a positive integer, got "${value}"`);
  return n;
}

/** A whole number that may be 0; unset or empty, `fallback`. */
function countOr(value: string | undefined, fallback: number, name: string): number {
  if (value == null || value === '') return fallback;
  const n = wholeNumber(value);
  if (n == null) throw new Error(`${name} must be a whole number (0 or more), got "${value}"`);
  return n;
}

/** Decimal digits (white space around them allowed) as a safe integer; null for anything else. */
function wholeNumber(value: string): number | null {
  const n = Number(value);
  return /^\s*\d+\s*$/.test(value) && Number.isSafeInteger(n) ? n : null;
}

/** setTimeout's longest delay: a longer one fires after 1 ms (Node's TimeoutOverflowWarning). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A duration in milliseconds that a timer waits (WEBHOOK_TIMEOUT_MS, IMPORT_WAIT_MS…): at most
 * MAX_TIMER_MS (about 24.8 days). WEBHOOK_TIMEOUT_MS=99999999999 timed every attempt out at
 * once ("timed out after 99999999999 ms", the receiver never reached), as IMPORT_WAIT_MS and
 * EXPORT_STALL_MS past it would refuse every waiting upload and cut every export at once.
 */
function msOr(value: string | undefined, fallback: number, name: string): number {
  const n = intOr(value, fallback, name);
  if (n > MAX_TIMER_MS) throw new Error(`${name} must be at most ${MAX_TIMER_MS} ms (about 24.8 days), got "${value}"`);
  return n;
}

/**
 * DB_POOL_MAX: at least 2. The nightly points expiry reads its due members from a cursor in one
 * transaction while it writes on another connection (points.service.ts); with one connection it
 * waited for a second that never came, a minute each day (Knex's timeout, "scheduled job
 * failed"), every request waiting with it, and points never expired.
 */
function poolMaxOr(value: string | undefined): number {
  const n = intOr(value, 20, 'DB_POOL_MAX');
  if (n < 2) throw new Error('DB_POOL_MAX must be at least 2 (the nightly points expiry reads on one connection while it writes on another)');
  return n;
}

function shareOr(value: string | undefined, fallback: number, name: string): number {
  if (value == null || value === '') return fallback;
  const n = Number(value);
  if (!(n > 0 && n <= 1)) throw new Error(`${name} must be a number in (0, 1]`);
  return n;
}

/** PORT: unset or empty 4000; 0 asks the system for a free port; else a TCP port (1 to 65535). */
function portOr(value: string | undefined): number {
  if (value == null || value === '') return 4000;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n > 65_535) throw new Error(`PORT must be a TCP port number from 1 to 65535 (or 0: any free port), got "${value}"`);
  return n;
}

/** An on/off switch (SCHEDULER, TIER_EVENTS): unset or empty is the default; `on` or `off` in any case; anything else is refused, not read as `on`. */
function switchOr(value: string | undefined, fallback: boolean, name: string): boolean {
  if (value == null || value.trim() === '') return fallback;
  const v = value.trim().toLowerCase();
  if (v === 'on') return true;
  if (v === 'off') return false;
  throw new Error(`${name} must be "on" or "off", got "${value}"`);
}

/** BODY_LIMIT: a size as body-parser reads it (a number of bytes, or with b, kb, mb, gb; 100kb, 1.5mb). */
function sizeOr(value: string | undefined, fallback: string, name: string, minBytes: number): string {
  if (value == null || value.trim() === '') return fallback;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(value);
  if (!m) throw new Error(`${name} must be a size such as 100kb or 1mb, got "${value}"`);
  // BODY_LIMIT=0 started, and answered every request 413 "Request body too large".
  const bytes = Number(m[1]) * 1024 ** ['b', 'kb', 'mb', 'gb'].indexOf((m[2] ?? 'b').toLowerCase());
  if (bytes < minBytes) throw new Error(`${name} must be at least ${minBytes / 1024}kb (smaller refuses every request as too large), got "${value}"`);
  return value.trim();
}

/** BODY_LIMIT's least: a GraphQL request with its variables needs more than a few bytes. */
export const MIN_BODY_LIMIT_BYTES = 1024;

/** pino's levels, and `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function logLevelOr(value: string | undefined): string {
  if (value == null || value === '') return 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(value)) throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${value}"`);
  return value;
}

/** WORKERS: unset or empty 1, `auto` one per CPU the process may use, else a count in decimal digits, as intOr reads one. */
function workersOr(value: string | undefined): number {
  if (value == null || value === '') return 1;
  if (value === 'auto') return availableParallelism();
  const n = wholeNumber(value);
  if (n == null || n <= 0) throw new Error(`WORKERS must be a positive integer or "auto", got "${value}"`);
  return n;
}

function webhookSettings(env: NodeJS.ProcessEnv, production: boolean): WebhookSettings {
  const insecure = env.WEBHOOK_ALLOW_INSECURE;
  if (insecure != null && insecure !== '' && insecure !== '0' && insecure !== '1') throw new Error(`WEBHOOK_ALLOW_INSECURE must be 1 or 0, got "${insecure}"`);
  return {
    timeoutMs: msOr(env.WEBHOOK_TIMEOUT_MS, 10_000, 'WEBHOOK_TIMEOUT_MS'),
    backoffMs: msOr(env.WEBHOOK_BACKOFF_MS, 10_000, 'WEBHOOK_BACKOFF_MS'),
    maxAttempts: intOr(env.WEBHOOK_MAX_ATTEMPTS, 15, 'WEBHOOK_MAX_ATTEMPTS'),
    allowInsecure: insecure === '1' || (!production && insecure !== '0'),
    concurrency: intOr(env.WEBHOOK_CONCURRENCY, 8, 'WEBHOOK_CONCURRENCY'),
    busyRate: countOr(env.WEBHOOK_BUSY_RATE, 20, 'WEBHOOK_BUSY_RATE'),
  };
}

/**
 * CORS_ORIGINS: `*`, or origins separated by commas, each as a browser sends it in `Origin`
 * (`https://app.example.com`, a port if not the scheme's: no path, no trailing slash), which
 * is compared letter for letter; unset or empty: none.
 */
function corsOriginsOr(value: string | undefined): string[] | '*' | null {
  const text = value?.trim();
  if (!text) return null;
  if (text === '*') return '*';
  const origins = text.split(',').map((o) => o.trim()).filter(Boolean);
  for (const origin of origins) {
    const url = URL.canParse(origin) ? new URL(origin) : null;
    if (!url || !/^https?:$/.test(url.protocol) || url.origin !== origin) {
      throw new Error(`CORS_ORIGINS must be * or origins such as https://app.example.com separated by commas (scheme, host and a port if any; no path or trailing slash), got "${origin}"`);
    }
  }
  return origins;
}

/**
 * Whether NODE_ENV says production; a value other than production, development or test (or
 * unset) is refused, by the server and the CLI tools alike. A mistyped value (prod, Production)
 * ran development mode: a generated secret, an admin token in the log, webhooks to private
 * addresses. Only the three values Node's tools know are taken.
 */
export function nodeEnvIsProduction(env: NodeJS.ProcessEnv = process.env): boolean {
  const nodeEnv = env.NODE_ENV;
  if (nodeEnv != null && nodeEnv !== '' && nodeEnv !== 'production' && nodeEnv !== 'development' && nodeEnv !== 'test') {
    throw new Error(`NODE_ENV must be production, development or test (or unset), got "${nodeEnv}"`);
  }
  return nodeEnv === 'production';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const seed = env.SEED;
  if (seed != null && seed !== '' && seed !== 'demo' && seed !== 'none') {
    throw new Error(`SEED must be "demo" or "none", got "${seed}"`);
  }
  const production = nodeEnvIsProduction(env);
  const jwtSecret = env.JWT_SECRET || null;
  const jwtJwksUrl = env.JWT_JWKS_URL || null;
  // Said here, by name: a URL that is not one failed the start with "Invalid URL" alone.
  if (jwtJwksUrl && !/^https?:$/.test(URL.canParse(jwtJwksUrl) ? new URL(jwtJwksUrl).protocol : '')) {
    throw new Error(`JWT_JWKS_URL must be an http:// or https:// URL, got "${jwtJwksUrl}"`);
  }
  if (production && !jwtSecret && !jwtJwksUrl) {
    throw new Error('JWT_SECRET (or JWT_JWKS_URL) is required when NODE_ENV=production');
  }
  return {
    port: portOr(env.PORT),
    databaseUrl: env.DATABASE_URL || null,
    workers: workersOr(env.WORKERS),
    dbPoolMax: poolMaxOr(env.DB_POOL_MAX),
    jwtSecret,
    jwtJwksUrl,
    jwtIssuer: env.JWT_ISSUER || null,
    jwtAudience: env.JWT_AUDIENCE || null,
    metricsToken: env.METRICS_TOKEN || null,
    corsOrigins: corsOriginsOr(env.CORS_ORIGINS),
    wsMaxSocketsPerSubject: intOr(env.WS_MAX_SOCKETS_PER_SUBJECT, 16, 'WS_MAX_SOCKETS_PER_SUBJECT'),
    wsMaxSubscriptionsPerSocket: intOr(env.WS_MAX_SUBSCRIPTIONS_PER_SOCKET, 32, 'WS_MAX_SUBSCRIPTIONS_PER_SOCKET'),
    production,
    seed: seed === 'demo' || seed === 'none' ? seed : null,
    scheduler: switchOr(env.SCHEDULER, true, 'SCHEDULER'),
    tierEvents: switchOr(env.TIER_EVENTS, true, 'TIER_EVENTS'),
    logLevel: logLevelOr(env.LOG_LEVEL),
    dataDir: env.DATA_DIR || '.data',
    maxQueryCost: intOr(env.MAX_QUERY_COST, 5000, 'MAX_QUERY_COST'),
    maxQueryDepth: intOr(env.MAX_QUERY_DEPTH, 10, 'MAX_QUERY_DEPTH'),
    maxAliases: intOr(env.MAX_ALIASES, 30, 'MAX_ALIASES'),
    maxDirectives: intOr(env.MAX_DIRECTIVES, 30, 'MAX_DIRECTIVES'),
    maxQueryTokens: intOr(env.MAX_QUERY_TOKENS, 1000, 'MAX_QUERY_TOKENS'),
    maxQueryLength: intOr(env.MAX_QUERY_LENGTH, 32_768, 'MAX_QUERY_LENGTH'),
    documentCheckShare: shareOr(env.DOCUMENT_CHECK_SHARE, 0.05, 'DOCUMENT_CHECK_SHARE'),
    maxConcurrentRequests: intOr(env.MAX_CONCURRENT_REQUESTS, 6, 'MAX_CONCURRENT_REQUESTS'),
    maxWaitingRequests: intOr(env.MAX_WAITING_REQUESTS, 1000, 'MAX_WAITING_REQUESTS'),
    bodyLimit: sizeOr(env.BODY_LIMIT, '100kb', 'BODY_LIMIT', MIN_BODY_LIMIT_BYTES),
    exportStallMs: msOr(env.EXPORT_STALL_MS, 60_000, 'EXPORT_STALL_MS'),
    keepAliveTimeoutMs: msOr(env.KEEP_ALIVE_TIMEOUT_MS, 65_000, 'KEEP_ALIVE_TIMEOUT_MS'),
    importConcurrency: intOr(env.IMPORT_CONCURRENCY, 2, 'IMPORT_CONCURRENCY'),
    importWaitMs: msOr(env.IMPORT_WAIT_MS, 30_000, 'IMPORT_WAIT_MS'),
    consoleDir: env.CONSOLE_DIR ? resolve(env.CONSOLE_DIR) : DEFAULT_CONSOLE_DIR,
    webhooks: webhookSettings(env, production),
  };
}
