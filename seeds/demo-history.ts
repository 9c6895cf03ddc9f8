import type { RegisterMemberInput } from '../src/modules/members/members.service';
import { pick } from './random';

/**
 * The demo members and what they do over the last 18 months, planned up front from a seeded
 * random sequence (the same on every machine, relative to the day it runs), then replayed
 * through the services month by month (DemoSeeder).
 */
export const DAY = 86_400_000;
export const HISTORY_DAYS = 540; // 18 months

export type DemoEvent =
  /** `campaign`: a response to that campaign, posted only for the members in its treatment arm. */
  | { at: number; type: 'purchase'; orderId: string; amount: number; campaign?: string }
  | { at: number; type: 'refund'; orderId: string; refundId: string; amount: number }
  | { at: number; type: 'activity'; kind: string; key: string }
  | { at: number; type: 'check-in' }
  | { at: number; type: 'redeem'; rewardCode: string; key: string };

export interface DemoMember {
  profile: RegisterMemberInput & { externalId: string; joinedAt: Date };
  /** The member whose referral code it registered with (its externalId; registered before it). */
  referredBy?: string;
  tags: string[];
  /** In time order. */
  events: DemoEvent[];
}

/** The member the README's tours and the IDE use: a Gold regular with points about to expire. */
export const TOUR_MEMBER = 'demo-0001';

const REGIONS = ['North', 'South', 'East', 'West', 'Central'];
const CHANNELS = ['store', 'app', 'web', 'mini-program', 'referral'];
const GENDERS = ['F', 'M', 'F', 'M', 'X'];
const TOTE_BAGS = 15; // fewer than the stock: who gets one never depends on who asked first

export function planDemoMembers(count: number, now: number, rand: () => number): DemoMember[] {
  const plans = [tourMember(now), atRiskMember(now), downgradedMember(now), slippingMember(now)];
  let toteBags = 0;
  for (let i = plans.length + 1; i <= count; i++) {
    const plan = randomMember(i, now, rand, () => toteBags++ < TOTE_BAGS);
    plans.push(plan);
  }
  for (const p of plans) p.events.sort((a, b) => a.at - b.at);
  inviteFriends(plans);
  return plans;
}

/**
 * Ava invites friends (no random draw: the rest of the plan stays as it was): every 20th member
 * who joined at least 40 days after her (so she is registered a month step before them)
 * registers with her code. Those who buy complete their referral with their first purchase;
 * those who never buy stay PENDING; the first is her own second account (her phone, written
 * another way): REJECTED at registration. (Her phone, not her email: a search by her email
 * finds her alone.)
 */
function inviteFriends(plans: DemoMember[]): void {
  const ava = plans[0];
  const friends = plans.filter((p, i) => i >= 4 && i % 20 === 0 && p.profile.joinedAt.getTime() >= ava.profile.joinedAt.getTime() + 40 * DAY);
  for (const p of friends) p.referredBy = ava.profile.externalId;
  if (friends.length) friends[0].profile.phone = '+8613800138000';
}

const at = (now: number, daysAgo: number, hour = 10) => now - daysAgo * DAY + (hour - 12) * 3_600_000;

/**
 * Ava: a purchase every two weeks for 17 months (~7,900 qualifying points a year: Gold, not
 * Platinum), check-ins and reviews, a coffee and a lounge pass; her birthday is this month.
 */
function tourMember(now: number): DemoMember {
  const events: DemoEvent[] = [];
  const amounts = [260, 310, 240, 420, 280];
  let k = 0;
  for (let d = 510; d > 1; d -= 14, k++) {
    const orderId = `demo-0001-${k + 1}`;
    events.push({ at: at(now, d), type: 'purchase', orderId, amount: amounts[k % amounts.length] });
    if (k % 2 === 0) events.push({ at: at(now, d, 11), type: 'check-in' });
    if (k % 5 === 0) events.push({ at: at(now, d, 12), type: 'activity', kind: 'REVIEW', key: `${orderId}-REVIEW` });
  }
  events.push({ at: at(now, 200, 15), type: 'redeem', rewardCode: 'COFFEE', key: 'demo-0001-coffee' });
  events.push({ at: at(now, 100, 15), type: 'redeem', rewardCode: 'LOUNGE_PASS', key: 'demo-0001-lounge' });
  const month = String(new Date(now).getUTCMonth() + 1).padStart(2, '0');
  return {
    profile: {
      externalId: TOUR_MEMBER, displayName: 'Ava Lin', email: 'ava.lin@example.com', phone: '+86 138 0013 8000', birthday: `1990-${month}-01`,
      gender: 'F', region: 'North', channel: 'app', joinedAt: new Date(at(now, 520, 9)),
    },
    tags: ['vip', 'coffee_lover'],
    events,
  };
}

/**
 * Ben: reached Silver with one big order 345 days ago (so his tier is reviewed in ~20 days),
 * then bought little: he still needs points to keep Silver and has an at-risk notice.
 */
function atRiskMember(now: number): DemoMember {
  const events: DemoEvent[] = [
    { at: at(now, 380), type: 'purchase', orderId: 'demo-0002-1', amount: 80 },
    { at: at(now, 345), type: 'purchase', orderId: 'demo-0002-2', amount: 1200 },
  ];
  for (let d = 320, k = 3; d > 5; d -= 30, k++) events.push({ at: at(now, d), type: 'purchase', orderId: `demo-0002-${k}`, amount: 60 });
  return {
    profile: {
      externalId: 'demo-0002', displayName: 'Ben Okafor', email: 'ben.okafor@example.com', birthday: '1985-03-02',
      gender: 'M', region: 'South', channel: 'store', joinedAt: new Date(at(now, 400, 9)),
    },
    tags: ['weekend_shopper'],
    events,
  };
}

/** Chloe: Gold after four busy months a year and a half ago, then little: downgraded to Silver at her review. */
function downgradedMember(now: number): DemoMember {
  const events: DemoEvent[] = [];
  let k = 0;
  for (let d = 520; d >= 400; d -= 10) events.push({ at: at(now, d), type: 'purchase', orderId: `demo-0003-${++k}`, amount: 500 });
  for (let d = 370; d > 5; d -= 60) events.push({ at: at(now, d), type: 'purchase', orderId: `demo-0003-${++k}`, amount: 100 });
  return {
    profile: {
      externalId: 'demo-0003', displayName: 'Chloe Martin', email: 'chloe.martin@example.com', birthday: '1978-11-23',
      gender: 'F', region: 'West', channel: 'web', joinedAt: new Date(at(now, 530, 9)),
    },
    tags: ['coffee_lover'],
    events,
  };
}

/** Dan: Platinum from a big half-year, silent for the last four months: a customer to win back. */
function slippingMember(now: number): DemoMember {
  const events: DemoEvent[] = [];
  let k = 0;
  for (let d = 290; d >= 120; d -= 7) events.push({ at: at(now, d, 18), type: 'purchase', orderId: `demo-0004-${++k}`, amount: 900 + (k % 4) * 50 });
  return {
    profile: {
      externalId: 'demo-0004', displayName: 'Dan Novak', email: 'dan.novak@example.com', birthday: '1970-06-15',
      gender: 'M', region: 'Central', channel: 'store', joinedAt: new Date(at(now, 300, 9)),
    },
    tags: ['vip'],
    events,
  };
}

/**
 * What a campaign did to those it reached: four in five of the members who had bought in the
 * 180 days before its start made three purchases more in its window, of their usual size.
 * Planned for every such member (not the four of the tours) and posted only for those in its
 * treatment arm (DemoSeeder): its control arm and the members outside its audience never saw
 * it, so the report's uplift is this. Drawn from a random sequence of its own, so the rest of
 * the plan stays as it was.
 */
export function planCampaignResponses(plans: DemoMember[], campaign: string, from: number, to: number, rand: () => number): void {
  for (const plan of plans.slice(4)) {
    const before = plan.events.flatMap((e) => (e.type === 'purchase' && e.at >= from - 180 * DAY && e.at < from ? [e.amount] : []));
    if (before.length === 0 || rand() >= 0.8) continue;
    const basket = before.reduce((sum, amount) => sum + amount, 0) / before.length;
    for (const k of [1, 2, 3]) {
      const at = from + Math.floor(rand() * (to - from - DAY));
      plan.events.push({ at, type: 'purchase', orderId: `${plan.profile.externalId}-${campaign.toLowerCase()}-${k}`, amount: Math.round(basket * 100) / 100, campaign });
    }
    plan.events.sort((a, b) => a.at - b.at);
  }
}

/** Mean days between purchases, basket size, and the chance of dropping out after a purchase. */
type Habit = { gap: number; basket: number; dropout: number } | null;

/** A few big spenders, regulars, many occasional buyers, some who bought once or never. */
function habitOf(kind: number, rand: () => number): Habit {
  if (kind < 0.04) return { gap: 8 + rand() * 7, basket: 600 + rand() * 600, dropout: 0.01 + rand() * 0.02 };
  if (kind < 0.34) return { gap: 10 + rand() * 20, basket: 80 + rand() * 220, dropout: 0.02 + rand() * 0.06 };
  if (kind < 0.84) return { gap: 30 + rand() * 90, basket: 20 + rand() * 180, dropout: 0.05 + rand() * 0.25 };
  if (kind < 0.93) return { gap: 10_000, basket: 20 + rand() * 200, dropout: 1 }; // one purchase
  return null; // never buys: a prospect
}

function randomMember(i: number, now: number, rand: () => number, toteBagLeft: () => boolean): DemoMember {
  const n = String(i).padStart(4, '0');
  const birthMonth = 1 + Math.floor(rand() * 12);
  const kind = rand();
  const habit = habitOf(kind, rand);
  const joined = now - Math.floor(rand() * HISTORY_DAYS) * DAY - Math.floor(rand() * DAY);
  const profile = {
    externalId: `demo-${n}`,
    displayName: `Demo Member ${n}`,
    email: `member${n}@example.com`,
    birthday: `${1960 + Math.floor(rand() * 45)}-${String(birthMonth).padStart(2, '0')}-${String(1 + Math.floor(rand() * 28)).padStart(2, '0')}`,
    gender: pick(rand, GENDERS),
    region: pick(rand, REGIONS),
    channel: pick(rand, CHANNELS),
    joinedAt: new Date(joined),
  };
  const tags = [
    ...(rand() < (kind < 0.04 ? 0.5 : 0.05) ? ['vip'] : []),
    ...(rand() < 0.25 ? ['coffee_lover'] : []),
    ...(rand() < 0.2 ? ['weekend_shopper'] : []),
  ];
  const events: DemoEvent[] = [];
  if (habit) {
    // As the churn model (BG/NBD) sees customers: purchases at random (exponential gaps) at
    // the member's own rate, and after each one a chance of never buying again; a few of
    // those who left come back in the last 45 days.
    let k = 0;
    let left = false;
    const buy = (t: number) => {
      const orderId = `demo-${n}-${++k}`;
      const amount = Math.round(habit.basket * (0.5 + rand()) * 100) / 100;
      events.push({ at: t, type: 'purchase', orderId, amount });
      if (rand() < 0.05) events.push({ at: Math.min(t + 3 * DAY, now - 60_000), type: 'refund', orderId, refundId: `${orderId}-r`, amount: Math.round(amount * 50) / 100 });
      if (rand() < 0.3) {
        const activity = pick(rand, ['CHECK_IN', 'REVIEW', 'SHARE', 'REFERRAL']);
        // A daily check-in is the check-in mechanic's (its own table and CHECK_IN points), not an activity; REFERRAL is the
        // referrals mechanic's (inviteFriends): still drawn, posting nothing, so the sequence after it stays.
        if (activity !== 'REFERRAL') {
          events.push(activity === 'CHECK_IN' ? { at: t + 60_000, type: 'check-in' } : { at: t + 60_000, type: 'activity', kind: activity, key: `${orderId}-${activity}` });
        }
      }
      if (rand() < 0.08) {
        const wanted = kind < 0.04 ? pick(rand, ['LOUNGE_PASS', 'VOUCHER_10']) : pick(rand, ['COFFEE', 'COFFEE', 'VOUCHER_10', 'TOTE_BAG']);
        const rewardCode = wanted === 'TOTE_BAG' && !toteBagLeft() ? 'COFFEE' : wanted;
        events.push({ at: Math.min(t + 3_600_000, now - 1000), type: 'redeem', rewardCode, key: `${orderId}-${rewardCode}` });
      }
    };
    const gap = () => -Math.log(1 - rand()) * habit.gap * DAY;
    for (let t = joined + rand() * Math.min(habit.gap, 60) * DAY; t < now - 60_000 && !left; t += gap()) {
      buy(t);
      left = rand() < habit.dropout;
    }
    if (left && rand() < 0.15) for (let t = now - (15 + rand() * 30) * DAY; t < now - 60_000; t += (5 + rand() * 20) * DAY) buy(t);
  }
  return { profile, tags, events };
}
