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
    if (await services.members.findByExternalId('demo-0001')) return; // already seeded
    const rand = seededRandom(20260101);
    const now = Date.now();
    for (let i = 1; i <= DEMO_MEMBER_COUNT; i++) {
      const n = String(i).padStart(4, '0');
      const birthMonth = 1 + Math.floor(rand() * 12);
      await services.members.register({
        externalId: `demo-${n}`,
        displayName: `Demo Member ${n}`,
        email: `member${n}@example.com`,
        birthday: `${1960 + Math.floor(rand() * 45)}-${String(birthMonth).padStart(2, '0')}-${String(1 + Math.floor(rand() * 28)).padStart(2, '0')}`,
        gender: pick(rand, GENDERS),
        region: pick(rand, REGIONS),
        channel: pick(rand, CHANNELS),
        joinedAt: new Date(now - Math.floor(rand() * 365) * DAY - Math.floor(rand() * DAY)),
      });
    }
  }
}
