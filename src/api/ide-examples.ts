/**
 * The IDE's first tabs: one example per kind of client, each with the role it needs. The
 * member's tabs carry the demo member's token (development only); the others say where to
 * get a token. Written against the public contract (docs/contract/): `useCoupon` and
 * `updateBenefit` are in its part "store".
 */
export interface IdeExample {
  title: string;
  role: 'member' | 'service' | 'admin';
  query: string;
  /** `$MEMBER_ID` is replaced by the demo member's id when there is one. */
  variables?: Record<string, unknown>;
}

export const IDE_EXAMPLES: IdeExample[] = [
  {
    title: 'Member app: the home screen',
    role: 'member',
    query: `# Member app: what the home screen shows (sent with the demo member's token).
query MemberScreen {
  me {
    displayName
    tier { name }
    tierExpiresAt
    tierProgress { qualifyingPoints nextTier { name } pointsToNextTier pointsToRetain }
    pointsBalance
    expiringPoints(withinDays: 30)
    benefits { name kind value }
    pointsHistory(first: 5) { edges { node { type amount balanceAfter occurredAt reason } } }
  }
}
`,
  },
  {
    title: 'Mini-program: redeem a reward',
    role: 'member',
    query: `# Mini-program: the catalogue, then a redemption. Run Redeem twice: the same
# idempotencyKey returns the same coupon and spends nothing more.
query Rewards {
  rewards { code name costPoints stock affordable }
}

mutation Redeem($input: RedeemRewardInput!) {
  redeemReward(input: $input) { couponCode points status reward { name } }
}
`,
    variables: { input: { memberId: '$MEMBER_ID', rewardCode: 'COFFEE', idempotencyKey: 'ide-coffee-1' } },
  },
  {
    title: 'Till: use a coupon',
    role: 'service',
    query: `# Till (a service token: npm run token -- --role service --sub till-1).
# Look the coupon up, then use it once; a retry with the same key gets the same answer.
query Coupon($code: String!) {
  redemptionByCoupon(couponCode: $code) { status points reward { name } expiresAt }
}

mutation UseCoupon($input: UseCouponInput!) {
  useCoupon(input: $input) { status usedAt usedAtStore }
}
`,
    variables: { code: 'PASTE-THE-COUPON-CODE', input: { couponCode: 'PASTE-THE-COUPON-CODE', idempotencyKey: 'till-1-sale-1', storeId: 'store-1' } },
  },
  {
    title: 'Store back end: post a purchase',
    role: 'service',
    query: `# Store back end (a service token). orderId is the idempotency key: retry freely.
mutation Purchase($input: RecordPurchaseInput!) {
  recordPurchase(input: $input) { pointsEarned qualifyingPointsEarned tierChange { kind toTier { name } } member { pointsBalance } }
}
`,
    variables: { input: { memberId: '$MEMBER_ID', orderId: 'ide-order-1', amount: 129.9 } },
  },
  {
    title: 'Admin: change a benefit',
    role: 'admin',
    query: `# Admin console (an admin token: printed at start-up, or npm run token -- --role admin).
# A change makes a new version; history shows who changed what.
query Benefits {
  benefits { code name kind value tierCodes requiredTags version }
}

mutation ChangeBenefit {
  updateBenefit(code: "GOLD_DISCOUNT", patch: { value: 12, name: "12% off every order" }) {
    code value version
    history { version changedBy changedAt }
  }
}
`,
  },
  {
    title: 'Admin: a segment',
    role: 'admin',
    query: `# Admin console: a segment of Gold and Platinum members who are slipping away,
# its size, and how it differs from all members (TGI).
mutation SaveSegment($input: SegmentInput!) {
  saveSegment(input: $input) {
    id name size
    members(first: 5) { edges { node { displayName tier { name } lifecycleStage churnRisk } } }
    profile { dimension value segmentShare populationShare tgi }
  }
}
`,
    variables: { input: { name: 'Slipping Gold and Platinum', filter: { tierCodes: ['GOLD', 'PLATINUM'], stages: ['AT_RISK', 'DORMANT'] } } },
  },
];
