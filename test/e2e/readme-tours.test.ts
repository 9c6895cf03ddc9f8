import { execFile, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildSchema } from 'graphql';
import { decodeJwt } from 'jose';
import { IDE_EXAMPLES } from '../../src/api/ide-examples';
import { createTestDatabase } from '../support/harness';
import { ROOT, spawnMain, type ServerProcess } from '../support/server-process';
import { eventually } from '../support/wait';

/**
 * The first hour of a developer, as the README tells it: `npm start` without JWT_SECRET
 * (src/main.ts in a process of its own, on a database of this test's, with the demo data),
 * what it prints, the token CLI against the running server, the IDE, and every tour block of
 * README.md run with bash as written, after the `export` line that the start printed.
 */
const run = promisify(execFile);

interface TourBlock { name: string; needs: string[]; script: string }

/** The fenced blocks tagged ```sh tour=NAME [needs=field,field], in README order. */
export function tourBlocks(markdown: string): TourBlock[] {
  return [...markdown.matchAll(/^```sh tour=(\S+)([^\n]*)\n([\s\S]*?)^```$/gm)].map(([, name, rest, script]) => ({
    name, needs: /needs=(\S+)/.exec(rest)?.[1].split(',') ?? [], script,
  }));
}

const blocks = tourBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
const schema = buildSchema(readFileSync(join(ROOT, 'schema/schema.graphql'), 'utf8'));
const rootFields = new Set([...Object.keys(schema.getQueryType()!.getFields()), ...Object.keys(schema.getMutationType()!.getFields())]);
const missing = (b: TourBlock) => b.needs.filter((f) => !rootFields.has(f));

/** What each tour must show, beyond succeeding without a GraphQL error. */
const EXPECTED: Record<string, (out: string) => void> = {
  'member-app': (out) => {
    expect(out).toMatch(/"displayName":"Ava Lin","tier":\{"name":"Gold"\}/);
    expect(out).toMatch(/"expiringPoints":[1-9]\d*/);
    expect(out).toMatch(/"nextTier":\{"name":"Platinum"\}/);
    expect(out).toMatch(/"benefits":\[.*"name":"Free parking at our stores"/);
    expect(out).toMatch(/"pointsHistory":\{"edges":\[\{"node":\{"type":/);
    expect(out).toMatch(/"tierChangeFeed":\{"edges":\[.*"kind":"UPGRADE","toTier":\{"name":"Gold"\}/);
  },
  import: (out) => {
    expect(out).toMatch(/"importJob":\{"kind":"MEMBERS","status":"SUCCEEDED","rowsDone":2,"rowsRejected":1,"rejected":\[\{"line":4,"message":"externalId is required"\}\]\}/);
    expect(out).toMatch(/"importJob":\{"kind":"PURCHASES","status":"SUCCEEDED","rowsDone":1,"rowsRejected":1,"rejected":\[\{"line":3,"message":"occurredAt must be an ISO-8601 date-time"\}\]\}/);
  },
  'member-app-push': (out) => expect(out.trim()).toBe('pushed: UPGRADE Gold → Platinum'),
  'mini-program': (out) => {
    expect(out).toMatch(/"rewards":\[.*"code":"COFFEE".*"affordable":true/);
    const codes = [...out.matchAll(/"couponCode":"([0-9A-Z-]+)","points":300,"status":"ISSUED"/g)].map((m) => m[1]);
    expect(codes).toHaveLength(2);
    expect(codes[1]).toBe(codes[0]); // the retry got the same coupon
  },
  till: (out) => {
    expect(out).toMatch(/"redemptionByCoupon":\{"status":"ISSUED"/);
    expect(out.match(/"useCoupon":\{"status":"USED"/g)).toHaveLength(2);
  },
  referral: (out) => {
    // the friend: its purchase's 59 points, and 100 pending; Ava: at least the 200 pending, her newest transaction the referral's
    expect(out).toMatch(/"recordPurchase":\{"pointsEarned":59,"member":\{"pointsBalance":59,"pendingPoints":100\}\}/);
    // … and when they become spendable: the referral's 200 among them.
    expect(out).toMatch(/"me":\{"pendingPoints":(\d{4,}|[2-9]\d\d),"pendingActivations":\[(\{"activatesAt":"[^"]+","points":\d+\},?)+\],"pointsHistory":\{"edges":\[\{"node":\{"type":"REFERRAL","amount":200\}\}\]\}\}/);
  },
  'check-in': (out) => {
    // The demo member last checked in days ago: today's starts a streak of 1 (5 points); the repeat changes nothing.
    expect(out).toMatch(/"checkIn":\{"streak":1,"pointsEarned":5,"alreadyCheckedIn":false,"member":\{"checkInStreak":1,"checkedInToday":true\}\}/);
    expect(out).toMatch(/"checkIn":\{"streak":1,"pointsEarned":5,"alreadyCheckedIn":true\}/);
  },
  'admin-console': (out) => {
    expect(out).toMatch(/"programStats":\{"members":200,/);
    expect(out).toMatch(/"churnModel":\{"customers":\d+,"r":[\d.]+/);
    expect(out).toMatch(/"saveSegment":\{"id":"[^"]+","size":[1-9]/);
    // Dan Novak is in the segment (its CSV, below); whether among its first three by join date depends on who else slipped,
    // which the demo campaign's response (its treatment arm: a hash of random member ids) moves from one load to the next.
    expect(out).toMatch(/^id,external_id,display_name,email,phone,tier,stage,rfm_segment,balance,joined_at$/m);
    expect(out).toMatch(/^[0-9a-f-]{36},demo-0004,Dan Novak,dan\.novak@example\.com,,PLATINUM,AT_RISK,/m);
    expect(out).toMatch(/"winBackCandidates":\[\{"displayName":/);
    expect(out).toMatch(/"tagMember":\{"tags":\[.*"code":"weekend_shopper"/);
    expect(out).toMatch(/"auditLog":\[\{"actor":"admin:me","action":"member.tag"/);
  },
  'admin-benefit': (out) => expect(out).toMatch(/"updateBenefit":\{"code":"GOLD_DISCOUNT","value":12,"version":2,/),
  'data-rights': (out) => expect(out).toMatch(/^loyalty\.member-export\/1: demo-0001, [1-9]\d* transactions, [1-9]\d* purchases$/m),
  store: (out) => {
    const earned = [...out.matchAll(/"recordPurchase":\{"pointsEarned":(\d+),"member":\{"pointsBalance":(\d+)\}/g)].map((m) => m.slice(1));
    expect(earned).toHaveLength(2);
    expect(earned[1]).toEqual(earned[0]); // the retry changed nothing
    expect(out).toMatch(/"refundPurchase":\{"pointsEarned":-\d+/);
    expect(out).toMatch(/"a":\{"pointsEarned":\d+\},"b":\{"pointsEarned":20\}/);
  },
};

type Server = ServerProcess;

function startServer(env: Record<string, string>): Server {
  const { JWT_SECRET: _unset, ...inherited } = process.env;
  return spawnMain({ ...inherited, PORT: '0', SCHEDULER: 'off', LOG_LEVEL: 'info', NODE_ENV: 'development', ...env });
}

async function ready(s: Server) {
  await eventually(() => /loyalty server ready/.test(s.out()) || s.child.exitCode !== null, 'the server to start', 600_000);
  if (s.child.exitCode !== null) throw new Error(`the server exited: ${s.err()}`);
}

async function stop(s: Server) {
  if (s.child.exitCode !== null) return;
  s.child.kill('SIGTERM');
  await Promise.race([s.exited, new Promise((r) => setTimeout(r, 30_000).unref())]);
}

/** The npm start banner's lines, by their label. */
const bannerLine = (out: string, label: RegExp) => out.split('\n').find((l) => label.test(l.trim()))?.trim() ?? '';

describe('the first hour: npm start without JWT_SECRET, the token CLI, the IDE and the README tours', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'loyalty-first-hour-'));
  let databaseUrl: string;
  let server: Server;
  let exportLine: string;
  let memberId: string;
  let api: string;
  const env = () => ({ ...process.env, JWT_SECRET: '', DATA_DIR: dataDir });

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('tour');
    server = startServer({ DATABASE_URL: databaseUrl, DATA_DIR: dataDir, SEED: 'demo' });
    await ready(server);
    exportLine = bannerLine(server.out(), /^For the README's tours: export /).replace(/^For the README's tours: /, '');
    api = /API=(\S+)/.exec(exportLine)?.[1] ?? '';
    memberId = /MEMBER_ID=(\S+)/.exec(exportLine)?.[1] ?? '';
    // 18 months of demo history, write by write: a minute or two on a loaded 2-core machine.
  }, 600_000);
  afterAll(async () => {
    if (server) await stop(server);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints progress while the demo data loads, then the warning, the tokens, the demo member, the IDE and the tours\' export line', () => {
    const out = server.out();
    const loading = out.indexOf('loading demo data: 200 members, 18 months of history…');
    const warning = out.indexOf(`  JWT_SECRET is not set: tokens are signed with the development secret in ${join(dataDir, 'jwt-secret')} (created now)\n`);
    const admin = out.indexOf('  ADMIN TOKEN (valid 30 days): ');
    expect(loading).toBeGreaterThanOrEqual(0);
    expect(out).toMatch(/"msg":"demo data: \d{4}-\d{2}, \d+ members, \d+ purchases"/);
    expect(warning).toBeGreaterThan(loading);
    expect(admin).toBeGreaterThan(warning); // the token after its warning
    expect(bannerLine(out, /^DEMO MEMBER:/)).toBe(`DEMO MEMBER: Ava Lin (demo-0001), id ${memberId}`);
    const memberToken = bannerLine(out, /^MEMBER TOKEN/).replace(/^MEMBER TOKEN for it \(valid 9 hours\): /, '');
    const claims = decodeJwt(memberToken);
    expect(claims).toMatchObject({ role: 'member', sub: memberId });
    expect(claims.exp! - claims.iat!).toBe(9 * 3600);
    expect(bannerLine(out, /^GraphQL IDE:/)).toMatch(new RegExp(`^GraphQL IDE: ${api.replace(/[.]/g, '\\.')} `));
    expect(api).toMatch(/^http:\/\/localhost:\d+\/graphql$/);
    expect(exportLine).toBe(`export API=${api} MEMBER_ID=${memberId}`);
  });

  it('keeps the secret in the data folder, mode 600, and never prints it', () => {
    const file = join(dataDir, 'jwt-secret');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const secret = readFileSync(file, 'utf8').trim();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(server.out() + server.err()).not.toContain(secret);
  });

  it('npm run token reads the same secret: its tokens work against the running server, without a restart', async () => {
    const mint = async (...args: string[]) => (await run('npm', ['run', '-s', 'token', '--', ...args], { cwd: ROOT, env: env() })).stdout.trim();
    const member = await mint('--role', 'member', '--sub', memberId);
    const admin = await mint('--role', 'admin', '--sub', 'me');
    const post = async (token: string, query: string) => (await fetch(api, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }),
    })).json();
    expect(await post(member, '{ me { displayName } }')).toEqual({ data: { me: { displayName: 'Ava Lin' } } });
    expect(await post(admin, '{ members(first: 1) { totalCount } }')).toEqual({ data: { members: { totalCount: 200 } } });
    // Without JWT_SECRET and before any development start, it says what to do.
    const empty = mkdtempSync(join(tmpdir(), 'loyalty-no-secret-'));
    try {
      await expect(run('npm', ['run', '-s', 'token', '--', '--role', 'admin'], { cwd: ROOT, env: { ...env(), DATA_DIR: empty } }))
        .rejects.toMatchObject({ code: 2, stderr: expect.stringContaining(`there is no development secret in ${join(empty, 'jwt-secret')} yet`) });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }, 120_000);

  it('GET / leads to the IDE, which opens with the examples and the demo member\'s token', async () => {
    const root = await fetch(api.replace(/\/graphql$/, '/'), { redirect: 'manual' });
    expect({ status: root.status, location: root.headers.get('location') }).toEqual({ status: 302, location: '/graphql' });
    const page = await (await fetch(api, { headers: { accept: 'text/html' } })).text();
    const memberToken = bannerLine(server.out(), /^MEMBER TOKEN/).replace(/^MEMBER TOKEN for it \(valid 9 hours\): /, '');
    expect(page).toContain(`Bearer ${memberToken}`);
    expect(page).toContain(memberId);
    for (const example of IDE_EXAMPLES) expect(page).toContain(JSON.stringify(example.query).slice(1, 60));
    // The admin token is printed, never served.
    expect(page).not.toContain(bannerLine(server.out(), /^ADMIN TOKEN/).replace(/^ADMIN TOKEN \(valid 30 days\): /, ''));
  });

  describe('the README tours, run as written', () => {
    let prelude = '';
    beforeAll(async () => {
      // The setup block once (its tokens come from the CLI); its variables and gql() go before each tour.
      const setup = blocks.find((b) => b.name === 'setup')!;
      const { stdout } = await run('bash', ['-c', `set -eo pipefail\n${exportLine}\n${setup.script}\ndeclare -p ADMIN_TOKEN SERVICE_TOKEN MEMBER_TOKEN\ndeclare -f gql`], { cwd: ROOT, env: env() });
      prelude = stdout;
    }, 120_000);

    it('every tour block has its expectations here, and every expectation a block', () => {
      expect(blocks.map((b) => b.name).filter((n) => n !== 'setup').sort()).toEqual(Object.keys(EXPECTED).sort());
    });

    for (const block of blocks.filter((b) => b.name !== 'setup')) {
      const absent = missing(block);
      it(`tour=${block.name}`, async () => {
        expect(absent).toEqual([]); // the operations its needs= names are in the schema
        const script = `set -eo pipefail\n${exportLine}\n${prelude}\n${block.script}`;
        const { stdout } = await run('bash', ['-c', script], { cwd: ROOT, env: env(), maxBuffer: 16 << 20 });
        expect(stdout).not.toContain('"errors"');
        EXPECTED[block.name](stdout);
      }, 120_000);
    }
  });

  it('the README\'s webhook receiver, run as written: it accepts the server\'s signed POSTs (both v1 values after a rotation) and refuses a forged or replayed one', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const receiver = /^```js\n(import \{ createHmac, timingSafeEqual \} from 'node:crypto';[\s\S]*?)^```$/m.exec(readme)?.[1] ?? '';
    expect(receiver).toContain('.listen(3000);');
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, () => { const { port: p } = probe.address() as { port: number }; probe.close(() => resolve(p)); });
    });
    const admin = (await run('npm', ['run', '-s', 'token', '--', '--role', 'admin', '--sub', 'me'], { cwd: ROOT, env: env() })).stdout.trim();
    const gql = async (query: string, variables: Record<string, unknown> = {}) => {
      const body = await (await fetch(api, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` }, body: JSON.stringify({ query, variables }) })).json() as { data: Record<string, any>; errors?: unknown };
      expect(body.errors).toBeUndefined();
      return body.data;
    };
    const created = (await gql(`mutation($url: String!) { createWebhookEndpoint(input: { url: $url, eventTypes: ["webhook.ping"] }) { secret endpoint { id } } }`,
      { url: `http://127.0.0.1:${port}/hooks/loyalty` })).createWebhookEndpoint;
    const child = spawn(process.execPath, ['--input-type=module', '-e', receiver.replace('.listen(3000);', `.listen(${port});`)],
      { cwd: ROOT, env: { ...process.env, LOYALTY_WEBHOOK_SECRET: created.secret }, stdio: 'ignore' });
    try {
      const hook = `http://127.0.0.1:${port}/hooks/loyalty`;
      await eventually(async () => (await fetch(hook, { method: 'POST' }).then((r) => r.status, () => 0)) === 401, 'the receiver to listen', 30_000);
      const pingDelivered = async () => {
        const { id } = (await gql('mutation($id: ID!) { pingWebhookEndpoint(id: $id) { id } }', { id: created.endpoint.id })).pingWebhookEndpoint;
        await eventually(async () => {
          const { edges } = (await gql('query($e: ID) { webhookDeliveries(endpointId: $e, first: 10) { edges { node { id status lastStatusCode } } } }', { e: created.endpoint.id })).webhookDeliveries;
          return edges.some(({ node }: { node: { id: string; status: string } }) => node.id === id && node.status === 'DELIVERED');
        }, 'the ping to be delivered', 60_000);
      };
      await pingDelivered();
      // After a rotation the receiver still holds the old secret: the POST carries a v1 for each.
      await gql('mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }', { id: created.endpoint.id });
      await pingDelivered();
      // Forged (another secret) and replayed (t six minutes old, signed right): both 401.
      const body = JSON.stringify({ id: 'forged', type: 'webhook.ping', occurredAt: new Date().toISOString(), data: {} });
      const post = (t: number, secret: string) => fetch(hook, { method: 'POST', body, headers: {
        'content-type': 'application/json', 'loyalty-signature': `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}` } }).then((r) => r.status);
      const now = Math.floor(Date.now() / 1000);
      expect(await post(now, created.secret)).toBe(204);
      expect(await post(now, 'whsec_not-the-secret')).toBe(401);
      expect(await post(now - 360, created.secret)).toBe(401);
    } finally {
      child.kill();
    }
  }, 180_000);

  it('a restart keeps the secret: a token minted before it still works', async () => {
    const { stdout } = await run('npm', ['run', '-s', 'token', '--', '--role', 'member', '--sub', memberId], { cwd: ROOT, env: env() });
    await stop(server);
    server = startServer({ DATABASE_URL: databaseUrl, DATA_DIR: dataDir, SEED: 'demo' });
    await ready(server);
    expect(server.out()).toContain(`  JWT_SECRET is not set: tokens are signed with the development secret in ${join(dataDir, 'jwt-secret')}\n  ADMIN TOKEN`);
    expect(server.out()).not.toContain('loading demo data'); // loaded once
    const url = /export API=(\S+)/.exec(server.out())![1];
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${stdout.trim()}` }, body: JSON.stringify({ query: '{ me { displayName } }' }) });
    expect(await res.json()).toEqual({ data: { me: { displayName: 'Ava Lin' } } });
  }, 300_000);
});
