import { aliveProbability, churnRisk, fitBgNbd, type BgNbdParams, type WeightedSummary } from './churn.rules';
import { backtest, backtestOffThread, fitAndScore, fitBgNbdOffThread, labelled, startChurnWorker, tupleKey, type HoldoutSummary, type TupleText } from './churn.fit';

describe('labelled', () => {
  it('is one summary per tuple, in the order each first comes, with who churned and who stayed', () => {
    let seed = 5;
    const rand = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const rows: HoldoutSummary[] = Array.from({ length: 3000 }, () => {
      const x = Math.floor(rand() * 4);
      return { x, tx: x ? Math.floor(rand() * 20) : 0, T: 20 + Math.floor(rand() * 10), count: 1 + Math.floor(rand() * 3), bought: rand() < 0.5 };
    });
    const expected = new Map<string, { x: number; tx: number; T: number; churned: number; stayed: number }>();
    for (const r of rows) {
      const key = `${r.x}:${r.tx}:${r.T}`;
      const found = expected.get(key) ?? { x: r.x, tx: r.tx, T: r.T, churned: 0, stayed: 0 };
      expected.set(key, found);
      if (r.bought) found.stayed += r.count;
      else found.churned += r.count;
    }
    expect(labelled(rows)).toEqual([...expected.values()]);
  });
});

describe('fitBgNbdOffThread', () => {
  it('gives exactly the in-thread fit, computed in a worker thread', async () => {
    // 200 (x, t_x, T) tuples from a deterministic generator, forced through the worker.
    const rows: WeightedSummary[] = [];
    let seed = 7;
    const rand = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    for (let i = 0; i < 200; i++) {
      const T = 30 + Math.floor(rand() * 700);
      const x = Math.floor(rand() * 12);
      const tx = x === 0 ? 0 : Math.floor(rand() * T);
      rows.push({ x, tx, T, count: 1 + Math.floor(rand() * 5) });
    }
    const inThread = fitBgNbd(rows);
    const offThread = await fitBgNbdOffThread(rows, { minRows: 0 });
    expect(offThread).toEqual(inThread);
    // The warm start reaches the worker too.
    const start = { r: 0.5, alpha: 5, a: 1, b: 3 };
    expect(await fitBgNbdOffThread(rows, { minRows: 0, start })).toEqual(fitBgNbd(rows, { start }));
    // With a horizon, every row's P(alive) and churn risk under the fit come back too, in order.
    const scored = await fitBgNbdOffThread(rows, { minRows: 0, horizon: 90 });
    const { scores, ...fit } = scored;
    expect(fit).toEqual(inThread);
    const parse = (literal: string) => literal.slice(1, -1).split(',').map(Number);
    expect(parse(scores!.keys)).toEqual(rows.map(tupleKey));
    expect(parse(scores!.alive)).toEqual(rows.map((row) => aliveProbability(inThread, row)));
    expect(parse(scores!.risk)).toEqual(rows.map((row) => churnRisk(inThread, row, 90)));
    // The same tuples in two rows (the refresh reads two halves of the members): the same
    // fit as with the counts merged, and each tuple scored once.
    const halves = rows.flatMap((row) => (row.count > 1 ? [{ ...row, count: 1 }, { ...row, count: row.count - 1 }] : [row]));
    const split = await fitBgNbdOffThread(halves, { minRows: 0, horizon: 90 });
    expect(split.logLikelihood).toBeCloseTo(inThread.logLikelihood, 6);
    expect(split.r).toBeCloseTo(inThread.r, 4);
    expect(split.customers).toBe(inThread.customers);
    expect(parse(split.scores!.keys)).toEqual(rows.map(tupleKey));
    // As text (how the refresh hands PostgreSQL's output on), in two pieces: the same fit.
    const text = (part: WeightedSummary[]) => part.map((r) => `${tupleKey(r)} ${r.count}`).join(' ');
    const asText: TupleText = { text: [text(rows.slice(0, 120)), text(rows.slice(120)), ''], holdout: false, rows: rows.length };
    expect(await fitBgNbdOffThread(asText, { minRows: 0, horizon: 90 })).toEqual(scored);
  }, 60_000);

  it('backtests in a worker thread exactly as in place', async () => {
    let seed = 11;
    const rand = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const rows: HoldoutSummary[] = [];
    for (let i = 0; i < 300; i++) {
      const T = 30 + Math.floor(rand() * 700);
      const x = Math.floor(rand() * 10);
      const tx = x === 0 ? 0 : Math.floor(rand() * T);
      // Recent repeat buyers mostly buy again; the model should rank them as less at risk.
      rows.push({ x, tx, T, count: 1 + Math.floor(rand() * 4), bought: rand() < (x > 0 && T - tx < 90 ? 0.8 : 0.2) });
    }
    const inThread = backtest(rows, 90);
    expect(inThread).not.toBeNull();
    expect(inThread!.bgnbd.gini).toBeGreaterThan(0);
    expect(inThread!.supervised).toBeNull();
    expect(await backtestOffThread(rows, 90, { minRows: 0 })).toEqual(inThread);
    const asText: TupleText = { text: [rows.map((r) => `${tupleKey(r) * 2 + (r.bought ? 1 : 0)} ${r.count}`).join(' ')], holdout: true, rows: rows.length };
    expect(await backtestOffThread(asText, 90, { minRows: 0 })).toEqual(inThread);
    expect(await backtestOffThread(asText, 90)).toEqual(inThread); // in place: fewer rows than a worker is worth
    expect(await backtestOffThread(rows.map((r) => ({ ...r, bought: true })), 90, { minRows: 0 })).toBeNull();
  }, 60_000);

  it('trains the classifier and scores with it in a worker thread exactly as in place', async () => {
    let seed = 5;
    const rand = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const holdout = (n: number, shift: number): HoldoutSummary[] => Array.from({ length: n }, () => {
      const T = 30 + Math.floor(rand() * 500) + shift;
      const x = Math.floor(rand() * 8);
      const tx = x === 0 ? 0 : Math.floor(rand() * T);
      return { x, tx, T, count: 1 + Math.floor(rand() * 3), bought: rand() < (x > 0 && T - tx < 60 ? 0.75 : 0.15) };
    });
    const earlier = holdout(300, 0);
    const later = holdout(300, 60);
    const training = { rows: earlier, window: 60 };
    const inThread = backtest(later, 60, undefined, training);
    expect(inThread!.supervised).not.toBeNull();
    expect(await backtestOffThread(later, 60, { minRows: 0, training })).toEqual(inThread);
    const asText = (rows: HoldoutSummary[]): TupleText => ({ text: [rows.map((r) => `${tupleKey(r) * 2 + (r.bought ? 1 : 0)} ${r.count}`).join(' ')], holdout: true, rows: rows.length });
    expect(await backtestOffThread(asText(later), 60, { minRows: 0, training: { rows: asText(earlier), window: 60 } })).toEqual(inThread);

    const current = later.map(({ x, tx, T, count }) => ({ x, tx, T: T + 60, count }));
    const scored = fitAndScore(current, undefined, 60, training);
    expect(scored.supervised?.classifier.window).toBe(60);
    expect(scored.supervised!.risk.split(',')).toHaveLength(scored.scores!.keys.split(',').length);
    expect(await fitBgNbdOffThread(current, { minRows: 0, horizon: 60, training: { rows: asText(earlier), window: 60 } })).toEqual(scored);

    // The fit's worker waits for BG/NBD's fit at the cut from the backtest on the same rows, and
    // scores exactly as when it makes that fit itself; a backtest that makes no fit sends null,
    // and the fit's worker then makes its own.
    for (const rows of [earlier, earlier.map((r) => ({ ...r, bought: true }))]) {
      const alone = fitAndScore(current, undefined, 60, { rows, window: 60 });
      const worker = startChurnWorker()!;
      const sent: (BgNbdParams | null)[] = [];
      const [viaShare] = await Promise.all([
        fitBgNbdOffThread(current, { minRows: 0, horizon: 60, worker, training: { rows: asText(rows), window: 60, shared: true } }),
        backtestOffThread(asText(rows), 60, {
          minRows: 0, share: (fit) => { sent.push(fit); worker.thread.postMessage({ trainingFit: fit }); },
        }),
      ]);
      expect(viaShare).toEqual(alone);
      expect(sent).toHaveLength(1);
      expect(sent[0] === null).toBe(rows !== earlier);
      if (sent[0]) expect(sent[0]).toEqual(alone.supervised!.classifier.trainingFit);
    }
    // What it is sent is what it trains on: it does not fit again.
    const worker = startChurnWorker()!;
    const given = { r: 0.5, alpha: 5, a: 0.7, b: 2.5 };
    worker.thread.postMessage({ trainingFit: given });
    const trained = await fitBgNbdOffThread(current, { minRows: 0, horizon: 60, worker, training: { rows: asText(earlier), window: 60, shared: true } });
    expect(trained.supervised!.classifier.trainingFit).toEqual(given);
  }, 60_000);
});
