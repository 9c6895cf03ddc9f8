import type { BenefitInput } from '../src/modules/benefits/benefits.service';
import type { CampaignDefinition } from '../src/modules/campaigns/campaigns.rules';
import type { ProgramChanges } from '../src/modules/program/program.service';
import type { RewardInput } from '../src/modules/rewards/rewards.service';
import type { SegmentFilter } from '../src/modules/segments/segment-filter';
import type { TagCategory } from '../src/modules/tags/tag.entities';

/**
 * What the demo programme is made of: every rule the README's tours and the IDE's examples
 * touch. The members and their history are in demo-history.ts.
 */
export const DEMO_TIERS = [
  { code: 'BRONZE', name: 'Bronze', rank: 0, qualifyingPoints: 0, retainPoints: 0, pointsMultiplier: 1 },
  { code: 'SILVER', name: 'Silver', rank: 1, qualifyingPoints: 1000, retainPoints: 800, pointsMultiplier: 1.25 },
  { code: 'GOLD', name: 'Gold', rank: 2, qualifyingPoints: 5000, retainPoints: 4000, pointsMultiplier: 1.5 },
  { code: 'PLATINUM', name: 'Platinum', rank: 3, qualifyingPoints: 15000, retainPoints: 12000, pointsMultiplier: 2 },
];

export const DEMO_ACTIVITIES = [
  // The shop's back end posts a review and a completed profile; the member's app posts a share.
  { kind: 'REVIEW', name: 'Product review', points: 20, qualifyingPoints: 10, dailyCap: 40, active: true, memberMayRecord: false },
  { kind: 'SHARE', name: 'Share to a friend', points: 10, qualifyingPoints: 0, dailyCap: 30, active: true, memberMayRecord: true },
  { kind: 'PROFILE_COMPLETED', name: 'Completed the profile', points: 50, qualifyingPoints: 0, dailyCap: null, active: true, memberMayRecord: false },
];

/**
 * Points expire 12 months after they are earned (the domain's default is 24): with 18 months
 * of history, some points have expired and some expire within the next 30 days. Daily
 * check-in gives 5 points a day, more as the streak grows, 30 a day from the seventh day on.
 * Referrals (they replace the REFERRAL activity rule): a friend's first purchase gives the
 * referrer 200 points and the friend 100, pending for 7 days, at most 10 rewarded a month.
 */
export const DEMO_PROGRAM: ProgramChanges = {
  pointsExpiryMonths: 12, checkInPoints: [5, 5, 10, 10, 15, 15, 30],
  referrerPoints: 200, refereePoints: 100, referralHoldDays: 7, referralMonthlyLimit: 10,
};

export const DEMO_TAGS: { code: string; name: string; category: TagCategory; rule?: SegmentFilter }[] = [
  { code: 'vip', name: 'VIP (hand-picked)', category: 'DESCRIPTIVE' },
  { code: 'coffee_lover', name: 'Coffee lover', category: 'PREFERENCE' },
  { code: 'weekend_shopper', name: 'Shops at weekends', category: 'SCENARIO' },
  { code: 'high_value', name: 'High value (monetary score 4 or 5)', category: 'BEHAVIOR', rule: { minM: 4 } },
  { code: 'slipping_gold', name: 'Gold or Platinum, not buying lately', category: 'BEHAVIOR', rule: { tierCodes: ['GOLD', 'PLATINUM'], stages: ['AT_RISK', 'DORMANT', 'CHURNED'] } },
];

export const DEMO_BENEFITS: BenefitInput[] = [
  { code: 'SILVER_DISCOUNT', name: '5% off every order', kind: 'DISCOUNT', value: 5, tierCodes: ['SILVER'], active: true },
  { code: 'GOLD_DISCOUNT', name: '10% off every order', kind: 'DISCOUNT', value: 10, tierCodes: ['GOLD'], active: true },
  { code: 'PLATINUM_DISCOUNT', name: '15% off every order', kind: 'DISCOUNT', value: 15, tierCodes: ['PLATINUM'], active: true },
  { code: 'FREE_SHIPPING', name: 'Free shipping', kind: 'FREE_SHIPPING', tierCodes: ['GOLD', 'PLATINUM'], active: true },
  { code: 'BIRTHDAY_GIFT', name: 'Birthday gift: 200 points', description: 'Granted in the birthday month', kind: 'BIRTHDAY_GIFT', value: 200, tierCodes: [], active: true },
  { code: 'LOUNGE', name: 'Airport lounge access', kind: 'LOUNGE_ACCESS', tierCodes: ['PLATINUM'], active: true },
  {
    code: 'FREE_PARKING', name: 'Free parking at our stores', description: 'For high-value members, whatever their tier',
    kind: 'FREE_PARKING', tierCodes: [], requiredTags: ['high_value'], active: true,
  },
  { code: 'MEMBER_DAY', name: 'Member day: early access', kind: 'MEMBER_DAY', tierCodes: [], requiredTags: ['vip'], active: true },
];

/** The catalogue: one with stock, one for the top tiers only, a voucher worth 10 € at the till whose coupon is valid 30 days. */
export const DEMO_REWARDS: RewardInput[] = [
  { code: 'COFFEE', name: 'A free coffee', costPoints: 300, active: true },
  { code: 'TOTE_BAG', name: 'Canvas tote bag', costPoints: 800, stock: 40, active: true },
  { code: 'LOUNGE_PASS', name: 'Lounge day pass', costPoints: 2500, perMemberLimit: 4, tierCodes: ['GOLD', 'PLATINUM'], active: true },
  { code: 'VOUCHER_10', name: '10 € shopping voucher', description: 'Take 10 € off a basket of 30 € or more, in store or online', faceValue: 10, couponValidDays: 30, costPoints: 1000, perMemberLimit: 3, active: true },
];

export const DEMO_SEGMENTS: { name: string; filter: SegmentFilter }[] = [
  { name: 'Champions', filter: { rfmSegments: ['IMPORTANT_VALUE'] } },
  { name: 'Gold and Platinum at risk', filter: { tierCodes: ['GOLD', 'PLATINUM'], stages: ['AT_RISK', 'DORMANT'] } },
  { name: 'Win back', filter: { stages: ['DORMANT', 'CHURNED'] } },
  { name: 'Coffee lovers', filter: { tagsAll: ['coffee_lover'] } },
];

/**
 * The campaigns of the demo's history, their windows relative to today and starting at a month
 * step of the replay (DemoSeeder activates each at its start, as an operator would have):
 * - DOUBLE-POINTS, six weeks of double points on every purchase for Bronze and Silver members,
 *   five months ago, a fifth held out: ended by its endsAt, with a report. Members it reached
 *   bought more in its window (demo-history.ts, `planCampaignResponses`): the report measures
 *   that against the control arm, which never saw the campaign.
 * - WIN-BACK, 300 bonus points on the next purchase of 30 € or more for the "Win back" segment's
 *   members (dormant or churned), since the start of last month and for three months: running
 *   today, within a budget.
 */
export const RESPONSIVE_CAMPAIGN = 'DOUBLE-POINTS';

export function demoCampaigns(now: number): CampaignDefinition[] {
  const monthsAgo = (n: number) => {
    const d = new Date(now);
    return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - n, 1));
  };
  const days = (from: Date, n: number) => new Date(from.getTime() + n * 86_400_000);
  const doubleFrom = monthsAgo(5);
  const winBackFrom = monthsAgo(1);
  return [
    {
      code: RESPONSIVE_CAMPAIGN, name: 'Double points for six weeks', trigger: 'PURCHASE', startsAt: doubleFrom, endsAt: days(doubleFrom, 42),
      audience: { tierCodes: ['BRONZE', 'SILVER'] }, multiplier: 2, budgetPoints: 100_000, controlPercent: 20,
    },
    {
      code: 'WIN-BACK', name: 'Come back: 300 bonus points', trigger: 'PURCHASE', startsAt: winBackFrom, endsAt: days(winBackFrom, 90),
      audience: { stages: ['DORMANT', 'CHURNED'] }, minAmount: 30, bonusPoints: 300, perMemberLimit: 1, budgetPoints: 30_000, controlPercent: 10,
    },
  ];
}
