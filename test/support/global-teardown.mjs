import pg from 'pg';

export default async function globalTeardown() {
  // On a DATABASE_URL server, the template goes (each file's databases are left, as before).
  const template = globalThis.__TEST_TEMPLATE__;
  if (template && !globalThis.__EMBEDDED_PG__) {
    const admin = new pg.Client({ connectionString: template.adminUrl });
    await admin.connect();
    await admin.query(`drop database if exists "${template.name}"`).finally(() => admin.end());
  }
  await globalThis.__EMBEDDED_PG__?.stop();
}
