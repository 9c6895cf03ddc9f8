import { connect } from 'node:net';
import { en, type MessageKey } from '../../admin/src/i18n/en';
import { importMessageMatch } from '../../admin/src/i18n/import-messages';
import { createLadder } from '../support/fixtures';
import { startTestServer, type TestServer } from '../support/harness';
import { whileInTransaction } from '../support/sessions';
import { eventually } from '../support/wait';

/**
 * The console translates what the server writes for an import's rejected lines and a FAILED
 * job's failure (admin/src/i18n/import-messages.ts). Here the real server writes them: files
 * built to hit every rejection it has (members as CSV and NDJSON, purchases in history and earn
 * mode), an upload cut off, a programme without its entry tier, and a member erased between the
 * check and the write; every sentence they get back must be one the console knows, and every
 * sentence the console knows must be reached here, but the few no file can reach (UNREACHED).
 * A new or changed sentence on the server fails this test until the console knows it.
 */
let s: TestServer;
let admin: string;
/** Each sentence the server wrote, with where it came from. */
const written: { where: string; message: string }[] = [];

const JOB = `query($id: ID!) { importJob(id: $id) { status failure rowsRejected errors(first: 100) { line message } } }`;
const AT = '2026-01-10T00:00:00Z';
const csv = (rows: string[]) => rows.join('\n') + '\n';

async function post(path: string, body: string | Buffer, type = 'text/csv'): Promise<string> {
  const res = await fetch(`${s.url}${path}`, { method: 'POST', body: body as string, headers: { 'content-type': type, authorization: `Bearer ${admin}` } });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

/** The job once it has ended, its sentences noted (and checked: each must be one the console knows). */
async function finished(id: string, where: string): Promise<{ status: string; failure: string | null; rowsRejected: number; errors: { line: number; message: string }[] }> {
  let job: any;
  await eventually(async () => {
    job = (await s.admin(JOB, { id })).importJob;
    return job.status !== 'RUNNING';
  }, 'the import to end', 120_000);
  expect(job.errors.length).toBeLessThan(100); // all of them on one page
  note(where, [...job.errors.map((e: { message: string }) => e.message), ...(job.failure ? [job.failure] : [])]);
  return job;
}

function note(where: string, messages: string[]): void {
  for (const message of messages) written.push({ where, message });
  expect(messages.filter((m) => !importMessageMatch(m))).toEqual([]);
}

const importFile = async (path: string, body: string | Buffer, type = 'text/csv') => finished(await post(path, body, type), `${path} ${type}`);

/** A members CSV line of these columns (header MEMBERS_HEADER). */
const MEMBER_COLUMNS = ['externalId', 'displayName', 'email', 'phone', 'birthday', 'gender', 'region', 'channel', 'joinedAt', 'tierCode', 'tierExpiresAt',
  'pointsBalance', 'pointsExpireAt', 'shoeSize'];
const member = (v: Record<string, string>) => MEMBER_COLUMNS.map((c) => v[c] ?? '').join(',');

/**
 * The console's sentences no file can reach, and why. Each is in the console's unit test
 * (test/console/import-messages.test.ts) with the server's own text.
 */
const UNREACHED: Partial<Record<MessageKey, string>> = {
  'importMessage.memberNotFound': 'an earn line whose member is erased after its queue was made and before its per-line write: a race between two statements',
  'importMessage.orderNotFound': 'refundImported on an order the import itself has just recorded: it is always found',
  'importMessage.orderOtherPayload': 'an order another writer records between the check and an earn line\'s per-line write: a race (imports-races.test.ts takes the set-based one)',
  'importMessage.refundExceeds': 'the check rejects a refundedAmount above the amount first',
  'importMessage.refundBeforePurchase': 'an imported refund is dated at its purchase\'s own instant',
  'importMessage.serverStopped': 'the server stopping while an import runs (stopping.test.ts)',
  'importMessage.connectionLost': 'the server\'s process, or its connection to the database, dying while an import runs',
  'importMessage.serverError': 'an error of the server\'s, not of a file',
};

beforeAll(async () => {
  s = await startTestServer();
  admin = await s.token('admin');
});
afterAll(() => s?.stop());

describe('every sentence the server writes for an import is one the console translates', () => {
  it('a programme without its entry tier: the job fails saying so', async () => {
    const job = await importFile('/imports/members', csv(['externalId', 'msg-none']));
    expect(job.status).toBe('FAILED');
    await createLadder(s);
    expect(await importFile('/imports/members', csv(['externalId', 'msg-p1', 'msg-p2', 'msg-p3', 'msg-p4', 'msg-gone', 'msg-stays']))).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('members, CSV: each check of a line, the reader\'s faults, an unknown column', async () => {
    const long = (n: number) => 'x'.repeat(n);
    const job = await importFile('/imports/members', [
      MEMBER_COLUMNS.join(','),
      member({ displayName: 'No key' }),
      member({ externalId: long(201) }),
      member({ externalId: 'msg-m2', displayName: long(201) }),
      member({ externalId: 'msg-m3', email: 'x@' }),
      member({ externalId: 'msg-m4', phone: 'abc' }),
      member({ externalId: 'msg-m5', gender: long(33) }),
      member({ externalId: 'msg-m6', region: long(101) }),
      member({ externalId: 'msg-m7', channel: long(101) }),
      member({ externalId: 'msg-m8', birthday: '1990-02-30' }),
      member({ externalId: 'msg-m9', joinedAt: 'yesterday' }),
      member({ externalId: 'msg-m10', joinedAt: '2999-01-01T00:00:00Z' }),
      member({ externalId: 'msg-m11', joinedAt: '1960-01-01T00:00:00Z' }),
      member({ externalId: 'msg-m12', tierCode: 'NOPE' }),
      member({ externalId: 'msg-m13', tierExpiresAt: '2030-01-01T00:00:00Z' }),
      member({ externalId: 'msg-m14', tierCode: 'GOLD', tierExpiresAt: 'soon' }),
      member({ externalId: 'msg-m15', tierCode: 'GOLD', tierExpiresAt: '2020-01-01T00:00:00Z' }),
      member({ externalId: 'msg-m16', tierCode: 'GOLD', tierExpiresAt: '9999-12-31T23:00:00-14:00' }),
      member({ externalId: 'msg-m17', pointsBalance: 'abc' }),
      member({ externalId: 'msg-m18', pointsExpireAt: '2030-01-01T00:00:00Z' }),
      member({ externalId: 'msg-m19', pointsBalance: '10', pointsExpireAt: 'later' }),
      member({ externalId: 'msg-m20', pointsBalance: '10', pointsExpireAt: '2020-01-01T00:00:00Z' }),
      member({ externalId: 'msg-m21', pointsBalance: '10', pointsExpireAt: '9999-12-31T23:00:00-14:00' }),
      member({ externalId: 'msg-dup' }),
      member({ externalId: 'msg-dup' }),
      member({ externalId: 'msg-m22', displayName: long(1001) }),
      member({ externalId: 'msg-m23', displayName: 'N\u0000L' }),
      `"msg-m24"x${member({}).slice(0, -1)}`, // text after a closing quote
      `msg-m25,A"b${member({}).slice(0, -2)}`, // a quote inside an unquoted field
      'msg-m26,too,few',
      `"msg-m27${member({})}`, // a quote never closed: the rest of the file is its field
    ].join('\n'));
    expect(job).toMatchObject({ status: 'SUCCEEDED', rowsRejected: 29 });
    const plural = await importFile('/imports/members', csv(['externalId,colour,', 'msg-m28,red,']));
    expect(plural.errors).toEqual([{ line: 1, message: expect.stringMatching(/^Unknown columns /) }]);
    const latin1 = await importFile('/imports/members', Buffer.concat([Buffer.from('externalId,displayName\n'), Buffer.from('msg-m29,Jos\xe9\n', 'latin1')]));
    expect(latin1.rowsRejected).toBe(1);
    // A member erased on request, its line imported once more.
    expect((await importFile('/imports/members', csv(['externalId', 'msg-m30']))).rowsRejected).toBe(0);
    const [{ id }] = await s.sql<{ id: string }>(`select id from member where external_id = 'msg-m30'`);
    await s.admin('mutation($id: ID!) { eraseMember(memberId: $id, reason: "request") { erasedAt } }', { id });
    expect((await importFile('/imports/members', csv(['externalId', 'msg-m30']))).rowsRejected).toBe(1);
  });

  it('members, NDJSON: what JSON lines can get wrong', async () => {
    const job = await importFile('/imports/members', [
      '{not json',
      '[1]',
      '{"externalId":9007199254740993}',
      '{"externalId":true}',
      '{"externalId":"msg-\\ud800"}',
      `{"externalId":"msg-n1","displayName":"${'y'.repeat(1_000_001)}"}`,
    ].join('\n') + '\n', 'application/x-ndjson');
    expect(job).toMatchObject({ status: 'SUCCEEDED', rowsRejected: 6 });
  });

  it('purchases, history mode: each check, an order recorded otherwise, qualifying points past int', async () => {
    const header = 'orderId,externalId,amount,occurredAt,refundedAmount';
    expect(await importFile('/imports/purchases?mode=history', csv([header, `msg-o-rec,msg-p1,100,${AT},`, `msg-o-ref,msg-p1,100,${AT},10`])))
      .toMatchObject({ status: 'SUCCEEDED', rowsRejected: 0 });
    const job = await importFile('/imports/purchases?mode=history', csv([
      header,
      `,msg-p1,10,${AT},`,
      `${'o'.repeat(201)},msg-p1,10,${AT},`,
      `msg-o1,,10,${AT},`,
      `msg-o2,nobody,10,${AT},`,
      `msg-o3,msg-p1,,${AT},`,
      `msg-o4,msg-p1,1.234,${AT},`,
      `msg-o5,msg-p1,0,${AT},`,
      'msg-o6,msg-p1,10,,',
      'msg-o7,msg-p1,10,soon,',
      'msg-o8,msg-p1,10,2999-01-01T00:00:00Z,',
      'msg-o9,msg-p1,10,1960-01-01T00:00:00Z,',
      `msg-o10,msg-p1,10,${AT},x`,
      `msg-o11,msg-p1,10,${AT},20`,
      `msg-o-dup,msg-p1,10,${AT},`,
      `msg-o-dup,msg-p1,10,${AT},`,
      `msg-o-rec,msg-p1,200,${AT},`,
      `msg-o-ref,msg-p1,100,${AT},20`,
      `msg-o-big,msg-p2,1000000000000,${AT},`,
    ]));
    expect(job).toMatchObject({ status: 'SUCCEEDED', rowsRejected: 17 });
  });

  it('purchases, earn mode: points past int, a refundedAmount below what the order has had refunded', async () => {
    const header = 'orderId,externalId,amount,occurredAt,refundedAmount';
    expect(await importFile('/imports/purchases?mode=earn', csv([header, `msg-e-ref,msg-p4,100,${AT},70`]))).toMatchObject({ status: 'SUCCEEDED', rowsRejected: 0 });
    const job = await importFile('/imports/purchases?mode=earn', csv([header, `msg-e-big,msg-p3,1000000000000,${AT},`, `msg-e-ref,msg-p4,100,${AT},50`]));
    expect(job).toMatchObject({ status: 'SUCCEEDED', rowsRejected: 2 });
  });

  it('a member erased between the check and the write (no file alone reaches it: the erasure is held until the file is checked)', async () => {
    const gone = (await s.sql(`select id from member where external_id = 'msg-gone'`))[0].id as string;
    const id = await whileInTransaction(s, 'lock table purchase in exclusive mode', async () => {
      const id = await post('/imports/purchases?mode=history', csv(['orderId,externalId,amount,occurredAt', `msg-g1,msg-gone,10,${AT}`, `msg-g2,msg-stays,10,${AT}`]));
      await eventually(async () => (await s.sql(`select count(*)::int as n from pg_stat_activity
        where wait_event_type = 'Lock' and query like '%insert into purchase%' and datname = current_database()`))[0].n >= 1, 'the write to wait', 60_000);
      expect((await s.admin(`mutation { eraseMember(memberId: "${gone}", reason: "asked") { erasedAt } }`)).eraseMember.erasedAt).toBeTruthy();
      return id;
    });
    expect(await finished(id, 'erased meanwhile')).toMatchObject({ status: 'SUCCEEDED', rowsRejected: 1 });
  });

  it('an upload the client cuts off: the job fails saying so', async () => {
    const before = (await s.sql(`select count(*)::int as n from import_job where status = 'FAILED'`))[0].n as number;
    const { hostname, port } = new URL(s.url);
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), hostname, () => {
        socket.write(`POST /imports/members HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${admin}\r\nContent-Type: text/csv\r\nContent-Length: 100000\r\n\r\nexternalId\r\nmsg-cut\r\n`);
        setTimeout(() => socket.destroy(), 300);
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve());
      socket.resume();
    });
    await eventually(async () => (await s.sql(`select count(*)::int as n from import_job where status = 'FAILED'`))[0].n > before, 'the cut-off job to fail', 60_000);
    const [job] = (await s.admin<{ importJobs: { status: string; failure: string | null }[] }>('{ importJobs(first: 1) { status failure } }')).importJobs;
    expect(job.status).toBe('FAILED');
    note('cut off', [job.failure!]);
  });

  it('reached every sentence the console knows, but those no file can reach', () => {
    const reached = new Set(written.map((w) => importMessageMatch(w.message)?.key));
    const faults = new Set(written.map((w) => importMessageMatch(w.message)?.vars.fault).filter(Boolean));
    const keys = (Object.keys(en) as MessageKey[]).filter((k) => k.startsWith('importMessage.') && !k.startsWith('importMessage.csvFault.'));
    expect(keys.filter((k) => !reached.has(k) && !UNREACHED[k])).toEqual([]);
    expect(keys.filter((k) => reached.has(k) && UNREACHED[k])).toEqual([]); // reached after all: no longer on the list
    expect(faults.size).toBe(3);
  });
});
