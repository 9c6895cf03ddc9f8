// Issue 19, contract part store: partial updates of rules (updateBenefit, updateReward).
import { expectError, startTestServer, type TestServer } from '../support/harness';
import { createLadder } from '../support/fixtures';

let s: TestServer;
let admin: string;
beforeAll(async () => {
  s = await startTestServer();
  admin = await s.token('admin');
  await createLadder(s);
});
afterAll(() => s.stop());

const REWARD_FIELDS = 'code name description faceValue costPoints stock perMemberLimit tierCodes active validFrom validTo couponValidDays';
const UPDATE_REWARD = `mutation($code: String!, $patch: RewardPatch!) { updateReward(code: $code, patch: $patch) { ${REWARD_FIELDS} } }`;
const updateReward = (code: string, patch: Record<string, unknown>, token = admin) => s.gql(UPDATE_REWARD, { code, patch }, token);
const BENEFIT_FIELDS = 'code version name description kind value tierCodes requiredTags active validFrom validTo';
const UPDATE_BENEFIT = `mutation($code: String!, $patch: BenefitPatch!) { updateBenefit(code: $code, patch: $patch) { ${BENEFIT_FIELDS} } }`;
const updateBenefit = (code: string, patch: Record<string, unknown>, token = admin) => s.gql(UPDATE_BENEFIT, { code, patch }, token);

const FULL_REWARD = {
  name: 'Tote bag', description: 'Canvas', faceValue: 12.5, costPoints: 300, stock: 40, perMemberLimit: 2, tierCodes: ['GOLD', 'SILVER'],
  active: true, validFrom: '2026-01-01T00:00:00.000Z', validTo: '2027-01-01T00:00:00.000Z', couponValidDays: 30,
};
async function createReward(code: string) {
  const { upsertReward } = await s.admin(`mutation($i: RewardInput!) { upsertReward(input: $i) { ${REWARD_FIELDS} } }`, { i: { code, ...FULL_REWARD } });
  return upsertReward;
}
const FULL_BENEFIT = {
  name: 'Lounge', description: 'Airport lounge', kind: 'LOUNGE', value: 2, tierCodes: ['GOLD'], requiredTags: ['traveller'],
  active: true, validFrom: '2026-01-01T00:00:00.000Z', validTo: '2027-01-01T00:00:00.000Z',
};
async function createBenefit(code: string) {
  const { upsertBenefit } = await s.admin(`mutation($i: BenefitInput!) { upsertBenefit(input: $i) { ${BENEFIT_FIELDS} } }`, { i: { code, ...FULL_BENEFIT } });
  return upsertBenefit;
}
const audit = (entity: string, code: string) =>
  s.sql<{ action: string; before: any; after: any }>(`select action, before, after from audit_entry where entity = $1 and entity_id = $2 order by id`, [entity, code]);
const versions = (code: string) =>
  s.sql<{ version: number; snapshot: any }>(`select version, snapshot from benefit_version where code = $1 order by version`, [code]);

describe('updateReward', () => {
  it('changes only the fields given, with an audit entry of before and after', async () => {
    const created = await createReward('TOTE');
    const res = await updateReward('TOTE', { name: 'Big tote', stock: 35 });
    expect(res.errors).toBeUndefined();
    expect(res.data!.updateReward).toEqual({ ...created, name: 'Big tote', stock: 35 });
    const log = await audit('Reward', 'TOTE');
    expect(log.map((l) => l.action)).toEqual(['reward.create', 'reward.update']);
    expect(log[1].before).toMatchObject({ name: 'Tote bag', stock: 40 });
    expect(log[1].after).toMatchObject({ name: 'Big tote', stock: 35, costPoints: 300, faceValue: 12.5 });
  });

  it('an explicit null clears a nullable field; every other field stays', async () => {
    const created = await createReward('CLEAR');
    const cleared = { stock: null, perMemberLimit: null, validTo: null, couponValidDays: null, description: null, faceValue: null, validFrom: null };
    for (const [field, value] of Object.entries(cleared)) {
      const res = await updateReward('CLEAR', { [field]: value });
      expect(res.errors).toBeUndefined();
      expect(res.data!.updateReward[field]).toBeNull();
    }
    const [row] = await s.sql(`select stock, per_member_limit, valid_from, valid_to, coupon_valid_days, description, face_value, name, cost_points, tier_codes, active
      from reward where code = 'CLEAR'`);
    expect(row).toEqual({
      stock: null, per_member_limit: null, valid_from: null, valid_to: null, coupon_valid_days: null, description: null, face_value: null,
      name: created.name, cost_points: created.costPoints, tier_codes: created.tierCodes, active: true,
    });
  });

  it('null on a field that cannot be null is BAD_USER_INPUT naming it, and changes nothing', async () => {
    await createReward('STRICT');
    const before = await s.sql(`select * from reward where code = 'STRICT'`);
    for (const field of ['name', 'costPoints', 'tierCodes', 'active']) {
      expectError(await updateReward('STRICT', { stock: 1, [field]: null }), 'BAD_USER_INPUT', field);
    }
    expect(await s.sql(`select * from reward where code = 'STRICT'`)).toEqual(before);
    expect((await audit('Reward', 'STRICT')).map((l) => l.action)).toEqual(['reward.create']);
  });

  it('validates as upsertReward does, against what is stored', async () => {
    await createReward('CHECKED');
    expectError(await updateReward('CHECKED', { validTo: '2025-06-01T00:00:00.000Z' }), 'BAD_USER_INPUT', 'validTo'); // before the stored validFrom
    expectError(await updateReward('CHECKED', { validFrom: '2027-06-01T00:00:00.000Z' }), 'BAD_USER_INPUT', 'validTo');
    expectError(await updateReward('CHECKED', { tierCodes: ['GOLD', 'NOPE'] }), 'BAD_USER_INPUT', 'tierCodes');
    expectError(await updateReward('CHECKED', { faceValue: 1.005 }), 'BAD_USER_INPUT', 'faceValue');
    expectError(await updateReward('CHECKED', { faceValue: 0 }), 'BAD_USER_INPUT', 'faceValue');
    expectError(await updateReward('CHECKED', { stock: -1 }), 'BAD_USER_INPUT', 'stock');
    expectError(await updateReward('CHECKED', { costPoints: 0 }), 'BAD_USER_INPUT', 'costPoints');
    expectError(await updateReward('CHECKED', { perMemberLimit: 0 }), 'BAD_USER_INPUT', 'perMemberLimit');
    expectError(await updateReward('CHECKED', { couponValidDays: 0 }), 'BAD_USER_INPUT', 'couponValidDays');
    expectError(await updateReward('CHECKED', { name: '' }), 'BAD_USER_INPUT', 'name');
    // both ends in one patch are checked together
    const both = await updateReward('CHECKED', { validFrom: '2027-06-01T00:00:00.000Z', validTo: '2028-01-01T00:00:00.000Z' });
    expect(both.data!.updateReward).toMatchObject({ validFrom: '2027-06-01T00:00:00.000Z', validTo: '2028-01-01T00:00:00.000Z' });
    const money = await updateReward('CHECKED', { faceValue: 19.99 });
    expect(money.data!.updateReward.faceValue).toBe(19.99);
    expect(await s.sql(`select face_value::text as v from reward where code = 'CHECKED'`)).toEqual([{ v: '19.99' }]);
  });

  it('a patch that changes nothing writes nothing', async () => {
    const created = await createReward('SAME');
    const [{ updated_at }] = await s.sql(`select updated_at from reward where code = 'SAME'`);
    for (const patch of [{}, { name: created.name }, { tierCodes: ['SILVER', 'GOLD', 'GOLD'] }, { faceValue: 12.5, validTo: '2027-01-01T00:00:00Z' }]) {
      const res = await updateReward('SAME', patch);
      expect(res.errors).toBeUndefined();
      expect(res.data!.updateReward).toEqual(created);
    }
    expect(await s.sql(`select updated_at from reward where code = 'SAME'`)).toEqual([{ updated_at }]);
    expect((await audit('Reward', 'SAME')).map((l) => l.action)).toEqual(['reward.create']);
  });

  it('a field absent from the patch is unchanged, also when its variable is not sent', async () => {
    const created = await createReward('VARS');
    const res = await s.gql(`mutation($stock: Int, $name: String) { updateReward(code: "VARS", patch: { stock: $stock, name: $name }) { ${REWARD_FIELDS} } }`,
      { name: 'Renamed' }, admin);
    expect(res.data!.updateReward).toEqual({ ...created, name: 'Renamed' });
    const cleared = await s.gql(`mutation($stock: Int) { updateReward(code: "VARS", patch: { stock: $stock }) { stock } }`, { stock: null }, admin);
    expect(cleared.data!.updateReward.stock).toBeNull();
  });

  it('admins only; an unknown code is NOT_FOUND', async () => {
    await createReward('ROLES');
    expectError(await updateReward('ROLES', { stock: 1 }, await s.token('service')), 'FORBIDDEN');
    expectError(await updateReward('ROLES', { stock: 1 }, await s.token('member', '00000000-0000-4000-8000-000000000000')), 'FORBIDDEN');
    expectError(await updateReward('NO_SUCH', { stock: 1 }), 'NOT_FOUND');
    expectError(await updateReward('NO_SUCH', {}), 'NOT_FOUND');
  });
});

describe('upsertReward of an existing reward', () => {
  const UPSERT = `mutation($i: RewardInput!) { upsertReward(input: $i) { ${REWARD_FIELDS} } }`;
  it('keeps the fields beyond the base contract\'s RewardInput that the input leaves out (a base client cannot send them); null clears them', async () => {
    await createReward('UPSERT_KEEPS');
    // A client written against the base contract alone changes the stock and the cost.
    const base = { code: 'UPSERT_KEEPS', name: 'Tote bag', costPoints: 350, stock: 20, perMemberLimit: 2, tierCodes: ['GOLD', 'SILVER'], active: true };
    const { upsertReward: kept } = await s.admin(UPSERT, { i: base });
    expect(kept).toEqual({ ...FULL_REWARD, code: 'UPSERT_KEEPS', costPoints: 350, stock: 20 }); // validFrom, validTo, description, faceValue, couponValidDays kept
    // The base contract's own fields are the input's, absent or not: no stock given is unlimited.
    const { upsertReward: unlimited } = await s.admin(UPSERT, { i: { code: 'UPSERT_KEEPS', name: 'Tote bag', costPoints: 350 } });
    expect(unlimited).toMatchObject({ stock: null, perMemberLimit: null, tierCodes: [], active: true, validFrom: FULL_REWARD.validFrom, couponValidDays: 30 });
    // An explicit null clears each of them.
    const cleared = { description: null, faceValue: null, validFrom: null, validTo: null, couponValidDays: null };
    const { upsertReward: none } = await s.admin(UPSERT, { i: { ...base, ...cleared } });
    expect(none).toMatchObject(cleared);
    // A kept window is still checked with what the input gives: validTo before the kept validFrom.
    await createReward('UPSERT_WINDOW');
    const bad = await s.gql(UPSERT, { i: { ...base, code: 'UPSERT_WINDOW', validTo: '2025-06-01T00:00:00.000Z' } }, admin);
    expectError(bad, 'BAD_USER_INPUT', 'validTo');
  });
});

describe('updateBenefit', () => {
  it('a change is a new version with its history row and audit entry; other fields stay', async () => {
    const created = await createBenefit('LOUNGE');
    const res = await updateBenefit('LOUNGE', { tierCodes: ['PLATINUM', 'GOLD'] });
    expect(res.errors).toBeUndefined();
    expect(res.data!.updateBenefit).toEqual({ ...created, version: 2, tierCodes: ['GOLD', 'PLATINUM'] });
    const history = await versions('LOUNGE');
    expect(history.map((v) => [v.version, v.snapshot.tierCodes, v.snapshot.name])).toEqual([[1, ['GOLD'], 'Lounge'], [2, ['GOLD', 'PLATINUM'], 'Lounge']]);
    const log = await audit('Benefit', 'LOUNGE');
    expect(log.map((l) => l.action)).toEqual(['benefit.create', 'benefit.update']);
    expect(log[1].before.tierCodes).toEqual(['GOLD']);
    expect(log[1].after).toEqual(history[1].snapshot);
    const h = await s.admin('{ benefits { code history { version } } }');
    expect(h.benefits.find((b: any) => b.code === 'LOUNGE').history).toEqual([{ version: 1 }, { version: 2 }]);
  });

  it('a patch that changes nothing makes no version and no audit entry', async () => {
    const created = await createBenefit('STILL');
    for (const patch of [{}, { name: 'Lounge' }, { requiredTags: ['traveller', 'traveller'], value: 2 }, { validFrom: '2026-01-01T00:00:00+00:00' }]) {
      const res = await updateBenefit('STILL', patch);
      expect(res.errors).toBeUndefined();
      expect(res.data!.updateBenefit).toEqual(created);
    }
    expect((await versions('STILL')).map((v) => v.version)).toEqual([1]);
    expect((await audit('Benefit', 'STILL')).map((l) => l.action)).toEqual(['benefit.create']);
  });

  it('null clears description, value, validFrom, validTo; on any other field it is BAD_USER_INPUT naming it', async () => {
    await createBenefit('NULLS');
    for (const field of ['name', 'kind', 'tierCodes', 'requiredTags', 'active']) {
      expectError(await updateBenefit('NULLS', { description: 'x', [field]: null }), 'BAD_USER_INPUT', field);
    }
    expect((await versions('NULLS')).map((v) => v.version)).toEqual([1]);
    const res = await updateBenefit('NULLS', { description: null, value: null, validFrom: null, validTo: null });
    expect(res.data!.updateBenefit).toMatchObject({ version: 2, description: null, value: null, validFrom: null, validTo: null, name: 'Lounge', kind: 'LOUNGE' });
  });

  it('validates the result as upsertBenefit does', async () => {
    await s.admin(`mutation { upsertBenefit(input: { code: "BONUS", name: "Bonus", kind: "POINTS_MULTIPLIER", value: 0.5, tierCodes: [] }) { code } }`);
    expectError(await updateBenefit('BONUS', { value: null }), 'BAD_USER_INPUT', 'value');
    expectError(await updateBenefit('BONUS', { value: 11 }), 'BAD_USER_INPUT', 'value');
    expectError(await updateBenefit('BONUS', { kind: 'lower case' }), 'BAD_USER_INPUT', 'kind');
    expectError(await updateBenefit('BONUS', { tierCodes: ['NOPE'] }), 'BAD_USER_INPUT', 'tierCodes');
    expectError(await updateBenefit('BONUS', { validFrom: '2026-02-01T00:00:00Z', validTo: '2026-01-01T00:00:00Z' }), 'BAD_USER_INPUT', 'validTo');
    expect((await updateBenefit('BONUS', { kind: 'CUSTOM', value: null })).data!.updateBenefit).toMatchObject({ version: 2, kind: 'CUSTOM', value: null });
    // A discount is a percentage in (0, 100]: -5 % or 250 % off is refused, and nothing is versioned.
    await s.admin(`mutation { upsertBenefit(input: { code: "OFF", name: "Off", kind: "DISCOUNT", value: 10, tierCodes: [] }) { code } }`);
    for (const value of [-5, 0, 250, null]) expectError(await updateBenefit('OFF', { value }), 'BAD_USER_INPUT', 'value');
    // Nor a discount with no percentage (it told a till nothing: audit 110).
    expectError(await s.gql(`mutation { upsertBenefit(input: { code: "OFF_NONE", name: "Off", kind: "DISCOUNT", tierCodes: [] }) { code } }`, {}, await s.token('admin')), 'BAD_USER_INPUT', 'value');
    expect((await updateBenefit('OFF', { value: 100 })).data!.updateBenefit).toMatchObject({ version: 2, value: 100 });
    expect((await versions('OFF')).map((v) => v.version)).toEqual([1, 2]);
  });

  it('admins only; an unknown code is NOT_FOUND', async () => {
    await createBenefit('ADMINS');
    expectError(await updateBenefit('ADMINS', { name: 'x' }, await s.token('service')), 'FORBIDDEN');
    expectError(await updateBenefit('NO_SUCH', { name: 'x' }), 'NOT_FOUND');
  });

  it('ten different patches at once: each its own version, none lost', async () => {
    await createBenefit('RACE');
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => updateBenefit('RACE', { name: `Lounge ${i}` })));
    expect(answers.map((a) => a.errors ?? null)).toEqual(Array(10).fill(null));
    expect(answers.map((a) => a.data!.updateBenefit.version).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const history = await versions('RACE');
    for (const a of answers) expect(history[a.data!.updateBenefit.version - 1].snapshot.name).toBe(a.data!.updateBenefit.name);
    expect((await audit('Benefit', 'RACE')).length).toBe(11);
  });
});
