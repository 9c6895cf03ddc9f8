import type { TestServer } from './harness';

export const LADDER = [
  { code: 'BRONZE', name: 'Bronze', rank: 0, qualifyingPoints: 0, retainPoints: 0, pointsMultiplier: 1 },
  { code: 'SILVER', name: 'Silver', rank: 1, qualifyingPoints: 1000, retainPoints: 800, pointsMultiplier: 1.25 },
  { code: 'GOLD', name: 'Gold', rank: 2, qualifyingPoints: 5000, retainPoints: 4000, pointsMultiplier: 1.5 },
  { code: 'PLATINUM', name: 'Platinum', rank: 3, qualifyingPoints: 15000, retainPoints: 12000, pointsMultiplier: 2 },
];

export const UPSERT_TIER = `mutation($input: TierInput!) { upsertTier(input: $input) { id code rank } }`;
export const REGISTER = `mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id externalId tier { code } joinedAt } }`;

export async function createLadder(s: TestServer, ladder = LADDER) {
  for (const input of ladder) await s.admin(UPSERT_TIER, { input });
}

export async function registerMember(s: TestServer, input: Record<string, unknown> = {}): Promise<string> {
  const data = await s.admin<{ registerMember: { id: string } }>(REGISTER, { input });
  return data.registerMember.id;
}
