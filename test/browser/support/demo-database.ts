import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import pino from 'pino';
import { createMigratedTestDatabase, startTestServer } from '../../support/harness';
import { ROOT } from '../../support/server-process';

/** Named after what makes it (the seeds and migrations): a database server kept across runs (DATABASE_URL) never serves an old one. */
const TEMPLATES = `loyalty_demo_${createHash('sha1')
  .update(['seeds', 'migrations'].flatMap((dir) => readdirSync(join(ROOT, dir)).sort().map((f) => readFileSync(join(ROOT, dir, f), 'utf8'))).join('\0'))
  .digest('hex').slice(0, 12)}`;

/**
 * …and after the day it was loaded on (UTC): the demo's history ends on that day and the tests
 * read it as today's (the audit log's entries of today, the at-risk member's expiry within 30
 * days), so a template kept on a DATABASE_URL server from an earlier day made them fail.
 */
const templateOfToday = () => `${TEMPLATES}_${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`;

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: process.env.TEST_PG_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A database of its own with the demo programme (seeds/DemoSeeder.ts: 200 members, 18 months
 * of history), for one browser test file. Loading the demo takes about a minute, so it is
 * loaded once per test run into a template database, and each file gets a copy (CREATE
 * DATABASE … TEMPLATE: a second or two). Jest's workers take turns through an advisory lock.
 */
export async function demoDatabase(): Promise<string> {
  const adminUrl = process.env.TEST_PG_ADMIN_URL;
  if (!adminUrl) throw new Error('TEST_PG_ADMIN_URL is not set: run through Jest (global setup)');
  return admin(async (client) => {
    // One lock for the templates of every day: an earlier day's is dropped under it, never while copied.
    await client.query(`select pg_advisory_lock(hashtext('${TEMPLATES}'))`);
    try {
      const TEMPLATE = templateOfToday();
      const { rows: earlier } = await client.query<{ datname: string }>(
        `select datname from pg_database where starts_with(datname, $1) and datname <> $2`, [`${TEMPLATES}_`, TEMPLATE]);
      for (const { datname } of earlier) {
        await client.query(`alter database "${datname}" is_template false`);
        await client.query(`drop database "${datname}" with (force)`);
      }
      const { rows } = await client.query(`select datistemplate from pg_database where datname = $1`, [TEMPLATE]);
      if (!rows[0]?.datistemplate) {
        if (rows.length) await client.query(`drop database "${TEMPLATE}"`); // a half-made one
        const seeding = await createMigratedTestDatabase('demo_seed');
        const server = await startTestServer({ databaseUrl: seeding, seed: 'demo', log: pino({ level: 'silent' }) });
        await server.stop();
        const name = new URL(seeding).pathname.slice(1);
        await client.query(`alter database "${name}" rename to "${TEMPLATE}"`);
        await client.query(`alter database "${TEMPLATE}" is_template true`);
      }
      const copy = `demo_${Math.random().toString(16).slice(2, 14)}`;
      await client.query(`create database "${copy}" template "${TEMPLATE}"`);
      const url = new URL(adminUrl);
      url.pathname = `/${copy}`;
      return url.toString();
    } finally {
      await client.query(`select pg_advisory_unlock(hashtext('${TEMPLATES}'))`);
    }
  });
}
