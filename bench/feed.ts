// npm run bench -- feed: the lag tierChangeFeed adds. A change shows in the feed once every
// transaction older than it has ended (tier-feed.repository.ts), so a long writing transaction
// holds back what commits after it began. Purchases that upgrade, one after another; after each,
// the feed (every member's, as an admin reads it) is read until it serves the change: alone, and
// while a tier review runs (its batches are the app's long writing transactions under load).
import { performance } from 'node:perf_hooks';
import { freePortSync } from './ports';
import { benchDatabase, benchInt, log, machine, seedMembers, serviceToken, sql, startApp, stopChild } from './lib';
import { post } from './load';
import { writeSection } from './report';
import { seedReview } from './tiers';

const MEMBERS = benchInt('BENCH_MEMBERS', 1_000_000);
const ALONE = benchInt('BENCH_FEED_SAMPLES', 200);
/** Purchases in flight at once while the review runs. */
const SAMPLERS = 4;
const PURCHASE = 'mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { tierChange { id } } }';
const FEED = 'query($after: String) { tierChangeFeed(after: $after, first: 100) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }';

const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const reviewResult = (text: string) => {
  const r = JSON.parse(text).data?.runTierReview as { processed: number; changed: number } | undefined;
  return r ? `${r.processed.toLocaleString('en')} members reviewed, ${r.changed.toLocaleString('en')} downgraded` : text.trim();
};
const summary = (lags: number[]) => {
  const s = [...lags].sort((a, b) => a - b);
  return { n: s.length, p50: pct(s, 50), p95: pct(s, 95), max: s.at(-1) ?? NaN };
};

export async function benchFeed(): Promise<void> {
  log(`feed bench: ${MEMBERS} members; ${machine()}`);
  const db = await benchDatabase('bench_feed');
  let app = null;
  try {
    log('seeding members and a review (set-based)…');
    await seedMembers(db.url, MEMBERS);
    await seedReview(db.url);
    const bronze = (await sql(db.url, `select m.id from member m join tier t on t.id = m.tier_id where t.rank = 0 limit 20000`)).map((r) => r.id as string);
    const port = freePortSync();
    app = await startApp(db.url, port);
    const url = `http://127.0.0.1:${port}/graphql`;
    const auth = { authorization: `Bearer ${await serviceToken('admin')}` };
    const gql = async (query: string, variables: Record<string, unknown>) => {
      const res = JSON.parse((await post(url, { query, variables }, auth)).text);
      if (res.errors) throw new Error(JSON.stringify(res.errors));
      return res.data;
    };
    // One reader, as a client would run it, from the end of the feed: it notes when it first got each change.
    let cursor: string | null = null;
    const seenAt = new Map<string, number>();
    const readOn = async () => {
      for (;;) {
        const page = (await gql(FEED, { after: cursor })).tierChangeFeed;
        const now = performance.now();
        for (const e of page.edges) if (!seenAt.has(e.node.id)) seenAt.set(e.node.id, now);
        cursor = page.pageInfo.endCursor;
        if (!page.pageInfo.hasNextPage) return;
      }
    };
    await readOn();
    let reading = true;
    const reader = (async () => {
      while (reading) {
        await readOn();
        await sleep(2);
      }
    })();
    let next = 0;
    /** One upgrade; the time from its commit (the response) until the reader got it, in ms. */
    const sample = async () => {
      const change = (await gql(PURCHASE, { i: { memberId: bronze[next], orderId: `feed-${next++}`, amount: 1000 } })).recordPurchase.tierChange;
      if (!change) throw new Error('the purchase did not upgrade');
      const committed = performance.now();
      while (!seenAt.has(change.id)) await sleep(1);
      return Math.max(0, seenAt.get(change.id)! - committed);
    };
    const alone: number[] = [];
    for (let i = 0; i < ALONE; i++) alone.push(await sample());
    log(`alone: ${JSON.stringify(summary(alone))}`);
    const during: number[] = [];
    const t = performance.now();
    let done = false;
    const review = post(url, { query: `mutation { runTierReview(asOf: "${new Date().toISOString()}") { processed changed } }` }, auth)
      .finally(() => { done = true; });
    // SAMPLERS purchases at a time, each waiting for its change in the feed before the next.
    await Promise.all(Array.from({ length: SAMPLERS }, async () => {
      while (!done && next < bronze.length) during.push(await sample());
    }));
    const reviewText = (await review).text;
    const reviewMs = performance.now() - t;
    reading = false;
    await reader;
    log(`during the review (${fmt(reviewMs / 1000, 1)} s, ${reviewText.slice(0, 100)}): ${JSON.stringify(summary(during))}`);
    const a = summary(alone);
    const d = summary(during);
    writeSection('Tier-change feed', `## Tier-change feed

${new Date().toISOString().slice(0, 10)}, \`npm run bench -- feed\` (${MEMBERS.toLocaleString('en')} members), ${machine()}, embedded PostgreSQL 17 on the same machine, the app in a child process.

The lag: from a purchase's response (its upgrade committed) until one client reading \`tierChangeFeed\` (every member's, 100 a page, from its last cursor, again 2 ms after each read) got its change. Each purchase upgrades a member; alone one at a time, during the review ${SAMPLERS} at a time.

| | samples | p50 | p95 | max |
| --- | --- | --- | --- | --- |
| alone | ${a.n} | ${fmt(a.p50)} ms | ${fmt(a.p95)} ms | ${fmt(a.max)} ms |
| while a tier review runs (${fmt(reviewMs / 1000, 1)} s) | ${d.n} | ${fmt(d.p50)} ms | ${fmt(d.p95)} ms | ${fmt(d.max)} ms |

- The review: ${reviewResult(reviewText)}. With purchases alongside it keeps to its busy pace (one batch of 5,000 members at a time, each its own transaction): a change committed while a batch is open is held back until the batch commits, so the lag during the review is about one batch's time. Any writing transaction holds the feed back that way, on any database of the server: the bound is the longest one open when the change committed (the app's longest: a review batch, up to 20,000 members at the idle pace; a points-expiry batch of 10,000; the retention refresh's build steps).
- Alone, the lag is the time until the reader's next read of the feed.
`);
  } finally {
    await stopChild(app);
    await db.stop();
  }
}
