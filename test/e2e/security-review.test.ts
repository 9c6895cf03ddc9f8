import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../support/harness';

// A security review of the server as a member, a stolen service token or nobody would attack it.
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.stop();
});

describe('a member token whose member does not exist', () => {
  it('reads an empty catalogue of rewards, not an INTERNAL_SERVER_ERROR', async () => {
    await s.admin('mutation { upsertReward(input: { code: "SEC_MUG", name: "Mug", costPoints: 10 }) { id } }');
    const ghost = await s.token('member', randomUUID());
    const res = await s.gql('{ rewards { code affordable } }', {}, ghost);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ rewards: [] });
  });
});

describe('the console cannot be framed by another site, nor run a script that is not its own', () => {
  let c: TestServer;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'console-dist-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title><script type="module" src="/admin/assets/index-AbC123.js"></script>');
    writeFileSync(join(dir, 'assets', 'index-AbC123.js'), 'console.log(1)');
    c = await startTestServer({ databaseUrl: s.databaseUrl, consoleDir: dir });
  });
  afterAll(() => c.stop());

  it.each(['/admin/', '/admin/members/x', '/admin/assets/index-AbC123.js', '/admin/assets/missing.js'])('%s', async (path) => {
    const res = await fetch(`${c.url}${path}`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
