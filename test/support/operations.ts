/**
 * Operations real clients send (README tours, the member app, the console), written against
 * schema/schema.graphql. The limits are sized against these: a test keeps them allowed, and
 * the abuse benchmark loads the member app's screen.
 */

/** The member app's home screen: level, progress, balance and a page of history. */
export const MEMBER_HOME = `query MemberHome($after: String) {
  me {
    id displayName tierSince tierExpiresAt
    tier { code name rank pointsMultiplier }
    tierProgress { qualifyingPoints pointsToNextTier pointsToRetain nextTier { code name qualifyingPoints } }
    pointsBalance pendingPoints lifetimePoints expiringPoints(withinDays: 30)
    pointsHistory(first: 20, after: $after) {
      edges { cursor node { id type amount balanceAfter occurredAt expiresAt reason reference } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

/** The member app's benefits and rewards screen. */
export const MEMBER_REWARDS = `query MemberRewards {
  me { id pointsBalance tier { code name } benefits { id code name description kind value validFrom validTo } }
  rewards { id code name costPoints stock perMemberLimit validFrom validTo affordable }
  tierNotices: me { id tierExpiresAt tierProgress { pointsToRetain } }
}`;

/** The console's member profile: identity, tier and retention, ledger, tier history, redemptions, tags. */
export const CONSOLE_MEMBER_PROFILE = `query MemberProfile($id: ID!, $ledgerAfter: String, $redemptionsAfter: String) {
  member(id: $id) {
    ...MemberIdentity
    ...MemberTier
    ...MemberRetention
    pointsBalance pendingPoints lifetimePoints expiringPoints(withinDays: 30)
    pointsHistory(first: 50, after: $ledgerAfter) {
      edges { cursor node { ...LedgerLine } }
      pageInfo { hasNextPage endCursor }
    }
    tierHistory { id kind reason qualifyingPoints occurredAt fromTier { ...TierBadge } toTier { ...TierBadge } }
    redemptions(first: 20, after: $redemptionsAfter) {
      edges { cursor node { id points couponCode status createdAt reward { id code name costPoints tierCodes } } }
      pageInfo { hasNextPage endCursor }
    }
    benefits { id code name kind value validTo }
    tags { id code name kind category }
  }
  tierNotices(memberId: $id) { id tierExpiresAt pointsToRetain noticedAt tier { ...TierBadge } }
}
fragment MemberIdentity on Member { id externalId displayName email phone birthday gender region channel joinedAt }
fragment TierBadge on Tier { id code name rank }
fragment MemberTier on Member {
  tier { ...TierBadge qualifyingPoints retainPoints pointsMultiplier benefits { id code name } }
  tierSince tierExpiresAt
  tierProgress { qualifyingPoints pointsToNextTier pointsToRetain nextTier { ...TierBadge qualifyingPoints } }
}
fragment MemberRetention on Member {
  lifecycleStage aliveProbability churnRisk expectedPurchases(days: 90)
  rfm { recencyDays frequency monetary r f m segment }
}
fragment LedgerLine on PointTransaction { id type amount balanceAfter occurredAt expiresAt reason reference }`;

/** The console's segment page: filter, size, profile and a page of its members. */
export const CONSOLE_SEGMENT = `query SegmentPage($id: ID!, $after: String) {
  segment(id: $id) {
    id name size
    filter { tierCodes tagsAll tagsAny tagsNone stages rfmSegments minBalance maxBalance minSpend maxSpend minR minF minM joinedFrom joinedTo lastPurchaseFrom lastPurchaseTo tierExpiresFrom tierExpiresTo genders regions channels birthdayMonths }
    profile { dimension value segmentCount segmentShare populationShare tgi }
    members(first: 100, after: $after) {
      totalCount
      edges { cursor node { id displayName email tier { code name } pointsBalance lifecycleStage churnRisk tags { code } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

/** The console's dashboard. */
export const CONSOLE_DASHBOARD = `query Dashboard($from: DateTime!, $to: DateTime!) {
  programStats { members pointsLiability byTier { tier { code name } count } byStage { stage count } }
  pointsFlow(from: $from, to: $to) { period earned redeemed expired redemptionRate }
  growth(from: $from, to: $to) { period active new retained wonBack churned }
  lifecycleTransitions(from: $from, to: $to) { from to count }
  churnModel { r alpha a b customers logLikelihood asOf ks gini }
  tagCounts { tag { code name category } count }
  winBackCandidates(first: 20) { id displayName churnRisk aliveProbability tier { name } }
}`;

/** The README's tour, as the admin sends it. */
export const README_TOUR = '{ tiers { code rank qualifyingPoints pointsMultiplier memberCount } members(first: 3) { totalCount edges { node { id displayName tier { name } pointsBalance } } } }';
export const README_PURCHASE = 'mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned member { pointsBalance } } }';
export const README_SUBSCRIPTION = 'subscription($id: ID) { tierChanged(memberId: $id) { kind fromTier { name } toTier { name } } }';
