import { expectError, startTestServer, type TestServer } from '../support/harness';
import { LADDER, UPSERT_TIER, createLadder } from '../support/fixtures';

let s: TestServer;
beforeAll(async () => { s = await startTestServer(); });
afterAll(() => s.stop());

const PROGRAM = `{ program { pointsPerUnit pointsExpiryMonths qualificationWindowMonths tierValidityMonths downgradePolicy
  allowNegativeBalance pointsPendingDays tierNoticeDays churnHorizonDays } }`;

describe('programme settings', () => {
  it('start with the defaults of domain.md', async () => {
    expect(await s.admin(PROGRAM)).toEqual({
      program: {
        pointsPerUnit: 1, pointsExpiryMonths: 24, qualificationWindowMonths: 12, tierValidityMonths: 12,
        downgradePolicy: 'DROP_ONE', allowNegativeBalance: false, pointsPendingDays: 0, tierNoticeDays: 30, churnHorizonDays: 90,
      },
    });
  });

  it('are updated field by field, audited with before and after', async () => {
    const res = await s.admin(`mutation { updateProgram(input: { pointsPerUnit: 1.5, downgradePolicy: RECALCULATE, pointsPendingDays: 14 }) {
      pointsPerUnit downgradePolicy pointsPendingDays pointsExpiryMonths } }`);
    expect(res.updateProgram).toEqual({ pointsPerUnit: 1.5, downgradePolicy: 'RECALCULATE', pointsPendingDays: 14, pointsExpiryMonths: 24 });
    const cleared = await s.admin('mutation { updateProgram(input: { clearPointsExpiry: true }) { pointsExpiryMonths } }');
    expect(cleared.updateProgram.pointsExpiryMonths).toBeNull();
    const log = await s.admin('{ auditLog(entity: "Program", first: 2) { actor action entity entityId before after } }');
    expect(log.auditLog[1]).toMatchObject({ actor: 'admin:admin-tester', action: 'program.update', entity: 'Program', entityId: '1' });
    expect(JSON.parse(log.auditLog[1].before)).toMatchObject({ pointsPerUnit: 1, downgradePolicy: 'DROP_ONE', pointsPendingDays: 0 });
    expect(JSON.parse(log.auditLog[1].after)).toMatchObject({ pointsPerUnit: 1.5, downgradePolicy: 'RECALCULATE', pointsPendingDays: 14 });
    expect(JSON.parse(log.auditLog[0].after)).toMatchObject({ pointsExpiryMonths: null });
  });

  it('reject bad values with the field named, and change nothing', async () => {
    const token = await s.token('admin');
    const before = await s.admin(PROGRAM);
    const cases: [string, string][] = [
      ['pointsPerUnit: 0', 'pointsPerUnit'],
      ['pointsPerUnit: 1.23456', 'pointsPerUnit'],
      ['tierValidityMonths: 0', 'tierValidityMonths'],
      ['pointsPendingDays: -1', 'pointsPendingDays'],
      ['pointsExpiryMonths: 12, clearPointsExpiry: true', 'clearPointsExpiry'],
      ['lifecycleActiveDays: 20', 'lifecycleActiveDays'],
      // The field the update changed is the one named, whichever neighbour it passed.
      ['lifecycleNewDays: 500', 'lifecycleNewDays'],
      ['lifecycleAtRiskDays: 1000', 'lifecycleAtRiskDays'],
      ['lifecycleNewDays: 100, lifecycleActiveDays: 50', 'lifecycleActiveDays'],
    ];
    for (const [input, field] of cases) {
      const res = await s.gql(`mutation { updateProgram(input: { ${input} }) { pointsPerUnit } }`, {}, token);
      expectError(res, 'BAD_USER_INPUT', field);
    }
    expect(await s.admin(PROGRAM)).toEqual(before);
  });
});

describe('tier ladder', () => {
  it('is built by upsert keyed by code, listed by rank, audited', async () => {
    await createLadder(s, [...LADDER].reverse().sort((a, b) => a.rank - b.rank));
    const { tiers } = await s.admin('{ tiers { code name rank qualifyingPoints retainPoints pointsMultiplier memberCount } }');
    expect(tiers.map((t: { code: string }) => t.code)).toEqual(['BRONZE', 'SILVER', 'GOLD', 'PLATINUM']);
    expect(tiers[2]).toEqual({ code: 'GOLD', name: 'Gold', rank: 2, qualifyingPoints: 5000, retainPoints: 4000, pointsMultiplier: 1.5, memberCount: 0 });
    await s.admin(UPSERT_TIER, { input: { ...LADDER[2], name: 'Gold Club' } });
    const renamed = await s.admin('{ tiers { code name } }');
    expect(renamed.tiers[2]).toEqual({ code: 'GOLD', name: 'Gold Club' });
    const log = await s.admin('{ auditLog(entity: "Tier", first: 1) { action entityId before after } }');
    expect(log.auditLog[0]).toMatchObject({ action: 'tier.update', entityId: 'GOLD' });
    expect(JSON.parse(log.auditLog[0].before).name).toBe('Gold');
    expect(JSON.parse(log.auditLog[0].after).name).toBe('Gold Club');
  });

  it('rejects an invalid ladder with the field named, and changes nothing', async () => {
    const token = await s.token('admin');
    const before = await s.admin('{ tiers { code name rank qualifyingPoints retainPoints pointsMultiplier } }');
    const bad: [Record<string, unknown>, string][] = [
      [{ code: 'DIAMOND', name: 'Diamond', rank: 5, qualifyingPoints: 30000, retainPoints: 20000 }, 'rank'],
      [{ code: 'DIAMOND', name: 'Diamond', rank: 4, qualifyingPoints: 10000, retainPoints: 9000 }, 'qualifyingPoints'],
      [{ code: 'DIAMOND', name: 'Diamond', rank: 4, qualifyingPoints: 30000, retainPoints: 31000 }, 'retainPoints'],
      [{ code: 'DIAMOND', name: 'Diamond', rank: 4, qualifyingPoints: 30000, retainPoints: 20000, pointsMultiplier: 0.5 }, 'pointsMultiplier'],
      // A rank another tier holds makes room (tier-insert.test.ts): between BRONZE and SILVER, 30000 does not fit.
      [{ code: 'DIAMOND', name: 'Diamond', rank: 1, qualifyingPoints: 30000, retainPoints: 20000 }, 'qualifyingPoints'],
      [{ code: 'DIAMOND', name: 'Diamond', rank: -1, qualifyingPoints: 30000, retainPoints: 20000 }, 'rank'],
      [{ code: 'bad code!', name: 'x', rank: 4, qualifyingPoints: 30000, retainPoints: 20000 }, 'code'],
    ];
    for (const [input, field] of bad) {
      const res = await s.gql(UPSERT_TIER, { input }, token);
      expect({ input, code: res.errors?.[0]?.extensions?.code, field: res.errors?.[0]?.extensions?.field })
        .toEqual({ input, code: 'BAD_USER_INPUT', field });
    }
    expect(await s.admin('{ tiers { code name rank qualifyingPoints retainPoints pointsMultiplier } }')).toEqual(before);
  });
});
