import { startTestServer, type TestServer } from '../support/harness';
import { createLadder } from '../support/fixtures';
import { expectLedgerConsistent, windowCounterDrift } from '../support/ledger';
import { importFile as importFileTo } from '../support/imports';

/**
 * Points past int in a purchases file: a line whose qualifying points (or its member's, with the
 * lines before it) would pass 2,147,483,647 is a rejected line, as recordPurchase refuses it
 * with BAD_USER_INPUT on amount; the rest of the file is loaded. Such a line failed the whole
 * job ("integer out of range"), and in history mode left its member's reads failing with
 * INTERNAL_SERVER_ERROR once its lines were in.
 */
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await createLadder(s);
});
afterAll(() => s.stop());

const MEMBER = `query($e: String!) { memberByExternalId(externalId: $e) { pointsBalance lifetimePoints tierProgress { qualifyingPoints } } }`;
const csv = (rows: string[]) => rows.join('\n') + '\n';
const AT = '2026-01-10T00:00:00Z';

const importFile = (path: string, body: string) => importFileTo(s, path, body);

const member = async (externalId: string) => (await s.admin<any>(MEMBER, { e: externalId })).memberByExternalId;

beforeAll(async () => {
  const job = await importFile('/imports/members', csv(['externalId', ...['h1', 'h2', 'h3', 'e1', 'e2'].map((x) => `big-${x}`)]));
  expect(job.status).toBe('SUCCEEDED');
});

it('history mode: a line past int is rejected, the member keeps what fits, and the rest of the file is loaded', async () => {
  const job = await importFile('/imports/purchases?mode=history', csv([
    'orderId,externalId,amount,occurredAt,refundedAmount',
    `big-h-1,big-h1,1000000000000,${AT},`, // 10^14 cents: qualifying points past int on their own
    `big-h-2,big-h2,1500000000,${AT},`,
    `big-h-3,big-h2,1500000000,2026-01-11T00:00:00Z,`, // the member's second: 3 × 10^9 with the first
    `big-h-4,big-h2,100,2026-01-12T00:00:00Z,`, // fits once the line before it is rejected
    `big-h-5,big-h3,1000000000,${AT},1000000000`, // q × refunded cents = 10^20: past bigint, reversed whole
    `big-h-6,big-h3,12.5,${AT},`,
  ]));
  expect(job).toEqual({
    status: 'SUCCEEDED', rowsDone: 4, rowsRejected: 2,
    errors: [
      { line: 2, message: 'amount would take qualifying points beyond 2147483647' },
      { line: 4, message: 'amount would take qualifying points beyond 2147483647' },
    ],
  });
  expect(await member('big-h1')).toEqual({ pointsBalance: 0, lifetimePoints: 0, tierProgress: { qualifyingPoints: 0 } });
  expect((await member('big-h2')).tierProgress.qualifyingPoints).toBe(1_500_000_100);
  expect((await member('big-h3')).tierProgress.qualifyingPoints).toBe(12);
  // The same file again changes nothing.
  const again = await importFile('/imports/purchases?mode=history', csv([
    'orderId,externalId,amount,occurredAt,refundedAmount',
    `big-h-2,big-h2,1500000000,${AT},`,
    `big-h-4,big-h2,100,2026-01-12T00:00:00Z,`,
  ]));
  expect(again).toMatchObject({ status: 'SUCCEEDED', rowsDone: 2, rowsRejected: 0 });
  expect((await member('big-h2')).tierProgress.qualifyingPoints).toBe(1_500_000_100);
  expect(await windowCounterDrift(s)).toEqual([]);
});

it('earn mode: a line past int is rejected as recordPurchase refuses it, and the rest of the file is loaded', async () => {
  const job = await importFile('/imports/purchases?mode=earn', csv([
    'orderId,externalId,amount,occurredAt',
    `big-e-1,big-e1,1000000000000,${AT}`,
    `big-e-2,big-e1,5,2026-01-11T00:00:00Z`,
    `big-e-3,big-e2,1500000000,${AT}`,
    `big-e-4,big-e2,1500000000,2026-01-11T00:00:00Z`,
  ]));
  expect(job).toEqual({
    status: 'SUCCEEDED', rowsDone: 2, rowsRejected: 2,
    errors: [
      { line: 2, message: 'amount would take points or a balance beyond 2147483647' },
      { line: 5, message: 'amount would take points or a balance beyond 2147483647' },
    ],
  });
  expect(await member('big-e1')).toEqual({ pointsBalance: 5, lifetimePoints: 5, tierProgress: { qualifyingPoints: 5 } });
  expect(await member('big-e2')).toEqual({ pointsBalance: 1_500_000_000, lifetimePoints: 1_500_000_000, tierProgress: { qualifyingPoints: 1_500_000_000 } });
  await expectLedgerConsistent(s);
  expect(await windowCounterDrift(s)).toEqual([]);
});
