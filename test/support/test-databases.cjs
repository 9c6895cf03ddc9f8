// The databases a Jest run creates on DATABASE_URL's server (an operator's PostgreSQL, not the
// embedded one, which is thrown away whole): each is noted in the run's list (TEST_PG_CREATED,
// a file the global setup names), and the global teardown drops them. Without it every run left
// its ~110 databases (about 1.4 GB) behind on that server. CommonJS, so that both the global
// setup and teardown (ES modules) and the TypeScript harness load it.
const { appendFileSync, existsSync, readFileSync } = require('node:fs');
const { Client } = require('pg');

/** Notes `name` in the run's list, when there is one (a run on DATABASE_URL). */
function recordTestDatabase(name) {
  const file = process.env.TEST_PG_CREATED;
  if (file) appendFileSync(file, `${name}\n`);
}

/**
 * Drops every database `file` lists that is still there (a test may have dropped or renamed its
 * own), on the server of `adminUrl`, with its connections; the names listed.
 */
async function dropRecordedDatabases(adminUrl, file) {
  if (!existsSync(file)) return [];
  const names = [...new Set(readFileSync(file, 'utf8').split('\n').filter(Boolean))];
  if (!names.length) return [];
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (const name of names) await client.query(`drop database if exists "${name.replace(/"/g, '""')}" with (force)`);
  } finally {
    await client.end();
  }
  return names;
}

module.exports = { recordTestDatabase, dropRecordedDatabases };
