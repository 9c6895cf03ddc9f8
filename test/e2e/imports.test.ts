import { Readable } from 'node:stream';
import { request } from 'node:http';
import v8 from 'node:v8';
import { gzipSync } from 'node:zlib';
import vm from 'node:vm';
import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { PURCHASE, expectLedgerConsistent, windowCounterDrift } from '../support/ledger';
import { eventually } from '../support/wait';
import { whileInTransaction } from '../support/sessions';

let s: TestServer;
let admin: string;
beforeAll(async () => {
  s = await startTestServer();
  admin = await s.token('admin');
  await createLadder(s);
});
afterAll(() => s.stop());

const JOB = `query($id: ID!, $after: Int) { importJob(id: $id) { id kind mode status rowsDone rowsRejected startedAt finishedAt
  errors(first: 100, afterLine: $after) { line message } } }`;

async function post(path: string, body: string | Readable, type: string, token: string | null = admin): Promise<{ status: number; json: any }> {
  if (body instanceof Readable) return postStream(path, body, type, token);
  const res = await fetch(`${s.url}${path}`, {
    method: 'POST', body: body as any, duplex: 'half',
    headers: { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  return { status: res.status, json: await res.json() };
}

/** A streamed body through node:http, which sends it with back-pressure (chunked) as the server reads it. */
function postStream(path: string, body: Readable, type: string, token: string | null): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = request(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => { text += c; }).on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) }));
    });
    req.on('error', reject);
    body.pipe(req);
  });
}

/** Posts a file and waits for its job to end; returns the job. */
async function importFile(path: string, body: string | Readable, type = 'text/csv', ms = 120_000): Promise<any> {
  const r = await post(path, body, type);
  expect(r.status).toBe(202);
  let job: any;
  await eventually(async () => {
    job = (await s.admin(JOB, { id: r.json.id })).importJob;
    return job.status !== 'RUNNING';
  }, 'the import to end', ms);
  if (job.status === 'FAILED') job.failure = (await s.sql('select failure from import_job where id = $1', [job.id]))[0].failure;
  return job;
}

const csv = (rows: string[]) => rows.join('\n') + '\n';

describe('members import', () => {
  it('a member on the entry tier is on it since it joined, as registerMember has it; a tier the file gives, since the import', async () => {
    const before = new Date();
    await importFile('/imports/members', csv(['externalId,joinedAt,tierCode', 'since-1,2025-10-07T10:00:00Z,', 'since-2,,', 'since-3,2025-10-07T10:00:00Z,SILVER']));
    const rows = await s.sql<{ external_id: string; joined_at: Date; tier_since: Date }>(
      `select external_id, joined_at, tier_since from member where external_id like 'since-%' order by external_id`);
    expect(rows[0].tier_since.toISOString()).toBe('2025-10-07T10:00:00.000Z');
    expect(rows[1].tier_since.getTime()).toBe(rows[1].joined_at.getTime()); // no joinedAt: both the import's instant
    expect(rows[1].tier_since.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000);
    expect(rows[2].tier_since.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000); // its 'import' tier change's instant
    const api = await registerMember(s, { externalId: 'since-api', joinedAt: '2025-10-07T10:00:00Z' });
    const [reg] = await s.sql<{ tier_since: Date }>('select tier_since from member where id = $1', [api]);
    expect(reg.tier_since.toISOString()).toBe(rows[0].tier_since.toISOString());
  });

  it('creates members with their opening state, rejects bad lines with their line numbers, and a second run changes nothing', async () => {
    const file = csv([
      'externalId,displayName,email,birthday,joinedAt,tierCode,tierExpiresAt,pointsBalance,pointsExpireAt,shoeSize',
      'imp-1,Ann,ann@example.com,1990-04-01,2020-01-02T03:04:05Z,GOLD,2030-01-01T00:00:00Z,1200,2029-06-30T00:00:00Z,42',
      'imp-2,"Bo, Jr.",,,,,,,,',
      'imp-3,Cy,,1990-02-30,,,,,,',
      ',NoKey,,,,,,,,',
      'imp-4,Di,,,,NOPE,,,,',
      'imp-5,Ed,,,,SILVER,,50,,',
      'imp-1,Again,,,,,,,,',
      'imp-6,Fay,,,,,,abc,,',
      'imp-7,"Gus',
      'Junior",,,,,,,,',
      'imp-8,Hal,,,,,2020-01-01T00:00:00Z,,,',
      'imp-9,Ivy,,,,BRONZE,,,,',
    ]);
    const job = await importFile('/imports/members', file);
    expect(job.failure).toBeUndefined();
    expect(job.status).toBe('SUCCEEDED');
    expect(job.kind).toBe('MEMBERS');
    expect(job.mode).toBeNull(); // a mode is a purchases import's
    expect(job.errors).toEqual([
      { line: 1, message: expect.stringContaining('shoeSize') },
      { line: 4, message: expect.stringContaining('birthday') },
      { line: 5, message: 'externalId is required' },
      { line: 6, message: expect.stringContaining('tierCode NOPE') },
      { line: 8, message: expect.stringContaining('also on line 2') },
      { line: 9, message: expect.stringContaining('pointsBalance') },
      { line: 12, message: expect.stringContaining('tierExpiresAt needs a tierCode') },
    ]);
    expect(job.rowsRejected).toBe(6); // line 1's note about an unknown column is not a rejected line
    expect(job.rowsDone).toBe(5); // imp-1, imp-2, imp-5, imp-7 (its name spans lines 10 and 11), imp-9
    const [ann] = await s.sql(`select m.*, t.code from member m join tier t on t.id = m.tier_id where external_id = 'imp-1'`);
    expect(ann).toMatchObject({ display_name: 'Ann', email: 'ann@example.com', code: 'GOLD' });
    expect(ann.tier_expires_at.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect(ann.joined_at.toISOString()).toBe('2020-01-02T03:04:05.000Z');
    const [bo] = await s.sql(`select display_name from member where external_id = 'imp-2'`);
    expect(bo.display_name).toBe('Bo, Jr.');
    const [gus] = await s.sql(`select display_name from member where external_id = 'imp-7'`);
    expect(gus.display_name).toBe('Gus\nJunior');
    const ledger = await s.sql(`select t.type, t.amount, t.balance_after, t.expires_at, a.balance, l.remaining
      from member m join point_account a on a.member_id = m.id join point_transaction t on t.member_id = m.id join point_lot l on l.transaction_id = t.id
      where m.external_id = 'imp-1'`);
    expect(ledger).toEqual([{ type: 'OPENING_BALANCE', amount: 1200, balance_after: 1200, expires_at: new Date('2029-06-30T00:00:00Z'), balance: 1200, remaining: 1200 }]);
    const changes = await s.sql(`select m.external_id, c.kind, c.reason, t.code from tier_change c join member m on m.id = c.member_id join tier t on t.id = c.to_tier_id
      where m.external_id like 'imp-%' order by 1`);
    expect(changes).toEqual([
      { external_id: 'imp-1', kind: 'UPGRADE', reason: 'import', code: 'GOLD' },
      { external_id: 'imp-5', kind: 'UPGRADE', reason: 'import', code: 'SILVER' },
      { external_id: 'imp-9', kind: 'RENEWAL', reason: 'import', code: 'BRONZE' },
    ]);
    // The tier counts follow (tier_member_delta), the ledger holds, the window counters agree.
    const counts = await s.admin(`{ tiers { code memberCount } }`);
    expect(counts.tiers.find((t: any) => t.code === 'GOLD').memberCount).toBeGreaterThanOrEqual(1);
    await expectLedgerConsistent(s);
    expect(await windowCounterDrift(s)).toEqual([]);

    const before = await s.sql(`select m.*, a.balance from member m join point_account a on a.member_id = m.id order by m.id`);
    const again = await importFile('/imports/members', file);
    expect(again.status).toBe('SUCCEEDED');
    expect(await s.sql(`select m.*, a.balance from member m join point_account a on a.member_id = m.id order by m.id`)).toEqual(before);
    expect(await s.sql(`select count(*)::int as n from point_transaction where type = 'OPENING_BALANCE'`)).toEqual([{ n: 2 }]);
  });

  it('checks the profile as registerMember does: each bad value rejected with its line, the good lines in', async () => {
    const file = csv([
      'externalId,displayName,email,phone,gender,joinedAt',
      `chk-1,${'a'.repeat(201)},,,,`,
      'chk-2,Bee,x@,,,',
      'chk-3,Cee,not-an-email,,,',
      'chk-4,Dee,,abc,,',
      `chk-5,Eve,,,${'g'.repeat(33)},`,
      'chk-6,Fay,,,,1960-01-01T00:00:00Z',
      'chk-7,Gil,gil@example.com,+86 (10) 1234-5678,f,2020-01-01T00:00:00Z',
      'chk-8,Hal,,---,,',
    ]);
    const job = await importFile('/imports/members', file);
    expect(job.errors).toEqual([
      { line: 2, message: 'displayName must be at most 200 characters' },
      { line: 3, message: 'email must be an email' },
      { line: 4, message: 'email must be an email' },
      { line: 5, message: 'phone must be digits, spaces, ( ) - and a leading + (at least one digit)' },
      { line: 6, message: 'gender must be at most 32 characters' },
      { line: 7, message: 'joinedAt must not be before 1970-01-01' },
      { line: 9, message: 'phone must be digits, spaces, ( ) - and a leading + (at least one digit)' },
    ]);
    expect(job.rowsDone).toBe(1);
    expect(await s.sql(`select external_id from member where external_id like 'chk-%'`)).toEqual([{ external_id: 'chk-7' }]);
    const old = await importFile('/imports/purchases?mode=history', csv(['orderId,externalId,amount,occurredAt', 'chk-o1,chk-7,10,1960-01-01T00:00:00Z']));
    expect(old.errors).toEqual([{ line: 2, message: 'occurredAt must not be before 1970-01-01' }]);
    // The same values through registerMember are refused too.
    for (const input of [{ displayName: 'a'.repeat(201) }, { email: 'x@' }, { email: 'not-an-email' }, { phone: 'abc' }, { phone: '---' }, { phone: '   ' }, { gender: 'g'.repeat(33) }]) {
      const r = await s.gql('mutation($i: RegisterMemberInput!) { registerMember(input: $i) { id } }', { i: { externalId: 'chk-api', ...input } }, await s.token('admin'));
      expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('a known externalId gets the profile fields the file gives, never points, tier or joinedAt', async () => {
    const id = await registerMember(s, { externalId: 'known-1', displayName: 'Old', email: 'old@example.com', joinedAt: '2020-01-01T00:00:00Z' });
    const job = await importFile('/imports/members', csv(['externalId,displayName,tierCode,pointsBalance,joinedAt', 'known-1,New,PLATINUM,999,2022-06-01T00:00:00Z']));
    expect(job.rowsDone).toBe(1);
    const [m] = await s.sql(`select m.display_name, m.email, t.code, a.balance, m.joined_at = m.tier_since as "sinceJoined",
      to_char(m.joined_at at time zone 'UTC', 'YYYY-MM-DD') as joined from member m join tier t on t.id = m.tier_id
      join point_account a on a.member_id = m.id where m.id = $1`, [id]);
    expect(m).toEqual({ display_name: 'New', email: 'old@example.com', code: 'BRONZE', balance: 0, sinceJoined: true, joined: '2020-01-01' });
  });

  it('a key on a rejected line and then on a valid one: the valid line is taken, and only a later valid copy is "also on line"', async () => {
    const job = await importFile('/imports/members', csv([
      'externalId,displayName,pointsBalance',
      'dup-first-bad,Bad,-1', 'dup-first-bad,Good,100', 'dup-first-bad,Again,100', 'dup-both-bad,X,-1', 'dup-both-bad,Y,abc',
    ]));
    expect(job.errors).toEqual([
      { line: 2, message: expect.stringContaining('pointsBalance') },
      { line: 4, message: 'externalId dup-first-bad is also on line 3 (that line is the one taken)' },
      { line: 5, message: expect.stringContaining('pointsBalance') },
      { line: 6, message: expect.stringContaining('pointsBalance') },
    ]);
    expect(job.rowsDone).toBe(1);
    const [m] = await s.sql(`select m.display_name, a.balance from member m join point_account a on a.member_id = m.id where m.external_id = 'dup-first-bad'`);
    expect(m).toEqual({ display_name: 'Good', balance: 100 });
  });

  it('reads NDJSON: line 1 is the first object', async () => {
    const body = [
      JSON.stringify({ externalId: 'nd-1', displayName: 'Nd', pointsBalance: 10 }),
      '{not json',
      '',
      JSON.stringify([1]),
      JSON.stringify({ externalId: 'nd-2', birthday: '2001-12-31', gender: 'F' }),
    ].join('\n');
    const job = await importFile('/imports/members', body, 'application/x-ndjson');
    expect(job.errors).toEqual([{ line: 2, message: 'Not valid JSON' }, { line: 4, message: 'Each line must be a JSON object' }]);
    expect(job.rowsDone).toBe(2);
    expect(await s.sql(`select a.balance from member m join point_account a on a.member_id = m.id where m.external_id = 'nd-1'`)).toEqual([{ balance: 10 }]);
  });
});

describe('what editors write', () => {
  it('a byte order mark before a quoted CSV header row, or before the first NDJSON object, is dropped', async () => {
    const quoted = await importFile('/imports/members', '\uFEFF"externalId","displayName"\r\n"bom-1","Mei, Chen"\r\n"bom-2","Two\r\nlines"\r\n');
    expect(quoted).toMatchObject({ status: 'SUCCEEDED', rowsDone: 2, rowsRejected: 0, errors: [] });
    const nd = await importFile('/imports/members', '\uFEFF{"externalId":"bom-3"}\n{"externalId":"bom-4"}\n', 'application/x-ndjson');
    expect(nd).toMatchObject({ status: 'SUCCEEDED', rowsDone: 2, rowsRejected: 0, errors: [] });
    expect(await s.sql(`select external_id, display_name from member where external_id like 'bom-%' order by 1`)).toEqual([
      { external_id: 'bom-1', display_name: 'Mei, Chen' }, { external_id: 'bom-2', display_name: 'Two\r\nlines' },
      { external_id: 'bom-3', display_name: null }, { external_id: 'bom-4', display_name: null },
    ]);
  });

  it('a header row with unnamed columns (a spreadsheet\'s trailing commas) notes them by place on line 1', async () => {
    const job = await importFile('/imports/members', 'externalId,displayName,,\nunnamed-1,A,,\n');
    expect(job).toMatchObject({ status: 'SUCCEEDED', rowsDone: 1, rowsRejected: 0 });
    expect(job.errors).toEqual([{ line: 1, message: 'Unknown columns (unnamed column 3), (unnamed column 4): ignored (the other columns were read)' }]);
  });

  it('an email registerMember refuses is a rejected line, as the API refuses it', async () => {
    const job = await importFile('/imports/members', 'externalId,email\nmail-1,a@b.c\nmail-2,x@y..com\nmail-3,mei@example.com\nmail-4,"""john doe""@example.com"\n');
    expect(job).toMatchObject({ status: 'SUCCEEDED', rowsDone: 2, rowsRejected: 2 });
    expect(await s.sql(`select email from member where external_id = 'mail-4'`)).toEqual([{ email: '"john doe"@example.com' }]);
    expect(job.errors).toEqual([{ line: 2, message: 'email must be an email' }, { line: 3, message: 'email must be an email' }]);
    const api = await s.gql('mutation { registerMember(input: { externalId: "mail-api", email: "a@b.c" }) { id } }', {}, await s.token('admin'));
    expect(api.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it("NDJSON keys that are no column (a misspelt name) get a CSV's unknown-column note, on line 0 (line 1 is an object, still read)", async () => {
    const job = await importFile('/imports/members', '{"externalId":"keys-1","display_name":"A","Email":"a@example.com"}\n{"externalId":"keys-2","Email":"b@example.com"}\n', 'application/x-ndjson');
    expect(job).toMatchObject({ status: 'SUCCEEDED', rowsDone: 2, rowsRejected: 0 });
    expect(job.errors).toEqual([{ line: 0, message: 'Unknown columns display_name, Email: ignored (the other columns were read)' }]);
    expect(await s.sql(`select external_id from member where external_id like 'keys-%' order by 1`)).toEqual([{ external_id: 'keys-1' }, { external_id: 'keys-2' }]);
  });

  it('a line with bytes that are no UTF-8 (a Windows-1252 export) is rejected, not imported with U+FFFD in its values', async () => {
    const body = Buffer.concat([Buffer.from('externalId,displayName\nlatin-ok,Jos\u00e9\n'), Buffer.from('latin-bad,Jos\xe9 M\xfcller\n', 'latin1')]);
    const job = await importFile('/imports/members', body as unknown as string);
    expect(job).toMatchObject({ status: 'SUCCEEDED', rowsDone: 1, rowsRejected: 1 });
    expect(job.errors).toEqual([{ line: 3, message: 'The line is not valid UTF-8 (a byte that is no UTF-8 character, as a Latin-1 or Windows-1252 file has): save the file as UTF-8' }]);
    expect(await s.sql(`select external_id, display_name from member where external_id like 'latin-%' order by 1`)).toEqual([{ external_id: 'latin-ok', display_name: 'José' }]);
  });

  it('a value with a NUL, or half of a surrogate pair from a JSON escape, is a rejected line: dropped or replaced, it was another member\'s or order\'s key', async () => {
    const first = await importFile('/imports/members', csv(['externalId,displayName', 'victim-R,Victim Original', 'victim-S,Second']));
    expect(first).toMatchObject({ status: 'SUCCEEDED', rowsDone: 2, rowsRejected: 0 });
    const job = await importFile('/imports/members', csv(['externalId,displayName', 'vic\u0000tim-R,Overwritten By Other Key', 'victim-S,Na\u0000me', 'victim-T,Fine']));
    expect(job).toMatchObject({ status: 'SUCCEEDED', rowsDone: 1, rowsRejected: 2 });
    const NUL = 'A value holds a NUL character (U+0000), which cannot be stored: remove it from the file';
    expect(job.errors).toEqual([{ line: 2, message: NUL }, { line: 3, message: NUL }]);
    expect(await s.sql(`select external_id, display_name from member where external_id like 'victim-%' order by 1`)).toEqual([
      { external_id: 'victim-R', display_name: 'Victim Original' }, { external_id: 'victim-S', display_name: 'Second' }, { external_id: 'victim-T', display_name: 'Fine' },
    ]);
    const ndjson = await importFile('/imports/members', '{"externalId":"vic\\u0000tim-R","displayName":"X"}\n{"externalId":"victim-\\ud800","displayName":"Y"}\n', 'application/x-ndjson');
    expect(ndjson).toMatchObject({ status: 'SUCCEEDED', rowsDone: 0, rowsRejected: 2 });
    expect(ndjson.errors).toEqual([
      { line: 1, message: NUL }, { line: 2, message: 'A value holds half of a UTF-16 surrogate pair on its own (such as \\ud800 in JSON): it is not well-formed Unicode' },
    ]);
    expect(await s.sql(`select count(*)::int as n from member where external_id like 'victim-%' or display_name in ('X', 'Y')`)).toEqual([{ n: 3 }]);
  });

  it('an NDJSON number too large for JSON.parse to keep exactly is a rejected line, not another member\'s externalId', async () => {
    const job = await importFile('/imports/members', '{"externalId":9007199254740993}\n{"externalId":"9007199254740992"}\n{"externalId":9007199254740991}\n', 'application/x-ndjson');
    expect(job).toMatchObject({ status: 'SUCCEEDED', rowsDone: 2, rowsRejected: 1 });
    expect(job.errors).toEqual([{ line: 1, message: 'externalId is a number too large to read exactly: write it as a string' }]);
    expect(await s.sql(`select external_id from member where external_id like '900719925474099%' order by 1`)).toEqual([
      { external_id: '9007199254740991' }, { external_id: '9007199254740992' },
    ]);
  });

  it('a CSV record longer than the limit (a quote never closed, a huge field) is a rejected line, and the lines after it go in', async () => {
    const huge = 'y'.repeat(700_000);
    const job = await importFile('/imports/members', `externalId,displayName\nlong-1,"${huge}\n${huge}"\nlong-2,fine\nlong-3,"${huge}${huge}`);
    expect(job).toMatchObject({ status: 'SUCCEEDED', rowsDone: 1, rowsRejected: 2 });
    expect(job.errors).toEqual([
      { line: 2, message: 'The line is longer than 1000000 characters' }, { line: 5, message: 'The line is longer than 1000000 characters' },
    ]);
  });
});

describe('a member erased on request', () => {
  it('is not created again by the go-live file imported once more; a person who registers again is updated by it as any member', async () => {
    const file = 'externalId,displayName,email,tierCode,pointsBalance\nerased-1,Erin Erased,erin@example.com,GOLD,5000\n';
    expect(await importFile('/imports/members', file)).toMatchObject({ status: 'SUCCEEDED', rowsDone: 1, rowsRejected: 0 });
    const [{ id }] = await s.sql<{ id: string }>(`select id from member where external_id = 'erased-1'`);
    const erased = await s.gql('mutation($id: ID!) { eraseMember(memberId: $id, reason: "request") { erasedAt } }', { id }, await s.token('admin'));
    expect(erased.errors).toBeUndefined();
    const again = await importFile('/imports/members', file);
    expect(again).toMatchObject({ status: 'SUCCEEDED', rowsDone: 0, rowsRejected: 1 });
    expect(again.errors).toEqual([{ line: 2, message: 'externalId is the key of a member erased on request: the import does not create the person again (registerMember does, if they join again)' }]);
    expect(await s.sql(`select count(*)::int as n from member where external_id = 'erased-1' or email = 'erin@example.com'`)).toEqual([{ n: 0 }]);
    // Nothing of the key is kept but its digest.
    expect(await s.sql(`select count(*)::int as n from import_erased_key where digest = sha256(convert_to('erased-1', 'UTF8'))`)).toEqual([{ n: 1 }]);
    // The person joins again by their own act: the file then updates the new member's profile, and hands out no opening state.
    const back = await registerMember(s, { externalId: 'erased-1' });
    expect(await importFile('/imports/members', file)).toMatchObject({ status: 'SUCCEEDED', rowsDone: 1, rowsRejected: 0 });
    const { member } = await s.admin('query($id: ID!) { member(id: $id) { displayName pointsBalance tier { code } } }', { id: back });
    expect(member).toEqual({ displayName: 'Erin Erased', pointsBalance: 0, tier: { code: 'BRONZE' } });
  });
});

describe('the HTTP route', () => {
  it('refuses a missing or wrong token, a member token, a bad mode or content type, and an unusable header: never a 5xx', async () => {
    expect((await post('/imports/members', 'externalId\nx\n', 'text/csv', null)).status).toBe(401);
    expect((await post('/imports/members', 'externalId\nx\n', 'text/csv', 'nonsense')).status).toBe(401);
    const member = await s.token('member', '00000000-0000-4000-8000-000000000000');
    const forbidden = await post('/imports/members', 'externalId\nx\n', 'text/csv', member);
    expect(forbidden.status).toBe(403);
    expect(forbidden.json.errors[0].extensions.code).toBe('FORBIDDEN');
    expect((await post('/imports/members', 'externalId\nx\n', 'text/csv', await s.token('service'))).status).toBe(403);
    const mode = await post('/imports/purchases?mode=free', 'orderId\n', 'text/csv');
    expect(mode.status).toBe(400);
    expect(mode.json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect((await post('/imports/purchases', 'orderId\n', 'text/csv')).status).toBe(400);
    const type = await post('/imports/members', '{}', 'application/json');
    expect(type.status).toBe(415);
    expect(type.json.errors[0].message).toMatch(/text\/csv/);
    const header = await post('/imports/members', 'name,email\nx,y\n', 'text/csv');
    expect(header.status).toBe(400);
    expect(header.json.errors[0].message).toMatch(/externalId/);
    // A refused file changes nothing: no job is left behind (the answer says why).
    const jobs = async () => (await s.admin(`{ importJobs(first: 100) { id } }`)).importJobs.length;
    const rows = async () => (await s.sql(`select count(*)::int as n from import_job`))[0].n;
    const [before, rowsBefore] = [await jobs(), await rows()];
    expect((await post('/imports/members', 'name,email\nx,y\n', 'text/csv')).status).toBe(400);
    expect((await post('/imports/members', '', 'text/csv')).status).toBe(400);
    // NDJSON with nothing in it (no line, or blank lines only: an export that produced nothing) is no file either.
    for (const body of ['', '\n\n  \r\n']) {
      const empty = await post('/imports/members', body, 'application/x-ndjson');
      expect(empty).toEqual({ status: 400, json: { errors: [expect.objectContaining({ message: 'The file is empty: NDJSON has one JSON object per line' })] } });
    }
    expect([await jobs(), await rows()]).toEqual([before, rowsBefore]);
    const semicolons = await post('/imports/members', 'externalId;displayName\nx;y\n', 'text/csv');
    expect(semicolons.json.errors[0].message).toBe('The header row (line 1) lacks the required column externalId (the row reads as one column: separate the columns with commas, not semicolons)');
    const nul = await post('/imports/members', 'externalId,na\u0000me\nx,y\n', 'text/csv');
    expect(nul).toEqual({ status: 400, json: { errors: [expect.objectContaining({ message: 'The header row (line 1) holds a NUL character (U+0000): remove it from the file' })] } });
    // A UTF-16 file (a spreadsheet's "Unicode text") is told so, not as a NUL in its header row.
    for (const bom of [[0xff, 0xfe], [0xfe, 0xff]]) {
      const text = Buffer.from('externalId\nutf16\n', 'utf16le');
      const body = bom[0] === 0xff ? text : Buffer.from(text.map((_, i) => text[i ^ 1]));
      const wide = await post('/imports/members', Readable.from([Buffer.concat([Buffer.from(bom), body])]), 'text/csv');
      expect(wide).toEqual({ status: 400, json: { errors: [expect.objectContaining({ message: 'The file is UTF-16 (it begins with a UTF-16 byte order mark): save it as UTF-8, e.g. "CSV UTF-8"' })] } });
    }
    const fine = await importFile('/imports/members', 'externalId\nroute-ok\n');
    expect((await s.admin(`query($id: ID!) { importJob(id: $id) { status failure } }`, { id: fine.id })).importJob).toEqual({ status: 'SUCCEEDED', failure: null });
  });
});

describe('purchases import', () => {
  beforeAll(async () => {
    await importFile('/imports/members', csv(['externalId', 'p-1', 'p-2', 'p-3', 'p-4']));
  });

  it('an orderId on a rejected line (no such member) and then on a valid one: the valid line is recorded', async () => {
    await importFile('/imports/members', csv(['externalId', 'p-dup'])); // a member of its own: the other tests count p-1's entries
    const job = await importFile('/imports/purchases?mode=history', csv([
      'orderId,externalId,amount,occurredAt', 'dup-o1,p-typo,10.00,2025-01-01T00:00:00Z', 'dup-o1,p-dup,10.00,2025-01-01T00:00:00Z', 'dup-o1,p-dup,10.00,2025-01-01T00:00:00Z',
    ]));
    expect(job).toMatchObject({ kind: 'PURCHASES', mode: 'HISTORY' });
    expect(job.errors).toEqual([
      { line: 2, message: 'No member has externalId p-typo' },
      { line: 4, message: 'orderId dup-o1 is also on line 3 (that line is the one taken)' },
    ]);
    expect(job.rowsDone).toBe(1);
    const [p] = await s.sql(`select p.amount_cents::int as cents from purchase p join member m on m.id = p.member_id where p.order_id = 'dup-o1' and m.external_id = 'p-dup'`);
    expect(p).toEqual({ cents: 1000 });
  });

  it('an instant PostgreSQL cannot read (an offset out of range, a day the month lacks) is a rejected line, never a failed job', async () => {
    await importFile('/imports/members', csv(['externalId', 'tz-p']));
    const header = 'orderId,externalId,amount,occurredAt,refundedAmount';
    const lines = [
      'tz-ok,tz-p,10,2026-11-30T22:31:12.623Z,',
      'tz-1,tz-p,10,2026-11-20T10:00:00+25:00,',
      'tz-2,tz-p,10,2026-11-01T10:00:00-16:00,',
      'tz-3,tz-p,10,2026-11-02T10:00:00+05:75,',
      'tz-4,tz-p,10,2025-02-29T10:00:00Z,',
      'tz-5,tz-p,10,2026-04-31,',
      'tz-leap,tz-p,10,2024-02-29T10:00:00+14:00,',
      'tz-east,tz-p,10,2026-10-31T23:59:59-12:00,',
    ];
    const job = await importFile('/imports/purchases?mode=history', csv([header, ...lines]));
    expect({ ...job, failure: job.failure ?? null }).toMatchObject({ status: 'SUCCEEDED', rowsDone: 3, failure: null });
    expect(job.errors).toEqual([2, 3, 4, 5, 6].map((n) => n + 1).map((line) => ({ line, message: 'occurredAt must be an ISO-8601 date-time' })));
    expect(await s.sql(`select order_id, occurred_at from purchase where order_id like 'tz-%' order by order_id`)).toEqual([
      { order_id: 'tz-east', occurred_at: new Date('2026-11-01T11:59:59Z') },
      { order_id: 'tz-leap', occurred_at: new Date('2024-02-28T20:00:00Z') },
      { order_id: 'tz-ok', occurred_at: new Date('2026-11-30T22:31:12.623Z') },
    ]);
    // The members file's instants, and its birthdays, the same way.
    const members = await importFile('/imports/members', csv(['externalId,birthday,tierExpiresAt',
      'tz-m1,1990-02-28,2030-01-01T00:00:00+25:00', 'tz-m2,1990-02-29,', 'tz-m3,1992-02-29,', 'tz-m4,0000-01-01,']));
    expect(members).toMatchObject({ status: 'SUCCEEDED', rowsDone: 1 });
    expect(members.errors.map((e: { line: number }) => e.line)).toEqual([2, 3, 5]);
  });

  it('history: records purchases without points, decides each member\'s tier once from its window, and skips what is in already', async () => {
    const now = Date.now();
    const day = (d: number) => new Date(now - d * 86_400_000).toISOString();
    const file = csv([
      'orderId,externalId,amount,occurredAt,refundedAmount',
      `h-1,p-1,3000.00,${day(30)},`,
      `h-2,p-1,2500.50,${day(20)},500`,
      `h-3,p-2,99.99,${day(900)},`, // outside the window
      'h-4,nobody,10,2024-01-01T00:00:00Z,',
      `h-5,p-1,12.345,${day(1)},`,
      `h-6,p-1,10,${day(1)},20`,
      `h-1,p-1,3000.00,${day(30)},`,
    ]);
    const job = await importFile('/imports/purchases?mode=history', file);
    expect(job.errors.map((e: any) => e.line)).toEqual([5, 6, 7, 8]);
    expect(job.rowsDone).toBe(3);
    const [p1] = await s.sql(`select t.code, m.tier_since, a.balance from member m join tier t on t.id = m.tier_id join point_account a on a.member_id = m.id
      where m.external_id = 'p-1'`);
    // 3000 + 2500 (floor of 2500.50) − 499 (its refunded share, floored) = 5001 qualifying points in the window: GOLD, decided once.
    expect(p1.code).toBe('GOLD');
    expect(p1.balance).toBe(0);
    const changes = await s.sql(`select c.kind, c.qualifying_points from tier_change c join member m on m.id = c.member_id where m.external_id = 'p-1'`);
    expect(changes).toEqual([{ kind: 'UPGRADE', qualifying_points: 5001 }]);
    expect(await s.sql(`select order_id, earned_points, qualifying_points, reversed_qualifying, refunded_cents::int, source from purchase where order_id like 'h-%' order by 1`)).toEqual([
      { order_id: 'h-1', earned_points: 0, qualifying_points: 3000, reversed_qualifying: 0, refunded_cents: 0, source: 'import' },
      { order_id: 'h-2', earned_points: 0, qualifying_points: 2500, reversed_qualifying: 499, refunded_cents: 50000, source: 'import' },
      { order_id: 'h-3', earned_points: 0, qualifying_points: 99, reversed_qualifying: 0, refunded_cents: 0, source: 'import' },
    ]);
    const [p2] = await s.sql(`select t.code from member m join tier t on t.id = m.tier_id where m.external_id = 'p-2'`);
    expect(p2.code).toBe('BRONZE');
    expect(await windowCounterDrift(s)).toEqual([]);
    await expectLedgerConsistent(s);

    const again = await importFile('/imports/purchases?mode=history', file);
    expect(again.rowsDone).toBe(3);
    expect(await s.sql(`select count(*)::int as n from tier_change c join member m on m.id = c.member_id where m.external_id = 'p-1'`)).toEqual([{ n: 1 }]);
    expect(await s.sql(`select count(*)::int as n from qualifying_entry q join member m on m.id = q.member_id where m.external_id = 'p-1'`)).toEqual([{ n: 2 }]);
  });

  it('history: what refundedAmount refunded counts as refunded from the purchase on in the analytics (RFM, lifecycle, growth; found by an outside audit)', async () => {
    const now = Date.now();
    const day = (d: number) => new Date(now - d * 86_400_000).toISOString();
    const [whole, part] = [await registerMember(s, { externalId: 'hr-whole', joinedAt: day(100) }), await registerMember(s, { externalId: 'hr-part', joinedAt: day(100) })];
    const job = await importFile('/imports/purchases?mode=history', csv([
      'orderId,externalId,amount,occurredAt,refundedAmount',
      `hr-1,hr-whole,100.00,${day(10)},100.00`, // refunded in full: no purchase in the analytics
      `hr-2,hr-part,50.00,${day(20)},20.00`, // 30 net
      `hr-3,hr-part,10.00,${day(40)},`,
    ]));
    expect(job.rowsDone).toBe(3);
    await s.admin('mutation($a: DateTime!) { refreshRetention(asOf: $a) { processed } }', { a: new Date(now).toISOString() });
    const shown = async (id: string) => (await s.admin<any>('query($id: ID!) { member(id: $id) { lifecycleStage rfm { recencyDays frequency monetary } } }', { id })).member;
    expect(await shown(whole)).toEqual({ lifecycleStage: 'PROSPECT', rfm: null });
    expect((await shown(part)).rfm).toEqual({ recencyDays: 20, frequency: 2, monetary: 40 });
    // The month of the order refunded in full has no active member from it.
    const month = day(10).slice(0, 7);
    const growth = (await s.admin<any>('query($f: DateTime!, $t: DateTime!) { growth(from: $f, to: $t) { period active } }',
      { f: `${month}-01T00:00:00.000Z`, t: new Date(now).toISOString() })).growth;
    const before = growth.find((g: { period: string }) => g.period === month).active;
    await s.sql(`update purchase set refunded_cents = 0 where order_id = 'hr-1'`); // as if it had not been refunded
    const after = (await s.admin<any>('query($f: DateTime!, $t: DateTime!) { growth(from: $f, to: $t) { period active } }',
      { f: `${month}-01T00:00:00.000Z`, t: new Date(now).toISOString() })).growth.find((g: { period: string }) => g.period === month).active;
    expect(after).toBe(before + 1);
    await s.sql(`update purchase set refunded_cents = 10000 where order_id = 'hr-1'`);
  });

  it('earn: each purchase earns as recordPurchase would, in date order per member', async () => {
    const file = csv([
      'orderId,externalId,amount,occurredAt,refundedAmount',
      'e-2,p-3,1000,2026-11-02T00:00:00Z,',
      'e-1,p-3,1000,2026-11-01T00:00:00Z,',
      'e-3,p-3,100,2026-11-03T00:00:00Z,40',
    ]);
    const job = await importFile('/imports/purchases?mode=earn', file);
    expect(job).toMatchObject({ status: 'SUCCEEDED', kind: 'PURCHASES', mode: 'EARN' });
    expect(job.errors).toEqual([]);
    expect(job.rowsDone).toBe(3);
    // The same purchases over the API for a twin member.
    const twin = await registerMember(s, { externalId: 'p-3-twin' });
    const service = await s.token('service');
    for (const [orderId, amount, at] of [['t-1', 1000, '2026-11-01T00:00:00Z'], ['t-2', 1000, '2026-11-02T00:00:00Z'], ['t-3', 100, '2026-11-03T00:00:00Z']] as const) {
      const r = await s.gql(PURCHASE, { input: { memberId: twin, orderId, amount, occurredAt: at } }, service);
      expect(r.errors).toBeUndefined();
    }
    const refund = await s.gql(`mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned } }`,
      { i: { orderId: 't-3', refundId: 'twin-t-3', amount: 40, occurredAt: '2026-11-03T00:00:00Z' } }, service);
    expect(refund.errors).toBeUndefined();
    const state = (ext: string) => s.sql(`select t.code, a.balance, a.lifetime_earned, (select array_agg(p.earned_points order by p.occurred_at) from purchase p where p.member_id = m.id) as earned
      from member m join tier t on t.id = m.tier_id join point_account a on a.member_id = m.id where m.external_id = $1`, [ext]);
    expect(await state('p-3')).toEqual(await state('p-3-twin'));
    expect(await s.sql(`select source from purchase where order_id like 'e-%'`)).toEqual([{ source: 'import' }, { source: 'import' }, { source: 'import' }]);
    await expectLedgerConsistent(s);
    expect(await windowCounterDrift(s)).toEqual([]);
  });

  it('refundedAmount is the order\'s refunded total: an order refunded already (through the API, or by a history import) is not refunded again', async () => {
    const m = await registerMember(s, { externalId: 'p-rf' });
    const service = await s.token('service');
    const gql = async (q: string, v: Record<string, unknown>) => { const r = await s.gql(q, v, service); expect(r.errors).toBeUndefined(); return r.data!; };
    await gql(PURCHASE, { input: { memberId: m, orderId: 'rf-1', amount: 100, occurredAt: '2026-11-02T10:00:00Z' } });
    await gql(`mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned } }`, { i: { orderId: 'rf-1', refundId: 'rf-1-r', amount: 40 } });
    const state = async () => (await s.sql(`select a.balance, (select refunded_cents::int from purchase where order_id = 'rf-1') as refunded,
        (select count(*)::int from refund where order_id = 'rf-1') as refunds from point_account a where a.member_id = $1`, [m]))[0];
    expect(await state()).toEqual({ balance: 60, refunded: 4000, refunds: 1 });
    const header = 'orderId,externalId,amount,occurredAt,refundedAmount';
    const same = await importFile('/imports/purchases?mode=earn', csv([header, 'rf-1,p-rf,100,2026-11-02T10:00:00Z,40']));
    expect(same).toMatchObject({ status: 'SUCCEEDED', rowsDone: 1, errors: [] });
    expect(await state()).toEqual({ balance: 60, refunded: 4000, refunds: 1 });
    // More refunded since: the difference; less than the order has had: the line is rejected, nothing changes.
    expect(await importFile('/imports/purchases?mode=earn', csv([header, 'rf-1,p-rf,100,2026-11-02T10:00:00Z,70']))).toMatchObject({ rowsDone: 1, errors: [] });
    expect(await state()).toEqual({ balance: 30, refunded: 7000, refunds: 2 });
    const less = await importFile('/imports/purchases?mode=earn', csv([header, 'rf-1,p-rf,100,2026-11-02T10:00:00Z,50']));
    expect(less.errors).toEqual([expect.objectContaining({ line: 2, message: expect.stringMatching(/refunded already/) })]);
    expect(await state()).toEqual({ balance: 30, refunded: 7000, refunds: 2 });

    // A history import's order: the same file in earn mode changes nothing; a (backdated) refund over the API never makes it earn.
    const h = await registerMember(s, { externalId: 'p-hx' });
    const bought = new Date(Date.now() - 5 * 86_400_000).toISOString();
    const hx = csv([header, `hx-1,p-hx,1500,${bought},40`]);
    expect(await importFile('/imports/purchases?mode=history', hx)).toMatchObject({ rowsDone: 1, errors: [] });
    const ledger = () => s.sql(`select type, amount from point_transaction where member_id = $1 order by id`, [h]);
    const tiers = () => s.sql(`select kind, reason, superseded_at from tier_change where member_id = $1 order by id`, [h]);
    const before = { ledger: await ledger(), tiers: await tiers() };
    expect(before.tiers).toEqual([expect.objectContaining({ kind: 'UPGRADE', superseded_at: null })]);
    expect(await importFile('/imports/purchases?mode=earn', hx)).toMatchObject({ rowsDone: 1, errors: [] });
    expect({ ledger: await ledger(), tiers: await tiers() }).toEqual(before);
    // History mode leaves a recorded order as it is: another refunded total is a rejected line, not a line done.
    const changed = await importFile('/imports/purchases?mode=history', csv([header, `hx-1,p-hx,1500,${bought},50`]));
    expect(changed).toMatchObject({ rowsDone: 0, errors: [{ line: 2, message: expect.stringMatching(/already recorded with refundedAmount 40/) }] });
    await gql(`mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned } }`, { i: { orderId: 'hx-1', refundId: 'hx-1-r', amount: 10, occurredAt: bought } }); // dated at the purchase: the member's tier history is rebuilt from it
    expect(await ledger()).toEqual([]);
    await expectLedgerConsistent(s);
  });

  it('a history import\'s refundedAmount, then API refunds of the rest: the order\'s refunds reverse floor(Q × refunded / amount) together, all of Q in full', async () => {
    await registerMember(s, { externalId: 'p-hq' });
    const header = 'orderId,externalId,amount,occurredAt,refundedAmount';
    const bought = new Date(Date.now() - 5 * 86_400_000).toISOString();
    // Q = 10; the import's 3.33 refunded reverses floor(10 × 333 / 1000) = 3: a qualifying entry of 7.
    expect(await importFile('/imports/purchases?mode=history', csv([header, `hq-1,p-hq,10,${bought},3.33`]))).toMatchObject({ rowsDone: 1, errors: [] });
    const service = await s.token('service');
    const refund = async (refundId: string, amount: number) => {
      const r = await s.gql(`mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { qualifyingPointsEarned member { tierProgress { qualifyingPoints } } } }`,
        { i: { orderId: 'hq-1', refundId, amount } }, service);
      expect(r.errors).toBeUndefined();
      return r.data!.refundPurchase;
    };
    // 3.33 + 1.67 = 5.00 refunded: floor(10 × 500 / 1000) = 5 reversed in all, 2 of them by this refund.
    expect(await refund('hq-1-a', 1.67)).toEqual({ qualifyingPointsEarned: -2, member: { tierProgress: { qualifyingPoints: 5 } } });
    // The rest: the order refunded in full, none of its Q left.
    expect(await refund('hq-1-b', 5)).toEqual({ qualifyingPointsEarned: -5, member: { tierProgress: { qualifyingPoints: 0 } } });
    const [p] = await s.sql(`select qualifying_points - reversed_qualifying as net,
        (select sum(points)::int from qualifying_entry q where q.member_id = purchase.member_id) as entries from purchase where order_id = 'hq-1'`);
    expect(p).toEqual({ net: 0, entries: 0 });
    await expectLedgerConsistent(s);
  });

  it('refundedAmount against an API refund queued on the account ahead of the import\'s line: the import refunds only the rest of the total', async () => {
    const m = await registerMember(s, { externalId: 'p-race' });
    const service = await s.token('service');
    const r = await s.gql(PURCHASE, { input: { memberId: m, orderId: 'race-1', amount: 100, occurredAt: '2026-11-02T10:00:00Z' } }, service);
    expect(r.errors).toBeUndefined();
    const REFUND = `mutation($i: RefundPurchaseInput!) { refundPurchase(input: $i) { pointsEarned } }`;
    // The account held elsewhere: the API refund waits for it first, then the import's line behind it.
    // (The import reads the order's refunded total with the account held; the race this ordering
    // once stood for, a refund committing between that read and the lock, is too narrow to provoke here.)
    const [api, job] = await whileInTransaction(s, `select 1 from point_account where member_id = '${m}' for update`, async () => {
      const api = s.gql(REFUND, { i: { orderId: 'race-1', refundId: 'race-1-api', amount: 30 } }, service);
      await untilWaiting(1);
      const job = importFile('/imports/purchases?mode=earn', csv(['orderId,externalId,amount,occurredAt,refundedAmount', 'race-1,p-race,100,2026-11-02T10:00:00Z,50']));
      await untilWaiting(2);
      return [api, job] as const;
    });
    expect((await api).errors).toBeUndefined();
    expect(await job).toMatchObject({ status: 'SUCCEEDED', rowsDone: 1, errors: [] });
    // The file says the order has had 50 refunded: after the API's 30, the import refunds the other 20.
    expect(await s.sql(`select refund_id, amount_cents::int from refund where order_id = 'race-1' order by transaction_id`))
      .toEqual([{ refund_id: 'race-1-api', amount_cents: 3000 }, { refund_id: 'import:race-1:5000', amount_cents: 2000 }]);
    expect(await s.sql(`select refunded_cents::int from purchase where order_id = 'race-1'`)).toEqual([{ refunded_cents: 5000 }]);
    await expectLedgerConsistent(s);

    async function untilWaiting(n: number) {
      await eventually(async () => {
        const [{ waiting }] = await s.sql(`select count(*)::int as waiting from pg_stat_activity
          where wait_event_type = 'Lock' and query like '%point_account%' and datname = current_database()`);
        return waiting >= n;
      }, `${n} writes to wait for the account`, 60_000);
    }
  });

  it('earn, set-based: every member\'s ledger, tier history and purchases equal those recordPurchase makes from the same purchases in date order', async () => {
    const service = await s.token('service');
    const members = 12;
    await importFile('/imports/members', csv(['externalId,joinedAt', ...Array.from({ length: members }, (_, m) => `d-${m},2025-01-01T00:00:00Z`),
      'd-opening,2025-01-01T00:00:00Z']));
    // Twins registered through the API, to receive the same purchases one by one.
    const twins: string[] = [];
    for (let m = 0; m < members; m++) twins.push(await registerMember(s, { externalId: `twin-${m}`, joinedAt: '2025-01-01T00:00:00Z' }));
    const purchases: { m: number; order: string; amount: string; at: string }[] = [];
    for (let m = 0; m < members; m++) {
      for (let k = 0; k < 6; k++) {
        const day = 1 + ((m * 37 + k * 53) % 300);
        const at = new Date(Date.UTC(2025, 2, 1) + day * 86_400_000 + (m % 3 === 0 && k === 5 ? -0 : k) * 1000);
        purchases.push({ m, order: `${m}-${k}`, amount: (((m + 1) * (k + 3) * 97) % 4000 + 10.55).toFixed(2), at: at.toISOString() });
      }
    }
    // One member with two purchases at one instant (recordPurchase rebuilds there: the rounds leave it to the points service).
    purchases.push({ m: 0, order: '0-same', amount: '10.00', at: purchases.find((p) => p.order === '0-1')!.at });
    const shuffled = [...purchases].sort((a, b) => (a.order < b.order ? 1 : -1));
    const job = await importFile('/imports/purchases?mode=earn', csv(['orderId,externalId,amount,occurredAt',
      ...shuffled.map((p) => `d-${p.order},d-${p.m},${p.amount},${p.at}`)]));
    expect(job.failure).toBeUndefined();
    expect(job.errors).toEqual([]);
    expect(job.rowsDone).toBe(purchases.length);
    for (const p of [...purchases].sort((a, b) => a.at.localeCompare(b.at) || (a.order < b.order ? -1 : 1))) {
      const r = await s.gql(PURCHASE, { input: { memberId: twins[p.m], orderId: `twin-${p.order}`, amount: Number(p.amount), occurredAt: p.at } }, service);
      expect(r.errors).toBeUndefined();
    }
    const state = async (ext: string) => {
      const [m] = await s.sql(`select m.id, t.code, m.tier_since, m.tier_expires_at, m.window_points, m.points_after_expiry, m.window_points_months, m.last_qualifying_at,
        a.balance, a.lifetime_earned from member m join tier t on t.id = m.tier_id join point_account a on a.member_id = m.id where m.external_id = $1`, [ext]);
      const { id, ...rest } = m;
      return {
        ...rest,
        purchases: await s.sql(`select regexp_replace(order_id, '^(d|twin)-', '') as o, amount_cents::text, earned_points, qualifying_points, occurred_at, (lot_id is null) as no_lot,
          earned_tier_id, points_per_unit::text from purchase where member_id = $1 order by o`, [id]),
        changes: await s.sql(`select kind, from_tier_id, to_tier_id, reason, qualifying_points, occurred_at, expires_at, superseded_at is null as current
          from tier_change where member_id = $1 order by occurred_at, id`, [id]),
        lots: await s.sql(`select points, remaining, earned_at, activates_at, expires_at, late from point_lot where member_id = $1 order by earned_at, points`, [id]),
        txns: await s.sql(`select type, amount, occurred_at, expires_at, reference is not null as ref from point_transaction where member_id = $1 order by occurred_at, amount`, [id]),
        entries: await s.sql(`select occurred_at, points from qualifying_entry where member_id = $1 order by occurred_at, points`, [id]),
      };
    };
    for (let m = 0; m < members; m++) expect({ m, ...(await state(`d-${m}`)) }).toEqual({ m, ...(await state(`twin-${m}`)) });
    // The rounds did the work (all but the member with two purchases at one instant).
    const upgraded = await s.sql(`select count(distinct c.member_id)::int as n from tier_change c join member m on m.id = c.member_id where m.external_id like 'd-%'`);
    expect(upgraded[0].n).toBeGreaterThan(3);
    await expectLedgerConsistent(s);
    expect(await windowCounterDrift(s)).toEqual([]);
  });

  it('two imports of overlapping files at once, racing recordPurchase for the same member: every order once, the ledger consistent', async () => {
    const service = await s.token('service');
    const rows = (from: number, to: number, prefix = 'c-') => csv(['orderId,externalId,amount,occurredAt',
      ...Array.from({ length: to - from }, (_, i) => `${prefix}${from + i},p-4,${10 + i},2026-10-${String(1 + ((from + i) % 28)).padStart(2, '0')}T10:00:00Z`)]);
    const [p4] = await s.sql(`select id from member where external_id = 'p-4'`);
    const live = Array.from({ length: 20 }, (_, i) => s.gql(PURCHASE, { input: { memberId: p4.id, orderId: `live-${i}`, amount: 5 } }, service));
    const [a, b] = await Promise.all([
      importFile('/imports/purchases?mode=earn', rows(0, 60)),
      importFile('/imports/purchases?mode=earn', rows(30, 90)),
      ...live,
    ]);
    expect([a.status, b.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(await s.sql(`select count(*)::int as n from purchase where member_id = $1`, [p4.id])).toEqual([{ n: 110 }]);
    await expectLedgerConsistent(s);
    expect(await windowCounterDrift(s)).toEqual([]);

    const [h1, h2] = await Promise.all([
      importFile('/imports/purchases?mode=history', rows(100, 160, 'ch-').replace(/p-4/g, 'p-2')),
      importFile('/imports/purchases?mode=history', rows(130, 190, 'ch-').replace(/p-4/g, 'p-2')),
    ]);
    expect([h1.status, h2.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(await s.sql(`select count(*)::int as n from purchase where order_id like 'ch-%' and source = 'import'`)).toEqual([{ n: 90 }]);
    expect(await windowCounterDrift(s)).toEqual([]);
  });
});

describe('the HTTP route, what it cannot read', () => {
  it('a compressed body or a charset other than UTF-8 is 415 before anything is staged, not a header "lacking" its columns', async () => {
    const before = (await s.sql('select count(*)::int as n from import_job'))[0].n;
    const gz = await fetch(`${s.url}/imports/members`, {
      method: 'POST', body: gzipSync('externalId\ngz-1\n'), headers: { 'content-type': 'text/csv', 'content-encoding': 'gzip', authorization: `Bearer ${admin}` },
    });
    expect(gz.status).toBe(415);
    expect(((await gz.json()) as any).errors[0]).toMatchObject({ message: 'The body must not be compressed (Content-Encoding: gzip is not read)', extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    const latin = await post('/imports/members', Buffer.from('externalId,displayName\nlatin-1,Jos\xe9\n', 'latin1') as any, 'text/csv; charset=ISO-8859-1');
    expect(latin.status).toBe(415);
    expect(latin.json.errors[0].message).toBe('The body must be UTF-8 (charset=iso-8859-1 is not read)');
    expect((await s.sql('select count(*)::int as n from import_job'))[0].n).toBe(before);
    const utf8 = await importFile('/imports/members', 'externalId,displayName\nutf8-1,José\n', 'text/csv; charset="UTF-8"');
    expect(utf8).toMatchObject({ status: 'SUCCEEDED', rowsDone: 1 });
    const identity = await post('/imports/members', 'externalId\nidentity-1\n', 'text/csv');
    expect(identity.status).toBe(202);
  });
});

describe('a job whose server died', () => {
  it('is FAILED when next read (its advisory lock is free), its staging table dropped; a running one is not', async () => {
    // What a crash leaves: a RUNNING row and its staging table, and no session holding the job's lock.
    const [dead] = await s.sql(`insert into import_job (id, kind, format, actor) values (gen_random_uuid(), 'MEMBERS', 'csv', 'admin:crashed') returning id`);
    const table = `import_stage_${dead.id.replace(/-/g, '')}`;
    await s.sql(`create unlogged table ${table} (like import_member_stage)`);
    // A live one: its lock held by a session of this test.
    const [live] = await s.sql(`insert into import_job (id, kind, format, actor) values (gen_random_uuid(), 'MEMBERS', 'csv', 'admin:alive') returning id`);
    await s.sql(`select pg_advisory_lock(23023, hashtext($1))`, [live.id]);
    try {
      const jobs = (await s.admin(`{ importJobs(first: 50) { id status finishedAt } }`)).importJobs;
      expect(jobs.find((j: any) => j.id === dead.id)).toMatchObject({ status: 'FAILED', finishedAt: expect.any(String) });
      expect(jobs.find((j: any) => j.id === live.id)).toMatchObject({ status: 'RUNNING', finishedAt: null });
      expect(await s.sql(`select to_regclass($1) as t`, [table])).toEqual([{ t: null }]);
    } finally {
      await s.sql(`select pg_advisory_unlock(23023, hashtext($1))`, [live.id]);
      await s.sql(`delete from import_job where id = $1`, [live.id]);
    }
  });
});

describe('a large body', () => {
  it('streams 120,000 lines (~42 MB) into the database: the server\'s memory does not grow with the file', async () => {
    const ROWS = Number(process.env.IMPORT_TEST_ROWS ?? 120_000);
    // Every value within registerMember's limits (displayName 200, region and channel 100).
    const name = 'x'.repeat(190);
    const region = 'y'.repeat(60);
    const channel = 'z'.repeat(90);
    // Generated as it is sent: the test never holds the file either.
    const body = Readable.from((function* () {
      yield 'externalId,displayName,region,channel\n';
      for (let i = 0; i < ROWS; i += 1000) {
        let chunk = '';
        for (let j = i; j < i + 1000; j++) chunk += `big-${j},${name}${j},r${j % 7}${region},${channel}\n`;
        yield chunk;
      }
    })());
    // What the process holds (heap and buffers), measured after a full collection: garbage that
    // V8 has not collected yet is not the file sitting in memory.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const held = () => { gc(); const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
    const before = held();
    let peak = before;
    const sampler = setInterval(() => { peak = Math.max(peak, held()); }, 1000);
    try {
      const job = await importFile('/imports/members', body, 'text/csv', 540_000);
      expect(job.status).toBe('SUCCEEDED');
      expect(job.rowsDone).toBe(ROWS);
    } finally {
      clearInterval(sampler);
    }
    // The server runs in this process (startTestServer): its growth is this process's. The file
    // is ~42 MB; buffered whole it would be that much again as UTF-16 strings.
    expect((peak - before) / 2 ** 20).toBeLessThan(20);
    expect(await s.sql(`select count(*)::int as n from member where external_id like 'big-%'`)).toEqual([{ n: ROWS }]);
    await expectLedgerConsistent(s);
  }, 600_000);
});
