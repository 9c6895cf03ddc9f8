import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { openOrm } from '../../src/db/database';
import { inTransaction } from '../../src/db/transaction';
import { emitWebhookEvent } from '../../src/modules/webhooks/webhooks.service';
import { createTestDatabase } from '../support/harness';
import { spawnMain, type ServerProcess } from '../support/server-process';
import { startReceiver, type Receiver } from '../support/webhook-receiver';
import { eventually } from '../support/wait';

// At least once across a crash: the server (src/main.ts in a process of its own) is killed
// with SIGKILL while deliveries are in flight, started again, and the receiver (de-duplicating
// on the event id) ends up with every event.
const folders: string[] = [];
let receiver: Receiver | null = null;
afterAll(async () => {
  await receiver?.close();
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

function start(databaseUrl: string): ServerProcess {
  const dataDir = mkdtempSync(join(tmpdir(), 'loyalty-crash-'));
  folders.push(dataDir);
  return spawnMain({
    ...process.env, DATABASE_URL: databaseUrl, DATA_DIR: dataDir, PORT: '0', SEED: 'none', SCHEDULER: 'off', LOG_LEVEL: 'info', NODE_ENV: 'development',
    JWT_SECRET: 'crash-secret-0123456789abcdef0123456789', WEBHOOK_TIMEOUT_MS: '1000', WEBHOOK_BACKOFF_MS: '50', WEBHOOK_CONCURRENCY: '8',
  });
}

async function ready(p: ServerProcess): Promise<void> {
  await eventually(() => p.out().includes('"loyalty server ready"') || p.child.exitCode !== null, 'the server to start', 120_000);
  if (p.child.exitCode !== null) throw new Error(`the server exited: ${p.err()}`);
}

it('SIGKILL mid-delivery: after a restart every event arrives at least once', async () => {
  const databaseUrl = await createTestDatabase('crash');
  let server = start(databaseUrl);
  let orm: MikroORM | null = null;
  try {
    await ready(server); // it has applied the migrations
    orm = await openOrm(databaseUrl, 2);
    // Each answer takes 150 ms: deliveries are under way when the process dies.
    receiver = await startReceiver(() => ({ status: 204, delayMs: 150 }));
    const url = `${receiver.url}/hooks`;
    const pg = new Client({ connectionString: databaseUrl });
    await pg.connect();
    await pg.query(`insert into webhook_endpoint (id, url, event_types, active, secret, created_at, updated_at) values (gen_random_uuid(), $1, '{*}', true, 'whsec_crash', now(), now())`, [url]);
    const events = await inTransaction(orm.em.fork(), async (tx) => {
      const ids: string[] = [];
      for (let i = 0; i < 200; i++) ids.push((await emitWebhookEvent(tx, 'points.earned', null, { points: i }))!);
      return ids;
    });
    const answered = () => receiver!.received.map((r) => r.eventId);
    await eventually(() => answered().length >= 20, 'some deliveries');
    server.child.kill('SIGKILL');
    await server.exited;
    const before = new Set(answered());
    expect(before.size).toBeLessThan(200); // killed mid-way
    const [{ inFlight }] = (await pg.query(`select count(*)::int as "inFlight" from webhook_delivery where status = 'PENDING' and attempts > 0`)).rows;
    server = start(databaseUrl);
    await ready(server);
    await eventually(async () => (await pg.query(`select count(*)::int as n from webhook_delivery where status = 'DELIVERED'`)).rows[0].n === 200, 'every delivery', 120_000);
    expect(new Set(answered())).toEqual(new Set(events));
    expect(inFlight).toBeGreaterThan(0); // the kill left claimed attempts behind, and they came back
    await pg.end();
  } finally {
    await orm?.close(true);
    server.child.kill('SIGKILL');
    await server.exited;
  }
}, 240_000);
