import { createTestDatabase, startTestServer, type TestServer } from '../support/harness';
import { migrationsList } from '../../migrations';

// Issue 18, item 13: several instances starting at once on a database with pending migrations.
describe('instances starting together on a fresh database', () => {
  const servers: TestServer[] = [];
  afterAll(async () => { await Promise.all(servers.map((s) => s.stop())); });

  it('three apps at once: all come up, each migration applied once', async () => {
    const databaseUrl = await createTestDatabase('mig');
    const started = await Promise.allSettled([1, 2, 3].map(() => startTestServer({ databaseUrl })));
    for (const r of started) if (r.status === 'fulfilled') servers.push(r.value);
    expect(started.map((r) => (r.status === 'rejected' ? String(r.reason) : 'up'))).toEqual(['up', 'up', 'up']);
    const applied = await servers[0].sql('select name, count(*)::int as n from mikro_orm_migrations group by name order by name');
    expect(applied).toEqual(migrationsList.map((m) => ({ name: m.name, n: 1 })).sort((a, b) => a.name.localeCompare(b.name)));
    for (const s of servers) {
      const res = await s.gql('{ tiers { code } }', {}, await s.token('admin'));
      expect(res.errors).toBeUndefined();
      expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
    }
  });
});
