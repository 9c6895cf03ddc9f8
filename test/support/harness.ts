import 'reflect-metadata';
import { createClient, type Client as WsClient } from 'graphql-ws';
import { Client } from 'pg';
import pino, { type Logger } from 'pino';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { mintToken } from '../../src/api/auth';
import { startApp, type RunningApp } from '../../src/app';
import type { Clock } from '../../src/common/clock';
import { loadConfig, type AppConfig } from '../../src/config/env';
import { applyMigrations, openOrm } from '../../src/db/database';
import { pinSession, pinnedUrl } from '../../src/db/session-settings';
import type { Role } from '../../src/modules/actor';
import { statementCounter, type StatementCounter } from './statements';
import { recordTestDatabase } from './test-databases.cjs';

/** The test tokens' exp: 10000-01-02T00:00:00Z, in seconds (a day past MAX_INSTANT, src/common/clock.ts). */
const TOKENS_EXPIRE_AT = 253_402_387_200;

export const JWT_SECRET = 'test-secret-not-for-production-0123456789';

export interface GqlResponse<T = Record<string, any>> {
  status: number;
  data?: T;
  errors?: { message: string; path?: string[]; extensions?: { code?: string; field?: string; [k: string]: unknown } }[];
}

/**
 * Creates a database, named `<prefix>_<random>`, on the PostgreSQL server `adminUrl` reaches:
 * empty, or a copy of `template`; its name and URL.
 */
export async function createDatabaseOn(adminUrl: string, prefix = 't', template?: string): Promise<{ name: string; url: string }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`create database "${name}"${template ? ` template "${template}"` : ''}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

/** Creates an empty database of its own for one test file on the run's PostgreSQL (dropped at the run's end on DATABASE_URL's server: test-databases.cjs). */
export function createTestDatabase(prefix = 't'): Promise<string> {
  return createRunDatabase(prefix, false);
}

/** Creates a database of its own for one test file, migrated as a server's start leaves it (a copy of the run's template). */
export function createMigratedTestDatabase(prefix = 't'): Promise<string> {
  return createRunDatabase(prefix, true);
}

async function createRunDatabase(prefix: string, migrated: boolean): Promise<string> {
  const admin = process.env.TEST_PG_ADMIN_URL;
  if (!admin) throw new Error('TEST_PG_ADMIN_URL is not set: run through Jest (global setup)');
  const { name, url } = await createDatabaseOn(admin, prefix, migrated ? await migratedTemplate(admin) : undefined);
  recordTestDatabase(name);
  return url;
}

let templateReady = false;

/**
 * The run's migrated database (TEST_PG_TEMPLATE, named by the global setup), which each file's
 * server database is copied from instead of migrating 80 migrations again (a second or two a
 * start; 170 starts). The first file to need it builds it: under a lock, so that files starting
 * together wait for it rather than build it twice; under another name, renamed when complete, so
 * that the template's name only ever holds a whole one. The server's own start then finds
 * nothing pending, as after `npm run migrate`.
 */
async function migratedTemplate(adminUrl: string): Promise<string | undefined> {
  const template = process.env.TEST_PG_TEMPLATE;
  if (!template || templateReady) return template;
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock(hashtext($1))', [template]);
    const { rows } = await client.query('select 1 from pg_database where datname = $1', [template]);
    if (!rows.length) {
      const building = `${template}_building`;
      recordTestDatabase(building);
      await client.query(`create database "${building}"`);
      const url = new URL(adminUrl);
      url.pathname = `/${building}`;
      const orm = await openOrm(url.toString());
      try {
        await applyMigrations(orm);
      } finally {
        await orm.close(true);
      }
      recordTestDatabase(template);
      await client.query(`alter database "${building}" rename to "${template}"`);
    }
    templateReady = true;
    return template;
  } finally {
    await client.end(); // and with the session, the lock
  }
}

export interface TestServer {
  app: RunningApp;
  url: string;
  databaseUrl: string;
  token(role: Role, sub?: string): Promise<string>;
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<GqlResponse<T>>;
  admin<T = Record<string, any>>(query: string, variables?: Record<string, unknown>): Promise<T>;
  sql<T = Record<string, any>>(text: string, params?: unknown[]): Promise<T[]>;
  ws(token: string | null): WsClient;
  /** Runs `work` and returns the statements the server sent PostgreSQL for it (test/support/statements.ts). */
  countStatements: StatementCounter;
  stop(): Promise<void>;
}

/** A real server on a real database, listening on a free port; `log`: the server's logger (silent by default); `clock`: the server's "now" (test/support/clock.ts). */
export async function startTestServer(options: Partial<AppConfig> & { databaseUrl?: string; log?: Logger; clock?: Clock } = {}): Promise<TestServer> {
  const { log, clock, ...configOverrides } = options;
  const databaseUrl = configOverrides.databaseUrl ?? (await createMigratedTestDatabase());
  const config: AppConfig = {
    ...loadConfig({ NODE_ENV: 'test' }),
    // A data folder of its own: a development start (jwtSecret: null) keeps its secret there, not in the project's.
    port: 0, seed: 'none', scheduler: false, jwtSecret: JWT_SECRET, dataDir: mkdtempSync(join(tmpdir(), 'loyalty-data-')), ...configOverrides, databaseUrl,
  };
  const app = await startApp(config, log ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), { clock });
  // The tests' own SQL reads timestamps as the server does: on the session settings it pins.
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  await pinSession(pg);
  const sockets: WsClient[] = [];
  const server: TestServer = {
    // The tests' own connections (s.sql, a second session, a second server) on the settings the server pins.
    app, url: app.url, databaseUrl: pinnedUrl(databaseUrl),
    countStatements: statementCounter(app.http.server, () => app.orm.em.getConnection().getKnex().client.pool),
    // Valid to the last instant an input may name: a test that moves the server's clock ahead (whenItComes) keeps its tokens.
    token: (role, sub) => mintToken(JWT_SECRET, { role, sub: sub ?? `${role}-tester` }, TOKENS_EXPIRE_AT),
    async gql(query, variables, token) {
      const res = await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, ...((await res.json()) as object) };
    },
    async admin(query, variables) {
      const res = await server.gql(query, variables, await server.token('admin'));
      if (res.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors)}`);
      return res.data as any;
    },
    async sql(text, params) {
      return (await pg.query(text, params as unknown[])).rows;
    },
    ws(token) {
      const client = createClient({
        url: app.url.replace(/^http/, 'ws') + '/graphql',
        webSocketImpl: WebSocket,
        connectionParams: token ? { authorization: `Bearer ${token}` } : {},
        retryAttempts: 0,
        lazy: false,
        onNonLazyError: () => {},
      });
      sockets.push(client);
      return client;
    },
    async stop() {
      await Promise.all(sockets.map((s) => s.dispose()));
      await pg.end();
      await app.stop();
    },
  };
  return server;
}

/** Asserts a GraphQL response failed with the given code (and optionally field). */
export function expectError(res: GqlResponse, code: string, field?: string) {
  expect(res.errors?.[0]?.extensions?.code).toBe(code);
  if (field) expect(res.errors?.[0]?.extensions?.field).toBe(field);
}
