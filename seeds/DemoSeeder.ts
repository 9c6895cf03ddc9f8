import type { EntityManager } from '@mikro-orm/postgresql';
import { Seeder } from '@mikro-orm/seeder';
import { SYSTEM_ACTOR } from '../src/modules/actor';
import { createServices } from '../src/modules/services';
import { pick, seededRandom } from './random';

export const DEMO_TIERS = [
  { code: 'BRONZE', name: 'Bronze', rank: 0, qualifyingPoints: 0, retainPoints: 0, pointsMultiplier: 1 },
  { code: 'SILVER', name: 'Silver', rank: 1, qualifyingPoints: 1000, retainPoints: 800, pointsMultiplier: 1.25 },
  { code: 'GOLD', name: 'Gold', rank: 2, qualifyingPoints: 5000, retainPoints: 4000, pointsMultiplier: 1.5 },
  { code: 'PLATINUM', name: 'Platinum', rank: 3, qualifyingPoints: 15000, retainPoints: 12000, pointsMultiplier: 2 },
];

export const DEMO_MEMBER_COUNT = 200;

export const DEMO_ACTIVITIES = [
  { kind: 'CHECK_IN', name: 'Daily check-in', points: 5, qualifyingPoints: 0, dailyCap: 5, active: true },
  { kind: 'REVIEW', name: 'Product review', points: 20, qualifyingPoints: 10, dailyCap: 40, active: true },
  { kind: 'SHARE', name: 'Share to a friend', points: 10, qualifyingPoints: 0, dailyCap: 30, active: true },
  { kind: 'REFERRAL', name: 'Referred a new member', points: 200, qualifyingPoints: 100, dailyCap: null, active: true },
  { kind: 'PROFILE_COMPLETED', name: 'Completed the profile', points: 50, qualifyingPoints: 0, dailyCap: null, active: true },
];
const DAY = 86_400_000;
const REGIONS = ['North', 'South', 'East', 'West', 'Central'];
const CHANNELS = ['store', 'app', 'web', 'mini-program', 'referral'];
const GENDERS = ['F', 'M', 'F', 'M', 'X'];

/**
 * The demo programme: a four-tier ladder and ~200 members who joined over the last year.
 * Deterministic (seeded random) and safe to run again: tiers are upserted by code and
 * members are keyed by externalId. Goes through the services, so the same rules apply.
 */
export class DemoSeeder extends Seeder {
  async run(em: EntityManager): Promise<void> {
    const services = createServices(em.fork() as EntityManager);
    for (const tier of DEMO_TIERS) await services.tiers.upsert(SYSTEM_ACTOR, tier);
    for (const rule of DEMO_ACTIVITIES) await services.points.upsertActivityRule(SYSTEM_ACTOR, rule);
    if (await services.members.findByExternalId('demo-0001')) return; // already seeded
    const rand = seededRandom(20260101);
    const now = Date.now();
    for (let i = 1; i <= DEMO_MEMBER_COUNT; i++) {
      const n = String(i).padStart(4, '0');
      const birthMonth = 1 + Math.floor(rand() * 12);
      const member = await services.members.register(SYSTEM_ACTOR, {
        externalId: `demo-${n}`,
        displayName: `Demo Member ${n}`,
        email: `member${n}@example.com`,
        birthday: `${1960 + Math.floor(rand() * 45)}-${String(birthMonth).padStart(2, '0')}-${String(1 + Math.floor(rand() * 28)).padStart(2, '0')}`,
        gender: pick(rand, GENDERS),
        region: pick(rand, REGIONS),
        channel: pick(rand, CHANNELS),
        joinedAt: new Date(now - Math.floor(rand() * 365) * DAY - Math.floor(rand() * DAY)),
      });
      await seedHistory(services, member.id, member.joinedAt.getTime(), now, rand, n);
    }
  }
}

/**
 * A member's year: purchases at a member-specific rhythm and basket size (a few big
 * spenders, many occasional ones), some engagement, the odd refund. Everything goes through
 * the points service, so tiers, lots and the ledger are what the rules make of it.
 */
async function seedHistory(services: ReturnType<typeof createServices>, memberId: string, joined: number, now: number, rand: () => number, n: string) {
  const gapDays = 7 + Math.floor(rand() ** 2 * 90);
  const basket = 20 + Math.floor(rand() ** 3 * 600);
  const churnedAfter = rand() < 0.3 ? joined + rand() * (now - joined) : now;
  let k = 0;
  for (let t = joined + rand() * gapDays * DAY; t < Math.min(now - 60_000, churnedAfter); t += (0.5 + rand()) * gapDays * DAY) {
    const orderId = `demo-${n}-${++k}`;
    const amount = Math.round(basket * (0.5 + rand()) * 100) / 100;
    await services.points.recordPurchase(SYSTEM_ACTOR, { memberId, orderId, amount, occurredAt: new Date(t) });
    if (rand() < 0.05) {
      await services.points.refundPurchase(SYSTEM_ACTOR, { orderId, refundId: `${orderId}-r`, amount: Math.round(amount * 50) / 100, occurredAt: new Date(Math.min(t + 3 * DAY, now - 60_000)) });
    }
    if (rand() < 0.3) {
      const kind = pick(rand, ['CHECK_IN', 'REVIEW', 'SHARE', 'REFERRAL']);
      await services.points.recordActivity(SYSTEM_ACTOR, { memberId, kind, idempotencyKey: `${orderId}-${kind}`, occurredAt: new Date(t + 60_000) });
    }
  }
}
