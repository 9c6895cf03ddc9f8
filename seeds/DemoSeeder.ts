import type { EntityManager } from '@mikro-orm/postgresql';
import { Seeder } from '@mikro-orm/seeder';
import { AppError } from '../src/common/errors';
import { SYSTEM_ACTOR } from '../src/modules/actor';
import { createServices, type Services } from '../src/modules/services';
import { DAY, HISTORY_DAYS, planCampaignResponses, planDemoMembers, TOUR_MEMBER, type DemoEvent, type DemoMember } from './demo-history';
import {
  DEMO_ACTIVITIES, DEMO_BENEFITS, DEMO_PROGRAM, DEMO_REWARDS, DEMO_SEGMENTS, DEMO_TAGS, DEMO_TIERS, demoCampaigns, RESPONSIVE_CAMPAIGN,
} from './demo-programme';
import { seededRandom } from './random';

export { DEMO_ACTIVITIES, DEMO_TIERS } from './demo-programme';
export { TOUR_MEMBER } from './demo-history';

export const DEMO_MEMBER_COUNT = 200;
/** Members whose histories are replayed at once: each one's writes stay in order, and lock only that member. */
const CONCURRENCY = 4;

export interface DemoSeedContext {
  /** One line per step ("loading demo data: 200 members…"); silent when absent. */
  progress?: (line: string) => void;
  /** "Now" for the history (the system clock's). */
  now?: Date;
  /** Set by the run: the demo's members were there already, so nothing was written. */
  loadedBefore?: boolean;
}

/**
 * The demo programme: a four-tier ladder, benefits, rewards, tags, segments, two campaigns and
 * 200 members with 18 months of history, through the services (the same rules apply), replayed
 * month by month with the scheduled jobs (expiry, tier review, at-risk notices, birthday gifts,
 * campaign re-evaluation, the retention refresh every quarter and at the end) run at each
 * month's start, as the scheduler would have; each campaign is created and activated at its
 * start. Deterministic (seeded random, dates relative to today) but for who lands in a
 * campaign's control arm (a hash of random member ids), and safe to run again: on a database
 * that holds the demo (its tour member) it writes nothing and says so (`loadedBefore`).
 */
export class DemoSeeder extends Seeder {
  async run(em: EntityManager, context: DemoSeedContext = {}): Promise<void> {
    const progress = context.progress ?? (() => {});
    const now = (context.now ?? new Date()).getTime();
    const services = createServices(em.fork());
    // Already seeded: nothing is written (an operator's edits of the demo's tiers and rules stay).
    if (await services.members.findByExternalId(TOUR_MEMBER)) {
      context.loadedBefore = true;
      return;
    }
    for (const tier of DEMO_TIERS) await services.tiers.upsert(SYSTEM_ACTOR, tier);
    for (const rule of DEMO_ACTIVITIES) await services.points.upsertActivityRule(SYSTEM_ACTOR, rule);
    const started = Date.now();
    progress(`loading demo data: ${DEMO_MEMBER_COUNT} members, 18 months of history…`);
    await services.program.update(SYSTEM_ACTOR, DEMO_PROGRAM);
    for (const tag of DEMO_TAGS) await services.tags.upsert(SYSTEM_ACTOR, tag);
    for (const benefit of DEMO_BENEFITS) await services.benefits.upsert(SYSTEM_ACTOR, benefit);
    for (const reward of DEMO_REWARDS) await services.rewards.upsert(SYSTEM_ACTOR, reward);
    for (const segment of DEMO_SEGMENTS) await services.segments.save(SYSTEM_ACTOR, segment.name, segment.filter);
    const plans = planDemoMembers(DEMO_MEMBER_COUNT, now, seededRandom(20260101));
    const campaigns = demoCampaigns(now);
    const responsive = campaigns.find((c) => c.code === RESPONSIVE_CAMPAIGN)!;
    planCampaignResponses(plans, responsive.code, responsive.startsAt.getTime(), responsive.endsAt!.getTime(), seededRandom(20261205));
    const replay = new Replay(services, plans);
    const waiting = [...campaigns];
    const steps = monthStarts(now - HISTORY_DAYS * DAY, now);
    for (const [i, until] of steps.entries()) {
      // A campaign starting in this step is made and activated at its start (its audience's arms assigned then).
      for (const c of waiting.filter((w) => w.startsAt.getTime() < until)) {
        await services.campaigns.upsert(SYSTEM_ACTOR, c, c.startsAt);
        await services.campaigns.activate(SYSTEM_ACTOR, c.code, c.startsAt);
        waiting.splice(waiting.indexOf(c), 1);
      }
      await replay.until(until);
      await runJobs(services, new Date(until), i % 3 === 2 || i === steps.length - 1);
      if (i % 3 === 2 && i < steps.length - 1) progress(`demo data: ${new Date(until).toISOString().slice(0, 7)}, ${replay.summary()}`);
    }
    progress(`demo data loaded: ${replay.summary()} in ${Math.round((Date.now() - started) / 1000)} s`);
  }
}

/** The first instant of every UTC month after `from`, then `now`. */
function monthStarts(from: number, now: number): number[] {
  const d = new Date(from);
  const steps: number[] = [];
  for (let m = 1; ; m++) {
    const t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + m, 1);
    if (t >= now) break;
    steps.push(t);
  }
  return [...steps, now];
}

/** What the scheduler runs daily, at `asOf`; the retention refresh only when asked (it is the slow one). */
async function runJobs(services: Services, asOf: Date, refreshRetention: boolean) {
  await services.points.expirePoints(asOf);
  await services.tierEngine.review(asOf);
  await services.tierEngine.sendNotices(asOf);
  await services.benefits.grantBirthdays(asOf);
  if (refreshRetention) await services.retention.refresh(asOf);
  await services.campaigns.reevaluate(asOf);
}

/** Each member's planned events, written up to a moment, members in parallel. */
class Replay {
  private readonly ids = new Map<string, string>();
  private readonly next = new Map<string, number>();
  private purchases = 0;

  constructor(private readonly services: Services, private readonly plans: DemoMember[]) {}

  async until(until: number) {
    const queue = this.plans.filter((p) => p.profile.joinedAt.getTime() < until);
    const worker = async () => {
      for (let plan = queue.shift(); plan; plan = queue.shift()) await this.member(plan, until);
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  }

  summary() {
    return `${this.ids.size} members, ${this.purchases} purchases`;
  }

  private async member(plan: DemoMember, until: number) {
    const key = plan.profile.externalId;
    let id = this.ids.get(key);
    if (!id) {
      id = (await this.register(plan)).id;
      this.ids.set(key, id);
      for (const tag of plan.tags) await this.services.tags.tag(SYSTEM_ACTOR, id, tag);
    }
    let i = this.next.get(key) ?? 0;
    for (; i < plan.events.length && plan.events[i].at < until; i++) await this.event(id, plan.events[i]);
    this.next.set(key, i);
  }

  /**
   * A member registered, with its referrer's code when it has one (registered a month step
   * before it), as of when it joined: so its referral is made then, not when the demo loads.
   */
  private async register(plan: DemoMember) {
    if (!plan.referredBy) return this.services.members.register(SYSTEM_ACTOR, plan.profile);
    const referrer = this.ids.get(plan.referredBy)!;
    const referralCode = (await this.services.referrals.codesOf([referrer])).get(referrer)!;
    return this.services.members.register(SYSTEM_ACTOR, { ...plan.profile, referralCode }, plan.profile.joinedAt);
  }

  private async event(memberId: string, e: DemoEvent) {
    const occurredAt = new Date(e.at);
    const points = this.services.points;
    switch (e.type) {
      case 'purchase':
        // A response to a campaign its member never saw (the control arm, or outside its audience) did not happen.
        if (e.campaign && (await this.services.campaigns.arm(e.campaign, memberId)) !== 'TREATMENT') return;
        this.purchases++;
        // Recorded as of its date (a referral completes by when its purchase is recorded: then, as the history has it).
        return points.recordPurchase(SYSTEM_ACTOR, { memberId, orderId: e.orderId, amount: e.amount, occurredAt }, occurredAt);
      case 'refund':
        return points.refundPurchase(SYSTEM_ACTOR, { orderId: e.orderId, refundId: e.refundId, amount: e.amount, occurredAt });
      case 'activity':
        return points.recordActivity(SYSTEM_ACTOR, { memberId, kind: e.kind, idempotencyKey: e.key, occurredAt });
      case 'check-in':
        // At its instant (the service's seeding path: the API checks in at the server's clock only).
        return this.services.checkIn.checkIn(memberId, occurredAt);
      case 'redeem':
        // Not enough points, not the tier, or the limit reached: the member simply did not redeem.
        return this.services.rewards.redeem(SYSTEM_ACTOR, { memberId, rewardCode: e.rewardCode, idempotencyKey: e.key, occurredAt })
          .catch((err) => { if (!(err instanceof AppError)) throw err; });
    }
  }
}
