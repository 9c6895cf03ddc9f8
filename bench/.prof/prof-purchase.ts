import { benchDatabase, memberIds, seedMembers, serviceToken, startApp, stopChild } from '../lib';
import { runLoad } from '../load';
import { freePortSync } from '../ports';
const PURCHASE = `mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { pointsEarned transaction { id balanceAfter } } }`;
(async () => {
  const db = await benchDatabase('prof');
  await seedMembers(db.url, 10000);
  const ids = await memberIds(db.url, 10000);
  const token = await serviceToken();
  const port = freePortSync();
  const app = await startApp(db.url, port, {}, ['--cpu-prof', `--cpu-prof-dir=${process.env.PROF_DIR}`]);
  const r = await runLoad({ label: 'p', url: `http://127.0.0.1:${port}/graphql`, connections: 32, seconds: Number(process.env.SECS ?? 10),
    body: (w, i) => ({ query: PURCHASE, variables: { input: { memberId: ids[Math.floor(Math.random() * ids.length)], orderId: `o-${w}-${i}-${Math.random()}`, amount: 10 } } }),
    headers: { authorization: `Bearer ${token}` } });
  console.log(r.rps, r.p50, r.errors, r.firstError);
  await stopChild(app);
  await db.stop();
  process.exit(0);
})();
