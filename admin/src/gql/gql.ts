/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query SignInCheck {\n    auditLog(first: 1) {\n      id\n    }\n  }\n": typeof types.SignInCheckDocument,
    "\n  fragment AuditRow on AuditEntry {\n    id\n    actor\n    action\n    entity\n    entityId\n    before\n    after\n    at\n  }\n": typeof types.AuditRowFragmentDoc,
    "\n  query AuditLog($filter: AuditFilterInput, $first: Int!, $after: String) {\n    program {\n      timeZone\n    }\n    auditEntries(filter: $filter, first: $first, after: $after) {\n      edges {\n        node {\n          ...AuditRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.AuditLogDocument,
    "\n  query AuditTimeZone {\n    program {\n      timeZone\n    }\n  }\n": typeof types.AuditTimeZoneDocument,
    "\n  fragment BenefitFields on Benefit {\n    id\n    code\n    name\n    description\n    kind\n    value\n    tierCodes\n    requiredTags\n    active\n    validFrom\n    validTo\n    version\n  }\n": typeof types.BenefitFieldsFragmentDoc,
    "\n  query BenefitList {\n    benefits {\n      ...BenefitFields\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    program {\n      timeZone\n    }\n  }\n": typeof types.BenefitListDocument,
    "\n  query BenefitDetail($code: String!, $auditFirst: Int!) {\n    benefits {\n      ...BenefitFields\n      history {\n        version\n        changedBy\n        changedAt\n        snapshot\n      }\n    }\n    auditEntries(filter: { entity: \"Benefit\", entityId: $code }, first: $auditFirst) {\n      edges {\n        node {\n          ...AuditRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    tags {\n      code\n      name\n    }\n    program {\n      timeZone\n    }\n  }\n": typeof types.BenefitDetailDocument,
    "\n  query BenefitNew {\n    benefits {\n      code\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    tags {\n      code\n      name\n    }\n    program {\n      timeZone\n    }\n  }\n": typeof types.BenefitNewDocument,
    "\n  query BenefitCodes {\n    benefits {\n      code\n    }\n  }\n": typeof types.BenefitCodesDocument,
    "\n  mutation CreateBenefit($input: BenefitInput!) {\n    upsertBenefit(input: $input) {\n      ...BenefitFields\n    }\n  }\n": typeof types.CreateBenefitDocument,
    "\n  query BenefitAudit($code: String!, $first: Int!, $after: String) {\n    auditEntries(filter: { entity: \"Benefit\", entityId: $code }, first: $first, after: $after) {\n      edges {\n        node {\n          ...AuditRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.BenefitAuditDocument,
    "\n  mutation UpdateBenefit($code: String!, $patch: BenefitPatch!) {\n    updateBenefit(code: $code, patch: $patch) {\n      ...BenefitFields\n    }\n  }\n": typeof types.UpdateBenefitDocument,
    "\n  fragment CampaignFields on Campaign {\n    id\n    code\n    name\n    trigger\n    status\n    endedReason\n    endedAt\n    startsAt\n    endsAt\n    audience {\n      ...SegmentFilterFields\n    }\n    activityKind\n    minAmount\n    bonusPoints\n    multiplier\n    rewardCode\n    perMemberLimit\n    budgetPoints\n    pointsGiven\n    budgetSpent\n    controlPercent\n  }\n": typeof types.CampaignFieldsFragmentDoc,
    "\n  query Campaigns {\n    campaigns {\n      ...CampaignFields\n    }\n    program {\n      timeZone\n    }\n  }\n": typeof types.CampaignsDocument,
    "\n  query CampaignPage($code: String!, $editing: Boolean!) {\n    campaign(code: $code) @include(if: $editing) {\n      ...CampaignFields\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    tags {\n      code\n      name\n      kind\n    }\n    segments {\n      id\n      name\n      filter {\n        ...SegmentFilterFields\n      }\n    }\n    rewards {\n      code\n      name\n      costPoints\n      active\n    }\n    program {\n      pointValue\n      timeZone\n    }\n    everyone: segmentPreview(filter: {}) {\n      size\n      profile {\n        dimension\n        value\n      }\n    }\n  }\n": typeof types.CampaignPageDocument,
    "\n  fragment CampaignArmFields on CampaignArm {\n    members\n    buyers\n    purchases\n    gmv\n    arpu\n    purchaseRate\n  }\n": typeof types.CampaignArmFieldsFragmentDoc,
    "\n  query CampaignReport($code: String!) {\n    program {\n      timeZone\n    }\n    campaignReport(code: $code) {\n      from\n      to\n      treatment {\n        ...CampaignArmFields\n      }\n      control {\n        ...CampaignArmFields\n      }\n      upliftArpu\n      upliftArpuLow\n      upliftArpuHigh\n      upliftPurchaseRate\n      incrementalGmv\n      cost\n      roi\n    }\n  }\n": typeof types.CampaignReportDocument,
    "\n  query CampaignAudienceSize($filter: SegmentFilterInput!) {\n    segmentPreview(filter: $filter) {\n      size\n    }\n  }\n": typeof types.CampaignAudienceSizeDocument,
    "\n  query SimulateCampaign($input: CampaignInput!, $from: DateTime!, $to: DateTime!) {\n    simulateCampaign(input: $input, from: $from, to: $to) {\n      eligibleMembers\n      qualifyingEvents\n      pointsWouldGive\n      costWouldBe\n    }\n  }\n": typeof types.SimulateCampaignDocument,
    "\n  query CampaignCodeTaken($code: String!) {\n    campaign(code: $code) {\n      id\n    }\n  }\n": typeof types.CampaignCodeTakenDocument,
    "\n  mutation UpsertCampaign($input: CampaignInput!) {\n    upsertCampaign(input: $input) {\n      ...CampaignFields\n    }\n  }\n": typeof types.UpsertCampaignDocument,
    "\n  mutation ActivateCampaign($code: String!) {\n    activateCampaign(code: $code) {\n      ...CampaignFields\n    }\n  }\n": typeof types.ActivateCampaignDocument,
    "\n  mutation PauseCampaign($code: String!) {\n    pauseCampaign(code: $code) {\n      ...CampaignFields\n    }\n  }\n": typeof types.PauseCampaignDocument,
    "\n  mutation EndCampaign($code: String!) {\n    endCampaign(code: $code) {\n      ...CampaignFields\n    }\n  }\n": typeof types.EndCampaignDocument,
    "\n  query ChurnModelPage {\n    churnModel {\n      method\n      ks\n      gini\n      recencyKs\n      recencyGini\n      r\n      alpha\n      a\n      b\n      customers\n      asOf\n    }\n    program {\n      churnHorizonDays\n    }\n  }\n": typeof types.ChurnModelPageDocument,
    "\n  query DashboardSummary($expiringWithinDays: Int!, $winBack: Int!) {\n    program {\n      timeZone\n    }\n    programStats {\n      members\n      pointsLiability\n      pendingPoints\n      expiringPoints(withinDays: $expiringWithinDays)\n      byTier {\n        count\n        tier {\n          code\n          name\n          rank\n        }\n      }\n      byStage {\n        stage\n        count\n      }\n      byRfmSegment {\n        segment\n        count\n        monetary\n      }\n    }\n    churnModel {\n      method\n      r\n      alpha\n      a\n      b\n      customers\n      logLikelihood\n      asOf\n      ks\n      gini\n    }\n    winBackCandidates(first: $winBack) {\n      id\n      displayName\n      externalId\n      churnRisk\n      lifecycleStage\n      rfm {\n        monetary\n        recencyDays\n        segment\n      }\n      tier {\n        code\n        name\n      }\n    }\n  }\n": typeof types.DashboardSummaryDocument,
    "\n  query DashboardSeries($from: DateTime!, $to: DateTime!) {\n    pointsFlow(from: $from, to: $to) {\n      period\n      earned\n      redeemed\n      expired\n      reversed\n      redemptionRate\n    }\n    growth(from: $from, to: $to) {\n      period\n      active\n      new\n      retained\n      wonBack\n      churned\n    }\n    lifecycleTransitions(from: $from, to: $to) {\n      from\n      to\n      count\n    }\n  }\n": typeof types.DashboardSeriesDocument,
    "\n  fragment ImportJobRow on ImportJob {\n    id\n    kind\n    mode\n    status\n    rowsDone\n    rowsRejected\n    startedAt\n    finishedAt\n    failure\n  }\n": typeof types.ImportJobRowFragmentDoc,
    "\n  query ImportJobs($first: Int!) {\n    importJobs(first: $first) {\n      ...ImportJobRow\n    }\n  }\n": typeof types.ImportJobsDocument,
    "\n  query ImportJob($id: ID!, $first: Int!, $afterLine: Int) {\n    importJob(id: $id) {\n      ...ImportJobRow\n      errors(first: $first, afterLine: $afterLine) {\n        line\n        message\n      }\n    }\n  }\n": typeof types.ImportJobDocument,
    "\n  fragment JobRunRow on JobRun {\n    id\n    job\n    slot\n    startedAt\n    finishedAt\n    processed\n    changed\n    failed\n  }\n": typeof types.JobRunRowFragmentDoc,
    "\n  query JobsOverview {\n    program {\n      timeZone\n    }\n    pointsExpire: jobRuns(job: \"points.expire\", first: 1) {\n      ...JobRunRow\n    }\n    tiersReview: jobRuns(job: \"tiers.review\", first: 1) {\n      ...JobRunRow\n    }\n    tiersNotices: jobRuns(job: \"tiers.notices\", first: 1) {\n      ...JobRunRow\n    }\n    benefitsBirthday: jobRuns(job: \"benefits.birthday\", first: 1) {\n      ...JobRunRow\n    }\n    retentionRefresh: jobRuns(job: \"retention.refresh\", first: 1) {\n      ...JobRunRow\n    }\n    campaignsReevaluate: jobRuns(job: \"campaigns.reevaluate\", first: 1) {\n      ...JobRunRow\n    }\n  }\n": typeof types.JobsOverviewDocument,
    "\n  query JobRuns($job: String, $first: Int!) {\n    jobRuns(job: $job, first: $first) {\n      ...JobRunRow\n    }\n  }\n": typeof types.JobRunsDocument,
    "\n  mutation RunExpirePoints($asOf: DateTime!) {\n    expirePoints(asOf: $asOf) {\n      processed\n      changed\n    }\n  }\n": typeof types.RunExpirePointsDocument,
    "\n  mutation RunTierReview($asOf: DateTime!) {\n    runTierReview(asOf: $asOf) {\n      processed\n      changed\n    }\n  }\n": typeof types.RunTierReviewDocument,
    "\n  mutation RunTierNotices($asOf: DateTime!) {\n    sendTierNotices(asOf: $asOf) {\n      processed\n      changed\n    }\n  }\n": typeof types.RunTierNoticesDocument,
    "\n  mutation RunBirthdayGifts($asOf: DateTime!) {\n    grantBirthdayGifts(asOf: $asOf) {\n      processed\n      changed\n    }\n  }\n": typeof types.RunBirthdayGiftsDocument,
    "\n  mutation RunRetentionRefresh($asOf: DateTime!) {\n    refreshRetention(asOf: $asOf) {\n      processed\n      changed\n    }\n  }\n": typeof types.RunRetentionRefreshDocument,
    "\n  mutation RunCampaignReevaluation($asOf: DateTime!) {\n    reevaluateCampaigns(asOf: $asOf) {\n      processed\n      changed\n    }\n  }\n": typeof types.RunCampaignReevaluationDocument,
    "\n  fragment MemberCheckIn on Member {\n    checkInStreak\n    checkedInToday\n  }\n": typeof types.MemberCheckInFragmentDoc,
    "\n  fragment MemberRow on Member {\n    id\n    externalId\n    displayName\n    email\n    phone\n    pointsBalance\n    lifecycleStage\n    tier {\n      code\n      name\n    }\n  }\n": typeof types.MemberRowFragmentDoc,
    "\n  query MemberList($first: Int!, $after: String) {\n    members(first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          ...MemberRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.MemberListDocument,
    "\n  query MemberSearch($query: String!, $first: Int!, $after: String) {\n    searchMembers(query: $query, first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          ...MemberRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.MemberSearchDocument,
    "\n  fragment LedgerRow on PointTransaction {\n    id\n    type\n    amount\n    balanceAfter\n    occurredAt\n    expiresAt\n    reason\n    reference\n  }\n": typeof types.LedgerRowFragmentDoc,
    "\n  fragment RedemptionRow on Redemption {\n    id\n    couponCode\n    status\n    points\n    createdAt\n    expiresAt\n    usedAt\n    usedAtStore\n    reward {\n      code\n      name\n    }\n  }\n": typeof types.RedemptionRowFragmentDoc,
    "\n  query MemberProfile($id: ID!, $pageSize: Int!) {\n    member(id: $id) {\n      id\n      erasedAt\n      ...MemberCheckIn\n      externalId\n      displayName\n      email\n      phone\n      birthday\n      gender\n      region\n      channel\n      joinedAt\n      tierSince\n      tierExpiresAt\n      tier {\n        code\n        name\n      }\n      tierProgress {\n        qualifyingPoints\n        pointsToNextTier\n        pointsToRetain\n        nextTier {\n          code\n          name\n          qualifyingPoints\n        }\n      }\n      pointsBalance\n      pendingPoints\n      lifetimePoints\n      expiringPoints(withinDays: 30)\n      lifecycleStage\n      churnRisk\n      aliveProbability\n      expectedPurchases(days: 90)\n      rfm {\n        recencyDays\n        frequency\n        monetary\n        r\n        f\n        m\n        segment\n      }\n      tags {\n        code\n        name\n        kind\n      }\n      benefits {\n        code\n        name\n        kind\n        value\n      }\n      tierHistory {\n        id\n        kind\n        reason\n        occurredAt\n        qualifyingPoints\n        fromTier {\n          name\n        }\n        toTier {\n          name\n        }\n      }\n      pointsHistory(first: $pageSize) {\n        edges {\n          node {\n            ...LedgerRow\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n      redemptions(first: $pageSize) {\n        edges {\n          node {\n            ...RedemptionRow\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n      ...MemberReferrals\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    tags {\n      code\n      name\n      kind\n    }\n    program {\n      timeZone\n    }\n  }\n": typeof types.MemberProfileDocument,
    "\n  query MemberLedger($id: ID!, $first: Int!, $after: String) {\n    member(id: $id) {\n      id\n      pointsHistory(first: $first, after: $after) {\n        edges {\n          node {\n            ...LedgerRow\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": typeof types.MemberLedgerDocument,
    "\n  query MemberRedemptions($id: ID!, $first: Int!, $after: String) {\n    member(id: $id) {\n      id\n      redemptions(first: $first, after: $after) {\n        edges {\n          node {\n            ...RedemptionRow\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": typeof types.MemberRedemptionsDocument,
    "\n  mutation AdjustPoints($input: AdjustPointsInput!) {\n    adjustPoints(input: $input) {\n      id\n      amount\n      balanceAfter\n    }\n  }\n": typeof types.AdjustPointsDocument,
    "\n  mutation SetMemberTier($memberId: ID!, $tierCode: String!, $reason: String!, $expiresAt: DateTime) {\n    setMemberTier(memberId: $memberId, tierCode: $tierCode, reason: $reason, expiresAt: $expiresAt) {\n      id\n      tierExpiresAt\n      tier {\n        code\n        name\n      }\n    }\n  }\n": typeof types.SetMemberTierDocument,
    "\n  mutation TagMember($memberId: ID!, $tagCode: String!) {\n    tagMember(memberId: $memberId, tagCode: $tagCode) {\n      id\n      tags {\n        code\n      }\n    }\n  }\n": typeof types.TagMemberDocument,
    "\n  mutation UntagMember($memberId: ID!, $tagCode: String!) {\n    untagMember(memberId: $memberId, tagCode: $tagCode) {\n      id\n      tags {\n        code\n      }\n    }\n  }\n": typeof types.UntagMemberDocument,
    "\n  mutation CancelRedemption($id: ID!, $reason: String!) {\n    cancelRedemption(id: $id, reason: $reason) {\n      id\n      status\n    }\n  }\n": typeof types.CancelRedemptionDocument,
    "\n  mutation UpdateMember($memberId: ID!, $patch: MemberPatch!) {\n    updateMember(memberId: $memberId, patch: $patch) {\n      id\n      displayName\n      email\n      phone\n      birthday\n      gender\n      region\n    }\n  }\n": typeof types.UpdateMemberDocument,
    "\n  mutation EraseMember($memberId: ID!, $reason: String!) {\n    eraseMember(memberId: $memberId, reason: $reason) {\n      id\n      erasedAt\n      externalId\n      displayName\n    }\n  }\n": typeof types.EraseMemberDocument,
    "\n  fragment MemberReferrals on Member {\n    referralCode\n    referredBy {\n      id\n      displayName\n    }\n    referrals(first: 10) {\n      ...ReferralPage\n    }\n  }\n": typeof types.MemberReferralsFragmentDoc,
    "\n  fragment ReferralPage on ReferralConnection {\n      totalCount\n      edges {\n        node {\n          ...ReferralRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n  }\n": typeof types.ReferralPageFragmentDoc,
    "\n  fragment ReferralRow on Referral {\n    id\n    status\n    reason\n    createdAt\n    completedAt\n    referee {\n      id\n      displayName\n    }\n  }\n": typeof types.ReferralRowFragmentDoc,
    "\n  query MemberReferralsPage($id: ID!, $first: Int!, $after: String) {\n    member(id: $id) {\n      id\n      referrals(first: $first, after: $after) {\n        ...ReferralPage\n      }\n    }\n  }\n": typeof types.MemberReferralsPageDocument,
    "\n  fragment EngagementSettings on Program {\n    timeZone\n    referrerPoints\n    refereePoints\n    referralHoldDays\n    referralMonthlyLimit\n    checkInPoints\n  }\n": typeof types.EngagementSettingsFragmentDoc,
    "\n  fragment ActivityRuleFields on ActivityRule {\n    kind\n    name\n    points\n    qualifyingPoints\n    dailyCap\n    active\n    memberMayRecord\n  }\n": typeof types.ActivityRuleFieldsFragmentDoc,
    "\n  query ProgrammePage {\n    program {\n      ...EngagementSettings\n    }\n    activityRules {\n      ...ActivityRuleFields\n    }\n  }\n": typeof types.ProgrammePageDocument,
    "\n  mutation UpdateEngagement($input: ProgramInput!) {\n    updateProgram(input: $input) {\n      ...EngagementSettings\n    }\n  }\n": typeof types.UpdateEngagementDocument,
    "\n  query ActivityRuleKinds {\n    activityRules {\n      kind\n    }\n  }\n": typeof types.ActivityRuleKindsDocument,
    "\n  mutation UpsertActivityRule($input: ActivityRuleInput!) {\n    upsertActivityRule(input: $input) {\n      ...ActivityRuleFields\n    }\n  }\n": typeof types.UpsertActivityRuleDocument,
    "\n  fragment ReferralFigures on ReferralStats {\n    registered\n    completed\n    rejected\n    reversed\n    pointsGiven\n    referrers\n    referralsPerReferrer\n  }\n": typeof types.ReferralFiguresFragmentDoc,
    "\n  query ReferralMonths {\n    program {\n      timeZone\n    }\n    referralStatsByMonth(months: 12) {\n      from\n      to\n      stats {\n        ...ReferralFigures\n      }\n    }\n  }\n": typeof types.ReferralMonthsDocument,
    "\n  query ReferralTotals($from: DateTime!, $to: DateTime!) {\n    referralStats(from: $from, to: $to) {\n      ...ReferralFigures\n    }\n  }\n": typeof types.ReferralTotalsDocument,
    "\n  fragment RewardFields on Reward {\n    id\n    code\n    name\n    description\n    costPoints\n    stock\n    perMemberLimit\n    tierCodes\n    active\n    validFrom\n    validTo\n    faceValue\n    couponValidDays\n  }\n": typeof types.RewardFieldsFragmentDoc,
    "\n  query RewardsPage {\n    rewards {\n      ...RewardFields\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    program {\n      timeZone\n    }\n  }\n": typeof types.RewardsPageDocument,
    "\n  mutation UpdateReward($code: String!, $patch: RewardPatch!) {\n    updateReward(code: $code, patch: $patch) {\n      ...RewardFields\n    }\n  }\n": typeof types.UpdateRewardDocument,
    "\n  query RewardCodes {\n    rewards {\n      code\n    }\n  }\n": typeof types.RewardCodesDocument,
    "\n  mutation CreateReward($input: RewardInput!) {\n    upsertReward(input: $input) {\n      ...RewardFields\n    }\n  }\n": typeof types.CreateRewardDocument,
    "\n  query CouponLookup($couponCode: String!) {\n    redemptionByCoupon(couponCode: $couponCode) {\n      id\n      status\n      points\n      couponCode\n      createdAt\n      expiresAt\n      usedAt\n      usedAtStore\n      reward {\n        code\n        name\n      }\n      member {\n        id\n        displayName\n        externalId\n      }\n    }\n  }\n": typeof types.CouponLookupDocument,
    "\n  fragment SegmentFilterFields on SegmentFilter {\n    tierCodes\n    tagsAll\n    tagsAny\n    tagsNone\n    stages\n    rfmSegments\n    minBalance\n    maxBalance\n    minSpend\n    maxSpend\n    minR\n    minF\n    minM\n    joinedFrom\n    joinedTo\n    lastPurchaseFrom\n    lastPurchaseTo\n    tierExpiresFrom\n    tierExpiresTo\n    genders\n    regions\n    channels\n    birthdayMonths\n  }\n": typeof types.SegmentFilterFieldsFragmentDoc,
    "\n  fragment SegmentMember on Member {\n    id\n    externalId\n    displayName\n    pointsBalance\n    lifecycleStage\n    tier {\n      code\n      name\n    }\n  }\n": typeof types.SegmentMemberFragmentDoc,
    "\n  fragment SavedSegment on Segment {\n    id\n    name\n    size\n    exportPath\n    filter {\n      ...SegmentFilterFields\n    }\n  }\n": typeof types.SavedSegmentFragmentDoc,
    "\n  query SegmentsPage {\n    tiers {\n      code\n      name\n      rank\n    }\n    tags {\n      code\n      name\n      kind\n    }\n    segments {\n      ...SavedSegment\n    }\n    program {\n      timeZone\n    }\n  }\n": typeof types.SegmentsPageDocument,
    "\n  query SegmentPreview($filter: SegmentFilterInput!, $first: Int!) {\n    segmentPreview(filter: $filter) {\n      size\n      profile {\n        dimension\n        value\n        segmentCount\n        segmentShare\n        populationShare\n        tgi\n      }\n      members(first: $first) {\n        totalCount\n        edges {\n          node {\n            ...SegmentMember\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": typeof types.SegmentPreviewDocument,
    "\n  query SegmentPreviewMembers($filter: SegmentFilterInput!, $first: Int!, $after: String) {\n    segmentPreview(filter: $filter) {\n      members(first: $first, after: $after) {\n        totalCount\n        edges {\n          node {\n            ...SegmentMember\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": typeof types.SegmentPreviewMembersDocument,
    "\n  mutation SaveSegment($input: SegmentInput!) {\n    saveSegment(input: $input) {\n      ...SavedSegment\n    }\n  }\n": typeof types.SaveSegmentDocument,
    "\n  query TagsPage {\n    tagCounts {\n      count\n      tag {\n        id\n        code\n        name\n        kind\n        category\n        rule {\n          ...SegmentFilterFields\n        }\n      }\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    program {\n      timeZone\n    }\n    everyone: segmentPreview(filter: {}) {\n      size\n      profile {\n        dimension\n        value\n      }\n    }\n  }\n": typeof types.TagsPageDocument,
    "\n  query TagRuleSize($filter: SegmentFilterInput!) {\n    segmentPreview(filter: $filter) {\n      size\n    }\n  }\n": typeof types.TagRuleSizeDocument,
    "\n  query TagCodes {\n    tags {\n      code\n      kind\n    }\n  }\n": typeof types.TagCodesDocument,
    "\n  mutation UpsertTag($input: TagInput!) {\n    upsertTag(input: $input) {\n      id\n      code\n      name\n      kind\n      category\n    }\n  }\n": typeof types.UpsertTagDocument,
    "\n  fragment ProgramSettings on Program {\n    pointsPerUnit\n    pointsExpiryMonths\n    qualificationWindowMonths\n    tierValidityMonths\n    downgradePolicy\n    allowNegativeBalance\n    pointsPendingDays\n    tierNoticeDays\n    churnHorizonDays\n    lifecycleNewDays\n    lifecycleActiveDays\n    lifecycleAtRiskDays\n    lifecycleDormantDays\n  }\n": typeof types.ProgramSettingsFragmentDoc,
    "\n  fragment TierFields on Tier {\n    id\n    code\n    name\n    rank\n    qualifyingPoints\n    retainPoints\n    pointsMultiplier\n  }\n": typeof types.TierFieldsFragmentDoc,
    "\n  query TiersPage {\n    tiers {\n      ...TierFields\n      memberCount\n      benefits {\n        code\n        name\n      }\n    }\n    program {\n      ...ProgramSettings\n    }\n  }\n": typeof types.TiersPageDocument,
    "\n  mutation UpsertTier($input: TierInput!) {\n    upsertTier(input: $input) {\n      ...TierFields\n    }\n  }\n": typeof types.UpsertTierDocument,
    "\n  mutation UpdateProgram($input: ProgramInput!) {\n    updateProgram(input: $input) {\n      ...ProgramSettings\n    }\n  }\n": typeof types.UpdateProgramDocument,
    "\n  fragment WebhookEndpointFields on WebhookEndpoint {\n    id\n    url\n    eventTypes\n    active\n    secretHint\n    createdAt\n  }\n": typeof types.WebhookEndpointFieldsFragmentDoc,
    "\n  query WebhooksPage {\n    webhookEndpoints {\n      ...WebhookEndpointFields\n    }\n    webhookEventTypes\n  }\n": typeof types.WebhooksPageDocument,
    "\n  fragment WebhookDeliveryFields on WebhookDelivery {\n    id\n    endpointId\n    eventId\n    eventType\n    status\n    attempts\n    lastStatusCode\n    lastError\n    nextAttemptAt\n    createdAt\n    deliveredAt\n  }\n": typeof types.WebhookDeliveryFieldsFragmentDoc,
    "\n  query WebhookDeliveries($endpointId: ID, $status: WebhookDeliveryStatus, $first: Int!, $after: String) {\n    webhookDeliveries(endpointId: $endpointId, status: $status, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...WebhookDeliveryFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.WebhookDeliveriesDocument,
    "\n  mutation CreateWebhookEndpoint($input: WebhookEndpointInput!, $idempotencyKey: String) {\n    createWebhookEndpoint(input: $input, idempotencyKey: $idempotencyKey) {\n      secret\n      endpoint {\n        ...WebhookEndpointFields\n      }\n    }\n  }\n": typeof types.CreateWebhookEndpointDocument,
    "\n  mutation UpdateWebhookEndpoint($id: ID!, $input: WebhookEndpointInput!) {\n    updateWebhookEndpoint(id: $id, input: $input) {\n      ...WebhookEndpointFields\n    }\n  }\n": typeof types.UpdateWebhookEndpointDocument,
    "\n  mutation RotateWebhookSecret($id: ID!, $idempotencyKey: String) {\n    rotateWebhookSecret(id: $id, idempotencyKey: $idempotencyKey) {\n      secret\n      endpoint {\n        ...WebhookEndpointFields\n      }\n    }\n  }\n": typeof types.RotateWebhookSecretDocument,
    "\n  mutation SetWebhookEndpointActive($id: ID!, $active: Boolean!) {\n    setWebhookEndpointActive(id: $id, active: $active) {\n      ...WebhookEndpointFields\n    }\n  }\n": typeof types.SetWebhookEndpointActiveDocument,
    "\n  mutation DeleteWebhookEndpoint($id: ID!) {\n    deleteWebhookEndpoint(id: $id)\n  }\n": typeof types.DeleteWebhookEndpointDocument,
    "\n  mutation PingWebhookEndpoint($id: ID!) {\n    pingWebhookEndpoint(id: $id) {\n      ...WebhookDeliveryFields\n    }\n  }\n": typeof types.PingWebhookEndpointDocument,
    "\n  mutation RedeliverWebhook($deliveryId: ID!) {\n    redeliverWebhook(deliveryId: $deliveryId) {\n      ...WebhookDeliveryFields\n    }\n  }\n": typeof types.RedeliverWebhookDocument,
};
const documents: Documents = {
    "\n  query SignInCheck {\n    auditLog(first: 1) {\n      id\n    }\n  }\n": types.SignInCheckDocument,
    "\n  fragment AuditRow on AuditEntry {\n    id\n    actor\n    action\n    entity\n    entityId\n    before\n    after\n    at\n  }\n": types.AuditRowFragmentDoc,
    "\n  query AuditLog($filter: AuditFilterInput, $first: Int!, $after: String) {\n    program {\n      timeZone\n    }\n    auditEntries(filter: $filter, first: $first, after: $after) {\n      edges {\n        node {\n          ...AuditRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.AuditLogDocument,
    "\n  query AuditTimeZone {\n    program {\n      timeZone\n    }\n  }\n": types.AuditTimeZoneDocument,
    "\n  fragment BenefitFields on Benefit {\n    id\n    code\n    name\n    description\n    kind\n    value\n    tierCodes\n    requiredTags\n    active\n    validFrom\n    validTo\n    version\n  }\n": types.BenefitFieldsFragmentDoc,
    "\n  query BenefitList {\n    benefits {\n      ...BenefitFields\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    program {\n      timeZone\n    }\n  }\n": types.BenefitListDocument,
    "\n  query BenefitDetail($code: String!, $auditFirst: Int!) {\n    benefits {\n      ...BenefitFields\n      history {\n        version\n        changedBy\n        changedAt\n        snapshot\n      }\n    }\n    auditEntries(filter: { entity: \"Benefit\", entityId: $code }, first: $auditFirst) {\n      edges {\n        node {\n          ...AuditRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    tags {\n      code\n      name\n    }\n    program {\n      timeZone\n    }\n  }\n": types.BenefitDetailDocument,
    "\n  query BenefitNew {\n    benefits {\n      code\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    tags {\n      code\n      name\n    }\n    program {\n      timeZone\n    }\n  }\n": types.BenefitNewDocument,
    "\n  query BenefitCodes {\n    benefits {\n      code\n    }\n  }\n": types.BenefitCodesDocument,
    "\n  mutation CreateBenefit($input: BenefitInput!) {\n    upsertBenefit(input: $input) {\n      ...BenefitFields\n    }\n  }\n": types.CreateBenefitDocument,
    "\n  query BenefitAudit($code: String!, $first: Int!, $after: String) {\n    auditEntries(filter: { entity: \"Benefit\", entityId: $code }, first: $first, after: $after) {\n      edges {\n        node {\n          ...AuditRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.BenefitAuditDocument,
    "\n  mutation UpdateBenefit($code: String!, $patch: BenefitPatch!) {\n    updateBenefit(code: $code, patch: $patch) {\n      ...BenefitFields\n    }\n  }\n": types.UpdateBenefitDocument,
    "\n  fragment CampaignFields on Campaign {\n    id\n    code\n    name\n    trigger\n    status\n    endedReason\n    endedAt\n    startsAt\n    endsAt\n    audience {\n      ...SegmentFilterFields\n    }\n    activityKind\n    minAmount\n    bonusPoints\n    multiplier\n    rewardCode\n    perMemberLimit\n    budgetPoints\n    pointsGiven\n    budgetSpent\n    controlPercent\n  }\n": types.CampaignFieldsFragmentDoc,
    "\n  query Campaigns {\n    campaigns {\n      ...CampaignFields\n    }\n    program {\n      timeZone\n    }\n  }\n": types.CampaignsDocument,
    "\n  query CampaignPage($code: String!, $editing: Boolean!) {\n    campaign(code: $code) @include(if: $editing) {\n      ...CampaignFields\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    tags {\n      code\n      name\n      kind\n    }\n    segments {\n      id\n      name\n      filter {\n        ...SegmentFilterFields\n      }\n    }\n    rewards {\n      code\n      name\n      costPoints\n      active\n    }\n    program {\n      pointValue\n      timeZone\n    }\n    everyone: segmentPreview(filter: {}) {\n      size\n      profile {\n        dimension\n        value\n      }\n    }\n  }\n": types.CampaignPageDocument,
    "\n  fragment CampaignArmFields on CampaignArm {\n    members\n    buyers\n    purchases\n    gmv\n    arpu\n    purchaseRate\n  }\n": types.CampaignArmFieldsFragmentDoc,
    "\n  query CampaignReport($code: String!) {\n    program {\n      timeZone\n    }\n    campaignReport(code: $code) {\n      from\n      to\n      treatment {\n        ...CampaignArmFields\n      }\n      control {\n        ...CampaignArmFields\n      }\n      upliftArpu\n      upliftArpuLow\n      upliftArpuHigh\n      upliftPurchaseRate\n      incrementalGmv\n      cost\n      roi\n    }\n  }\n": types.CampaignReportDocument,
    "\n  query CampaignAudienceSize($filter: SegmentFilterInput!) {\n    segmentPreview(filter: $filter) {\n      size\n    }\n  }\n": types.CampaignAudienceSizeDocument,
    "\n  query SimulateCampaign($input: CampaignInput!, $from: DateTime!, $to: DateTime!) {\n    simulateCampaign(input: $input, from: $from, to: $to) {\n      eligibleMembers\n      qualifyingEvents\n      pointsWouldGive\n      costWouldBe\n    }\n  }\n": types.SimulateCampaignDocument,
    "\n  query CampaignCodeTaken($code: String!) {\n    campaign(code: $code) {\n      id\n    }\n  }\n": types.CampaignCodeTakenDocument,
    "\n  mutation UpsertCampaign($input: CampaignInput!) {\n    upsertCampaign(input: $input) {\n      ...CampaignFields\n    }\n  }\n": types.UpsertCampaignDocument,
    "\n  mutation ActivateCampaign($code: String!) {\n    activateCampaign(code: $code) {\n      ...CampaignFields\n    }\n  }\n": types.ActivateCampaignDocument,
    "\n  mutation PauseCampaign($code: String!) {\n    pauseCampaign(code: $code) {\n      ...CampaignFields\n    }\n  }\n": types.PauseCampaignDocument,
    "\n  mutation EndCampaign($code: String!) {\n    endCampaign(code: $code) {\n      ...CampaignFields\n    }\n  }\n": types.EndCampaignDocument,
    "\n  query ChurnModelPage {\n    churnModel {\n      method\n      ks\n      gini\n      recencyKs\n      recencyGini\n      r\n      alpha\n      a\n      b\n      customers\n      asOf\n    }\n    program {\n      churnHorizonDays\n    }\n  }\n": types.ChurnModelPageDocument,
    "\n  query DashboardSummary($expiringWithinDays: Int!, $winBack: Int!) {\n    program {\n      timeZone\n    }\n    programStats {\n      members\n      pointsLiability\n      pendingPoints\n      expiringPoints(withinDays: $expiringWithinDays)\n      byTier {\n        count\n        tier {\n          code\n          name\n          rank\n        }\n      }\n      byStage {\n        stage\n        count\n      }\n      byRfmSegment {\n        segment\n        count\n        monetary\n      }\n    }\n    churnModel {\n      method\n      r\n      alpha\n      a\n      b\n      customers\n      logLikelihood\n      asOf\n      ks\n      gini\n    }\n    winBackCandidates(first: $winBack) {\n      id\n      displayName\n      externalId\n      churnRisk\n      lifecycleStage\n      rfm {\n        monetary\n        recencyDays\n        segment\n      }\n      tier {\n        code\n        name\n      }\n    }\n  }\n": types.DashboardSummaryDocument,
    "\n  query DashboardSeries($from: DateTime!, $to: DateTime!) {\n    pointsFlow(from: $from, to: $to) {\n      period\n      earned\n      redeemed\n      expired\n      reversed\n      redemptionRate\n    }\n    growth(from: $from, to: $to) {\n      period\n      active\n      new\n      retained\n      wonBack\n      churned\n    }\n    lifecycleTransitions(from: $from, to: $to) {\n      from\n      to\n      count\n    }\n  }\n": types.DashboardSeriesDocument,
    "\n  fragment ImportJobRow on ImportJob {\n    id\n    kind\n    mode\n    status\n    rowsDone\n    rowsRejected\n    startedAt\n    finishedAt\n    failure\n  }\n": types.ImportJobRowFragmentDoc,
    "\n  query ImportJobs($first: Int!) {\n    importJobs(first: $first) {\n      ...ImportJobRow\n    }\n  }\n": types.ImportJobsDocument,
    "\n  query ImportJob($id: ID!, $first: Int!, $afterLine: Int) {\n    importJob(id: $id) {\n      ...ImportJobRow\n      errors(first: $first, afterLine: $afterLine) {\n        line\n        message\n      }\n    }\n  }\n": types.ImportJobDocument,
    "\n  fragment JobRunRow on JobRun {\n    id\n    job\n    slot\n    startedAt\n    finishedAt\n    processed\n    changed\n    failed\n  }\n": types.JobRunRowFragmentDoc,
    "\n  query JobsOverview {\n    program {\n      timeZone\n    }\n    pointsExpire: jobRuns(job: \"points.expire\", first: 1) {\n      ...JobRunRow\n    }\n    tiersReview: jobRuns(job: \"tiers.review\", first: 1) {\n      ...JobRunRow\n    }\n    tiersNotices: jobRuns(job: \"tiers.notices\", first: 1) {\n      ...JobRunRow\n    }\n    benefitsBirthday: jobRuns(job: \"benefits.birthday\", first: 1) {\n      ...JobRunRow\n    }\n    retentionRefresh: jobRuns(job: \"retention.refresh\", first: 1) {\n      ...JobRunRow\n    }\n    campaignsReevaluate: jobRuns(job: \"campaigns.reevaluate\", first: 1) {\n      ...JobRunRow\n    }\n  }\n": types.JobsOverviewDocument,
    "\n  query JobRuns($job: String, $first: Int!) {\n    jobRuns(job: $job, first: $first) {\n      ...JobRunRow\n    }\n  }\n": types.JobRunsDocument,
    "\n  mutation RunExpirePoints($asOf: DateTime!) {\n    expirePoints(asOf: $asOf) {\n      processed\n      changed\n    }\n  }\n": types.RunExpirePointsDocument,
    "\n  mutation RunTierReview($asOf: DateTime!) {\n    runTierReview(asOf: $asOf) {\n      processed\n      changed\n    }\n  }\n": types.RunTierReviewDocument,
    "\n  mutation RunTierNotices($asOf: DateTime!) {\n    sendTierNotices(asOf: $asOf) {\n      processed\n      changed\n    }\n  }\n": types.RunTierNoticesDocument,
    "\n  mutation RunBirthdayGifts($asOf: DateTime!) {\n    grantBirthdayGifts(asOf: $asOf) {\n      processed\n      changed\n    }\n  }\n": types.RunBirthdayGiftsDocument,
    "\n  mutation RunRetentionRefresh($asOf: DateTime!) {\n    refreshRetention(asOf: $asOf) {\n      processed\n      changed\n    }\n  }\n": types.RunRetentionRefreshDocument,
    "\n  mutation RunCampaignReevaluation($asOf: DateTime!) {\n    reevaluateCampaigns(asOf: $asOf) {\n      processed\n      changed\n    }\n  }\n": types.RunCampaignReevaluationDocument,
    "\n  fragment MemberCheckIn on Member {\n    checkInStreak\n    checkedInToday\n  }\n": types.MemberCheckInFragmentDoc,
    "\n  fragment MemberRow on Member {\n    id\n    externalId\n    displayName\n    email\n    phone\n    pointsBalance\n    lifecycleStage\n    tier {\n      code\n      name\n    }\n  }\n": types.MemberRowFragmentDoc,
    "\n  query MemberList($first: Int!, $after: String) {\n    members(first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          ...MemberRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.MemberListDocument,
    "\n  query MemberSearch($query: String!, $first: Int!, $after: String) {\n    searchMembers(query: $query, first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          ...MemberRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.MemberSearchDocument,
    "\n  fragment LedgerRow on PointTransaction {\n    id\n    type\n    amount\n    balanceAfter\n    occurredAt\n    expiresAt\n    reason\n    reference\n  }\n": types.LedgerRowFragmentDoc,
    "\n  fragment RedemptionRow on Redemption {\n    id\n    couponCode\n    status\n    points\n    createdAt\n    expiresAt\n    usedAt\n    usedAtStore\n    reward {\n      code\n      name\n    }\n  }\n": types.RedemptionRowFragmentDoc,
    "\n  query MemberProfile($id: ID!, $pageSize: Int!) {\n    member(id: $id) {\n      id\n      erasedAt\n      ...MemberCheckIn\n      externalId\n      displayName\n      email\n      phone\n      birthday\n      gender\n      region\n      channel\n      joinedAt\n      tierSince\n      tierExpiresAt\n      tier {\n        code\n        name\n      }\n      tierProgress {\n        qualifyingPoints\n        pointsToNextTier\n        pointsToRetain\n        nextTier {\n          code\n          name\n          qualifyingPoints\n        }\n      }\n      pointsBalance\n      pendingPoints\n      lifetimePoints\n      expiringPoints(withinDays: 30)\n      lifecycleStage\n      churnRisk\n      aliveProbability\n      expectedPurchases(days: 90)\n      rfm {\n        recencyDays\n        frequency\n        monetary\n        r\n        f\n        m\n        segment\n      }\n      tags {\n        code\n        name\n        kind\n      }\n      benefits {\n        code\n        name\n        kind\n        value\n      }\n      tierHistory {\n        id\n        kind\n        reason\n        occurredAt\n        qualifyingPoints\n        fromTier {\n          name\n        }\n        toTier {\n          name\n        }\n      }\n      pointsHistory(first: $pageSize) {\n        edges {\n          node {\n            ...LedgerRow\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n      redemptions(first: $pageSize) {\n        edges {\n          node {\n            ...RedemptionRow\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n      ...MemberReferrals\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    tags {\n      code\n      name\n      kind\n    }\n    program {\n      timeZone\n    }\n  }\n": types.MemberProfileDocument,
    "\n  query MemberLedger($id: ID!, $first: Int!, $after: String) {\n    member(id: $id) {\n      id\n      pointsHistory(first: $first, after: $after) {\n        edges {\n          node {\n            ...LedgerRow\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": types.MemberLedgerDocument,
    "\n  query MemberRedemptions($id: ID!, $first: Int!, $after: String) {\n    member(id: $id) {\n      id\n      redemptions(first: $first, after: $after) {\n        edges {\n          node {\n            ...RedemptionRow\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": types.MemberRedemptionsDocument,
    "\n  mutation AdjustPoints($input: AdjustPointsInput!) {\n    adjustPoints(input: $input) {\n      id\n      amount\n      balanceAfter\n    }\n  }\n": types.AdjustPointsDocument,
    "\n  mutation SetMemberTier($memberId: ID!, $tierCode: String!, $reason: String!, $expiresAt: DateTime) {\n    setMemberTier(memberId: $memberId, tierCode: $tierCode, reason: $reason, expiresAt: $expiresAt) {\n      id\n      tierExpiresAt\n      tier {\n        code\n        name\n      }\n    }\n  }\n": types.SetMemberTierDocument,
    "\n  mutation TagMember($memberId: ID!, $tagCode: String!) {\n    tagMember(memberId: $memberId, tagCode: $tagCode) {\n      id\n      tags {\n        code\n      }\n    }\n  }\n": types.TagMemberDocument,
    "\n  mutation UntagMember($memberId: ID!, $tagCode: String!) {\n    untagMember(memberId: $memberId, tagCode: $tagCode) {\n      id\n      tags {\n        code\n      }\n    }\n  }\n": types.UntagMemberDocument,
    "\n  mutation CancelRedemption($id: ID!, $reason: String!) {\n    cancelRedemption(id: $id, reason: $reason) {\n      id\n      status\n    }\n  }\n": types.CancelRedemptionDocument,
    "\n  mutation UpdateMember($memberId: ID!, $patch: MemberPatch!) {\n    updateMember(memberId: $memberId, patch: $patch) {\n      id\n      displayName\n      email\n      phone\n      birthday\n      gender\n      region\n    }\n  }\n": types.UpdateMemberDocument,
    "\n  mutation EraseMember($memberId: ID!, $reason: String!) {\n    eraseMember(memberId: $memberId, reason: $reason) {\n      id\n      erasedAt\n      externalId\n      displayName\n    }\n  }\n": types.EraseMemberDocument,
    "\n  fragment MemberReferrals on Member {\n    referralCode\n    referredBy {\n      id\n      displayName\n    }\n    referrals(first: 10) {\n      ...ReferralPage\n    }\n  }\n": types.MemberReferralsFragmentDoc,
    "\n  fragment ReferralPage on ReferralConnection {\n      totalCount\n      edges {\n        node {\n          ...ReferralRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n  }\n": types.ReferralPageFragmentDoc,
    "\n  fragment ReferralRow on Referral {\n    id\n    status\n    reason\n    createdAt\n    completedAt\n    referee {\n      id\n      displayName\n    }\n  }\n": types.ReferralRowFragmentDoc,
    "\n  query MemberReferralsPage($id: ID!, $first: Int!, $after: String) {\n    member(id: $id) {\n      id\n      referrals(first: $first, after: $after) {\n        ...ReferralPage\n      }\n    }\n  }\n": types.MemberReferralsPageDocument,
    "\n  fragment EngagementSettings on Program {\n    timeZone\n    referrerPoints\n    refereePoints\n    referralHoldDays\n    referralMonthlyLimit\n    checkInPoints\n  }\n": types.EngagementSettingsFragmentDoc,
    "\n  fragment ActivityRuleFields on ActivityRule {\n    kind\n    name\n    points\n    qualifyingPoints\n    dailyCap\n    active\n    memberMayRecord\n  }\n": types.ActivityRuleFieldsFragmentDoc,
    "\n  query ProgrammePage {\n    program {\n      ...EngagementSettings\n    }\n    activityRules {\n      ...ActivityRuleFields\n    }\n  }\n": types.ProgrammePageDocument,
    "\n  mutation UpdateEngagement($input: ProgramInput!) {\n    updateProgram(input: $input) {\n      ...EngagementSettings\n    }\n  }\n": types.UpdateEngagementDocument,
    "\n  query ActivityRuleKinds {\n    activityRules {\n      kind\n    }\n  }\n": types.ActivityRuleKindsDocument,
    "\n  mutation UpsertActivityRule($input: ActivityRuleInput!) {\n    upsertActivityRule(input: $input) {\n      ...ActivityRuleFields\n    }\n  }\n": types.UpsertActivityRuleDocument,
    "\n  fragment ReferralFigures on ReferralStats {\n    registered\n    completed\n    rejected\n    reversed\n    pointsGiven\n    referrers\n    referralsPerReferrer\n  }\n": types.ReferralFiguresFragmentDoc,
    "\n  query ReferralMonths {\n    program {\n      timeZone\n    }\n    referralStatsByMonth(months: 12) {\n      from\n      to\n      stats {\n        ...ReferralFigures\n      }\n    }\n  }\n": types.ReferralMonthsDocument,
    "\n  query ReferralTotals($from: DateTime!, $to: DateTime!) {\n    referralStats(from: $from, to: $to) {\n      ...ReferralFigures\n    }\n  }\n": types.ReferralTotalsDocument,
    "\n  fragment RewardFields on Reward {\n    id\n    code\n    name\n    description\n    costPoints\n    stock\n    perMemberLimit\n    tierCodes\n    active\n    validFrom\n    validTo\n    faceValue\n    couponValidDays\n  }\n": types.RewardFieldsFragmentDoc,
    "\n  query RewardsPage {\n    rewards {\n      ...RewardFields\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    program {\n      timeZone\n    }\n  }\n": types.RewardsPageDocument,
    "\n  mutation UpdateReward($code: String!, $patch: RewardPatch!) {\n    updateReward(code: $code, patch: $patch) {\n      ...RewardFields\n    }\n  }\n": types.UpdateRewardDocument,
    "\n  query RewardCodes {\n    rewards {\n      code\n    }\n  }\n": types.RewardCodesDocument,
    "\n  mutation CreateReward($input: RewardInput!) {\n    upsertReward(input: $input) {\n      ...RewardFields\n    }\n  }\n": types.CreateRewardDocument,
    "\n  query CouponLookup($couponCode: String!) {\n    redemptionByCoupon(couponCode: $couponCode) {\n      id\n      status\n      points\n      couponCode\n      createdAt\n      expiresAt\n      usedAt\n      usedAtStore\n      reward {\n        code\n        name\n      }\n      member {\n        id\n        displayName\n        externalId\n      }\n    }\n  }\n": types.CouponLookupDocument,
    "\n  fragment SegmentFilterFields on SegmentFilter {\n    tierCodes\n    tagsAll\n    tagsAny\n    tagsNone\n    stages\n    rfmSegments\n    minBalance\n    maxBalance\n    minSpend\n    maxSpend\n    minR\n    minF\n    minM\n    joinedFrom\n    joinedTo\n    lastPurchaseFrom\n    lastPurchaseTo\n    tierExpiresFrom\n    tierExpiresTo\n    genders\n    regions\n    channels\n    birthdayMonths\n  }\n": types.SegmentFilterFieldsFragmentDoc,
    "\n  fragment SegmentMember on Member {\n    id\n    externalId\n    displayName\n    pointsBalance\n    lifecycleStage\n    tier {\n      code\n      name\n    }\n  }\n": types.SegmentMemberFragmentDoc,
    "\n  fragment SavedSegment on Segment {\n    id\n    name\n    size\n    exportPath\n    filter {\n      ...SegmentFilterFields\n    }\n  }\n": types.SavedSegmentFragmentDoc,
    "\n  query SegmentsPage {\n    tiers {\n      code\n      name\n      rank\n    }\n    tags {\n      code\n      name\n      kind\n    }\n    segments {\n      ...SavedSegment\n    }\n    program {\n      timeZone\n    }\n  }\n": types.SegmentsPageDocument,
    "\n  query SegmentPreview($filter: SegmentFilterInput!, $first: Int!) {\n    segmentPreview(filter: $filter) {\n      size\n      profile {\n        dimension\n        value\n        segmentCount\n        segmentShare\n        populationShare\n        tgi\n      }\n      members(first: $first) {\n        totalCount\n        edges {\n          node {\n            ...SegmentMember\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": types.SegmentPreviewDocument,
    "\n  query SegmentPreviewMembers($filter: SegmentFilterInput!, $first: Int!, $after: String) {\n    segmentPreview(filter: $filter) {\n      members(first: $first, after: $after) {\n        totalCount\n        edges {\n          node {\n            ...SegmentMember\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": types.SegmentPreviewMembersDocument,
    "\n  mutation SaveSegment($input: SegmentInput!) {\n    saveSegment(input: $input) {\n      ...SavedSegment\n    }\n  }\n": types.SaveSegmentDocument,
    "\n  query TagsPage {\n    tagCounts {\n      count\n      tag {\n        id\n        code\n        name\n        kind\n        category\n        rule {\n          ...SegmentFilterFields\n        }\n      }\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    program {\n      timeZone\n    }\n    everyone: segmentPreview(filter: {}) {\n      size\n      profile {\n        dimension\n        value\n      }\n    }\n  }\n": types.TagsPageDocument,
    "\n  query TagRuleSize($filter: SegmentFilterInput!) {\n    segmentPreview(filter: $filter) {\n      size\n    }\n  }\n": types.TagRuleSizeDocument,
    "\n  query TagCodes {\n    tags {\n      code\n      kind\n    }\n  }\n": types.TagCodesDocument,
    "\n  mutation UpsertTag($input: TagInput!) {\n    upsertTag(input: $input) {\n      id\n      code\n      name\n      kind\n      category\n    }\n  }\n": types.UpsertTagDocument,
    "\n  fragment ProgramSettings on Program {\n    pointsPerUnit\n    pointsExpiryMonths\n    qualificationWindowMonths\n    tierValidityMonths\n    downgradePolicy\n    allowNegativeBalance\n    pointsPendingDays\n    tierNoticeDays\n    churnHorizonDays\n    lifecycleNewDays\n    lifecycleActiveDays\n    lifecycleAtRiskDays\n    lifecycleDormantDays\n  }\n": types.ProgramSettingsFragmentDoc,
    "\n  fragment TierFields on Tier {\n    id\n    code\n    name\n    rank\n    qualifyingPoints\n    retainPoints\n    pointsMultiplier\n  }\n": types.TierFieldsFragmentDoc,
    "\n  query TiersPage {\n    tiers {\n      ...TierFields\n      memberCount\n      benefits {\n        code\n        name\n      }\n    }\n    program {\n      ...ProgramSettings\n    }\n  }\n": types.TiersPageDocument,
    "\n  mutation UpsertTier($input: TierInput!) {\n    upsertTier(input: $input) {\n      ...TierFields\n    }\n  }\n": types.UpsertTierDocument,
    "\n  mutation UpdateProgram($input: ProgramInput!) {\n    updateProgram(input: $input) {\n      ...ProgramSettings\n    }\n  }\n": types.UpdateProgramDocument,
    "\n  fragment WebhookEndpointFields on WebhookEndpoint {\n    id\n    url\n    eventTypes\n    active\n    secretHint\n    createdAt\n  }\n": types.WebhookEndpointFieldsFragmentDoc,
    "\n  query WebhooksPage {\n    webhookEndpoints {\n      ...WebhookEndpointFields\n    }\n    webhookEventTypes\n  }\n": types.WebhooksPageDocument,
    "\n  fragment WebhookDeliveryFields on WebhookDelivery {\n    id\n    endpointId\n    eventId\n    eventType\n    status\n    attempts\n    lastStatusCode\n    lastError\n    nextAttemptAt\n    createdAt\n    deliveredAt\n  }\n": types.WebhookDeliveryFieldsFragmentDoc,
    "\n  query WebhookDeliveries($endpointId: ID, $status: WebhookDeliveryStatus, $first: Int!, $after: String) {\n    webhookDeliveries(endpointId: $endpointId, status: $status, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...WebhookDeliveryFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.WebhookDeliveriesDocument,
    "\n  mutation CreateWebhookEndpoint($input: WebhookEndpointInput!, $idempotencyKey: String) {\n    createWebhookEndpoint(input: $input, idempotencyKey: $idempotencyKey) {\n      secret\n      endpoint {\n        ...WebhookEndpointFields\n      }\n    }\n  }\n": types.CreateWebhookEndpointDocument,
    "\n  mutation UpdateWebhookEndpoint($id: ID!, $input: WebhookEndpointInput!) {\n    updateWebhookEndpoint(id: $id, input: $input) {\n      ...WebhookEndpointFields\n    }\n  }\n": types.UpdateWebhookEndpointDocument,
    "\n  mutation RotateWebhookSecret($id: ID!, $idempotencyKey: String) {\n    rotateWebhookSecret(id: $id, idempotencyKey: $idempotencyKey) {\n      secret\n      endpoint {\n        ...WebhookEndpointFields\n      }\n    }\n  }\n": types.RotateWebhookSecretDocument,
    "\n  mutation SetWebhookEndpointActive($id: ID!, $active: Boolean!) {\n    setWebhookEndpointActive(id: $id, active: $active) {\n      ...WebhookEndpointFields\n    }\n  }\n": types.SetWebhookEndpointActiveDocument,
    "\n  mutation DeleteWebhookEndpoint($id: ID!) {\n    deleteWebhookEndpoint(id: $id)\n  }\n": types.DeleteWebhookEndpointDocument,
    "\n  mutation PingWebhookEndpoint($id: ID!) {\n    pingWebhookEndpoint(id: $id) {\n      ...WebhookDeliveryFields\n    }\n  }\n": types.PingWebhookEndpointDocument,
    "\n  mutation RedeliverWebhook($deliveryId: ID!) {\n    redeliverWebhook(deliveryId: $deliveryId) {\n      ...WebhookDeliveryFields\n    }\n  }\n": types.RedeliverWebhookDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SignInCheck {\n    auditLog(first: 1) {\n      id\n    }\n  }\n"): (typeof documents)["\n  query SignInCheck {\n    auditLog(first: 1) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AuditRow on AuditEntry {\n    id\n    actor\n    action\n    entity\n    entityId\n    before\n    after\n    at\n  }\n"): (typeof documents)["\n  fragment AuditRow on AuditEntry {\n    id\n    actor\n    action\n    entity\n    entityId\n    before\n    after\n    at\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AuditLog($filter: AuditFilterInput, $first: Int!, $after: String) {\n    program {\n      timeZone\n    }\n    auditEntries(filter: $filter, first: $first, after: $after) {\n      edges {\n        node {\n          ...AuditRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query AuditLog($filter: AuditFilterInput, $first: Int!, $after: String) {\n    program {\n      timeZone\n    }\n    auditEntries(filter: $filter, first: $first, after: $after) {\n      edges {\n        node {\n          ...AuditRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AuditTimeZone {\n    program {\n      timeZone\n    }\n  }\n"): (typeof documents)["\n  query AuditTimeZone {\n    program {\n      timeZone\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment BenefitFields on Benefit {\n    id\n    code\n    name\n    description\n    kind\n    value\n    tierCodes\n    requiredTags\n    active\n    validFrom\n    validTo\n    version\n  }\n"): (typeof documents)["\n  fragment BenefitFields on Benefit {\n    id\n    code\n    name\n    description\n    kind\n    value\n    tierCodes\n    requiredTags\n    active\n    validFrom\n    validTo\n    version\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BenefitList {\n    benefits {\n      ...BenefitFields\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    program {\n      timeZone\n    }\n  }\n"): (typeof documents)["\n  query BenefitList {\n    benefits {\n      ...BenefitFields\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    program {\n      timeZone\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BenefitDetail($code: String!, $auditFirst: Int!) {\n    benefits {\n      ...BenefitFields\n      history {\n        version\n        changedBy\n        changedAt\n        snapshot\n      }\n    }\n    auditEntries(filter: { entity: \"Benefit\", entityId: $code }, first: $auditFirst) {\n      edges {\n        node {\n          ...AuditRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    tags {\n      code\n      name\n    }\n    program {\n      timeZone\n    }\n  }\n"): (typeof documents)["\n  query BenefitDetail($code: String!, $auditFirst: Int!) {\n    benefits {\n      ...BenefitFields\n      history {\n        version\n        changedBy\n        changedAt\n        snapshot\n      }\n    }\n    auditEntries(filter: { entity: \"Benefit\", entityId: $code }, first: $auditFirst) {\n      edges {\n        node {\n          ...AuditRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    tags {\n      code\n      name\n    }\n    program {\n      timeZone\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BenefitNew {\n    benefits {\n      code\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    tags {\n      code\n      name\n    }\n    program {\n      timeZone\n    }\n  }\n"): (typeof documents)["\n  query BenefitNew {\n    benefits {\n      code\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    tags {\n      code\n      name\n    }\n    program {\n      timeZone\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BenefitCodes {\n    benefits {\n      code\n    }\n  }\n"): (typeof documents)["\n  query BenefitCodes {\n    benefits {\n      code\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateBenefit($input: BenefitInput!) {\n    upsertBenefit(input: $input) {\n      ...BenefitFields\n    }\n  }\n"): (typeof documents)["\n  mutation CreateBenefit($input: BenefitInput!) {\n    upsertBenefit(input: $input) {\n      ...BenefitFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BenefitAudit($code: String!, $first: Int!, $after: String) {\n    auditEntries(filter: { entity: \"Benefit\", entityId: $code }, first: $first, after: $after) {\n      edges {\n        node {\n          ...AuditRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query BenefitAudit($code: String!, $first: Int!, $after: String) {\n    auditEntries(filter: { entity: \"Benefit\", entityId: $code }, first: $first, after: $after) {\n      edges {\n        node {\n          ...AuditRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateBenefit($code: String!, $patch: BenefitPatch!) {\n    updateBenefit(code: $code, patch: $patch) {\n      ...BenefitFields\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateBenefit($code: String!, $patch: BenefitPatch!) {\n    updateBenefit(code: $code, patch: $patch) {\n      ...BenefitFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment CampaignFields on Campaign {\n    id\n    code\n    name\n    trigger\n    status\n    endedReason\n    endedAt\n    startsAt\n    endsAt\n    audience {\n      ...SegmentFilterFields\n    }\n    activityKind\n    minAmount\n    bonusPoints\n    multiplier\n    rewardCode\n    perMemberLimit\n    budgetPoints\n    pointsGiven\n    budgetSpent\n    controlPercent\n  }\n"): (typeof documents)["\n  fragment CampaignFields on Campaign {\n    id\n    code\n    name\n    trigger\n    status\n    endedReason\n    endedAt\n    startsAt\n    endsAt\n    audience {\n      ...SegmentFilterFields\n    }\n    activityKind\n    minAmount\n    bonusPoints\n    multiplier\n    rewardCode\n    perMemberLimit\n    budgetPoints\n    pointsGiven\n    budgetSpent\n    controlPercent\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Campaigns {\n    campaigns {\n      ...CampaignFields\n    }\n    program {\n      timeZone\n    }\n  }\n"): (typeof documents)["\n  query Campaigns {\n    campaigns {\n      ...CampaignFields\n    }\n    program {\n      timeZone\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CampaignPage($code: String!, $editing: Boolean!) {\n    campaign(code: $code) @include(if: $editing) {\n      ...CampaignFields\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    tags {\n      code\n      name\n      kind\n    }\n    segments {\n      id\n      name\n      filter {\n        ...SegmentFilterFields\n      }\n    }\n    rewards {\n      code\n      name\n      costPoints\n      active\n    }\n    program {\n      pointValue\n      timeZone\n    }\n    everyone: segmentPreview(filter: {}) {\n      size\n      profile {\n        dimension\n        value\n      }\n    }\n  }\n"): (typeof documents)["\n  query CampaignPage($code: String!, $editing: Boolean!) {\n    campaign(code: $code) @include(if: $editing) {\n      ...CampaignFields\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    tags {\n      code\n      name\n      kind\n    }\n    segments {\n      id\n      name\n      filter {\n        ...SegmentFilterFields\n      }\n    }\n    rewards {\n      code\n      name\n      costPoints\n      active\n    }\n    program {\n      pointValue\n      timeZone\n    }\n    everyone: segmentPreview(filter: {}) {\n      size\n      profile {\n        dimension\n        value\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment CampaignArmFields on CampaignArm {\n    members\n    buyers\n    purchases\n    gmv\n    arpu\n    purchaseRate\n  }\n"): (typeof documents)["\n  fragment CampaignArmFields on CampaignArm {\n    members\n    buyers\n    purchases\n    gmv\n    arpu\n    purchaseRate\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CampaignReport($code: String!) {\n    program {\n      timeZone\n    }\n    campaignReport(code: $code) {\n      from\n      to\n      treatment {\n        ...CampaignArmFields\n      }\n      control {\n        ...CampaignArmFields\n      }\n      upliftArpu\n      upliftArpuLow\n      upliftArpuHigh\n      upliftPurchaseRate\n      incrementalGmv\n      cost\n      roi\n    }\n  }\n"): (typeof documents)["\n  query CampaignReport($code: String!) {\n    program {\n      timeZone\n    }\n    campaignReport(code: $code) {\n      from\n      to\n      treatment {\n        ...CampaignArmFields\n      }\n      control {\n        ...CampaignArmFields\n      }\n      upliftArpu\n      upliftArpuLow\n      upliftArpuHigh\n      upliftPurchaseRate\n      incrementalGmv\n      cost\n      roi\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CampaignAudienceSize($filter: SegmentFilterInput!) {\n    segmentPreview(filter: $filter) {\n      size\n    }\n  }\n"): (typeof documents)["\n  query CampaignAudienceSize($filter: SegmentFilterInput!) {\n    segmentPreview(filter: $filter) {\n      size\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SimulateCampaign($input: CampaignInput!, $from: DateTime!, $to: DateTime!) {\n    simulateCampaign(input: $input, from: $from, to: $to) {\n      eligibleMembers\n      qualifyingEvents\n      pointsWouldGive\n      costWouldBe\n    }\n  }\n"): (typeof documents)["\n  query SimulateCampaign($input: CampaignInput!, $from: DateTime!, $to: DateTime!) {\n    simulateCampaign(input: $input, from: $from, to: $to) {\n      eligibleMembers\n      qualifyingEvents\n      pointsWouldGive\n      costWouldBe\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CampaignCodeTaken($code: String!) {\n    campaign(code: $code) {\n      id\n    }\n  }\n"): (typeof documents)["\n  query CampaignCodeTaken($code: String!) {\n    campaign(code: $code) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpsertCampaign($input: CampaignInput!) {\n    upsertCampaign(input: $input) {\n      ...CampaignFields\n    }\n  }\n"): (typeof documents)["\n  mutation UpsertCampaign($input: CampaignInput!) {\n    upsertCampaign(input: $input) {\n      ...CampaignFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ActivateCampaign($code: String!) {\n    activateCampaign(code: $code) {\n      ...CampaignFields\n    }\n  }\n"): (typeof documents)["\n  mutation ActivateCampaign($code: String!) {\n    activateCampaign(code: $code) {\n      ...CampaignFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PauseCampaign($code: String!) {\n    pauseCampaign(code: $code) {\n      ...CampaignFields\n    }\n  }\n"): (typeof documents)["\n  mutation PauseCampaign($code: String!) {\n    pauseCampaign(code: $code) {\n      ...CampaignFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation EndCampaign($code: String!) {\n    endCampaign(code: $code) {\n      ...CampaignFields\n    }\n  }\n"): (typeof documents)["\n  mutation EndCampaign($code: String!) {\n    endCampaign(code: $code) {\n      ...CampaignFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ChurnModelPage {\n    churnModel {\n      method\n      ks\n      gini\n      recencyKs\n      recencyGini\n      r\n      alpha\n      a\n      b\n      customers\n      asOf\n    }\n    program {\n      churnHorizonDays\n    }\n  }\n"): (typeof documents)["\n  query ChurnModelPage {\n    churnModel {\n      method\n      ks\n      gini\n      recencyKs\n      recencyGini\n      r\n      alpha\n      a\n      b\n      customers\n      asOf\n    }\n    program {\n      churnHorizonDays\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DashboardSummary($expiringWithinDays: Int!, $winBack: Int!) {\n    program {\n      timeZone\n    }\n    programStats {\n      members\n      pointsLiability\n      pendingPoints\n      expiringPoints(withinDays: $expiringWithinDays)\n      byTier {\n        count\n        tier {\n          code\n          name\n          rank\n        }\n      }\n      byStage {\n        stage\n        count\n      }\n      byRfmSegment {\n        segment\n        count\n        monetary\n      }\n    }\n    churnModel {\n      method\n      r\n      alpha\n      a\n      b\n      customers\n      logLikelihood\n      asOf\n      ks\n      gini\n    }\n    winBackCandidates(first: $winBack) {\n      id\n      displayName\n      externalId\n      churnRisk\n      lifecycleStage\n      rfm {\n        monetary\n        recencyDays\n        segment\n      }\n      tier {\n        code\n        name\n      }\n    }\n  }\n"): (typeof documents)["\n  query DashboardSummary($expiringWithinDays: Int!, $winBack: Int!) {\n    program {\n      timeZone\n    }\n    programStats {\n      members\n      pointsLiability\n      pendingPoints\n      expiringPoints(withinDays: $expiringWithinDays)\n      byTier {\n        count\n        tier {\n          code\n          name\n          rank\n        }\n      }\n      byStage {\n        stage\n        count\n      }\n      byRfmSegment {\n        segment\n        count\n        monetary\n      }\n    }\n    churnModel {\n      method\n      r\n      alpha\n      a\n      b\n      customers\n      logLikelihood\n      asOf\n      ks\n      gini\n    }\n    winBackCandidates(first: $winBack) {\n      id\n      displayName\n      externalId\n      churnRisk\n      lifecycleStage\n      rfm {\n        monetary\n        recencyDays\n        segment\n      }\n      tier {\n        code\n        name\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DashboardSeries($from: DateTime!, $to: DateTime!) {\n    pointsFlow(from: $from, to: $to) {\n      period\n      earned\n      redeemed\n      expired\n      reversed\n      redemptionRate\n    }\n    growth(from: $from, to: $to) {\n      period\n      active\n      new\n      retained\n      wonBack\n      churned\n    }\n    lifecycleTransitions(from: $from, to: $to) {\n      from\n      to\n      count\n    }\n  }\n"): (typeof documents)["\n  query DashboardSeries($from: DateTime!, $to: DateTime!) {\n    pointsFlow(from: $from, to: $to) {\n      period\n      earned\n      redeemed\n      expired\n      reversed\n      redemptionRate\n    }\n    growth(from: $from, to: $to) {\n      period\n      active\n      new\n      retained\n      wonBack\n      churned\n    }\n    lifecycleTransitions(from: $from, to: $to) {\n      from\n      to\n      count\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ImportJobRow on ImportJob {\n    id\n    kind\n    mode\n    status\n    rowsDone\n    rowsRejected\n    startedAt\n    finishedAt\n    failure\n  }\n"): (typeof documents)["\n  fragment ImportJobRow on ImportJob {\n    id\n    kind\n    mode\n    status\n    rowsDone\n    rowsRejected\n    startedAt\n    finishedAt\n    failure\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ImportJobs($first: Int!) {\n    importJobs(first: $first) {\n      ...ImportJobRow\n    }\n  }\n"): (typeof documents)["\n  query ImportJobs($first: Int!) {\n    importJobs(first: $first) {\n      ...ImportJobRow\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ImportJob($id: ID!, $first: Int!, $afterLine: Int) {\n    importJob(id: $id) {\n      ...ImportJobRow\n      errors(first: $first, afterLine: $afterLine) {\n        line\n        message\n      }\n    }\n  }\n"): (typeof documents)["\n  query ImportJob($id: ID!, $first: Int!, $afterLine: Int) {\n    importJob(id: $id) {\n      ...ImportJobRow\n      errors(first: $first, afterLine: $afterLine) {\n        line\n        message\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment JobRunRow on JobRun {\n    id\n    job\n    slot\n    startedAt\n    finishedAt\n    processed\n    changed\n    failed\n  }\n"): (typeof documents)["\n  fragment JobRunRow on JobRun {\n    id\n    job\n    slot\n    startedAt\n    finishedAt\n    processed\n    changed\n    failed\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query JobsOverview {\n    program {\n      timeZone\n    }\n    pointsExpire: jobRuns(job: \"points.expire\", first: 1) {\n      ...JobRunRow\n    }\n    tiersReview: jobRuns(job: \"tiers.review\", first: 1) {\n      ...JobRunRow\n    }\n    tiersNotices: jobRuns(job: \"tiers.notices\", first: 1) {\n      ...JobRunRow\n    }\n    benefitsBirthday: jobRuns(job: \"benefits.birthday\", first: 1) {\n      ...JobRunRow\n    }\n    retentionRefresh: jobRuns(job: \"retention.refresh\", first: 1) {\n      ...JobRunRow\n    }\n    campaignsReevaluate: jobRuns(job: \"campaigns.reevaluate\", first: 1) {\n      ...JobRunRow\n    }\n  }\n"): (typeof documents)["\n  query JobsOverview {\n    program {\n      timeZone\n    }\n    pointsExpire: jobRuns(job: \"points.expire\", first: 1) {\n      ...JobRunRow\n    }\n    tiersReview: jobRuns(job: \"tiers.review\", first: 1) {\n      ...JobRunRow\n    }\n    tiersNotices: jobRuns(job: \"tiers.notices\", first: 1) {\n      ...JobRunRow\n    }\n    benefitsBirthday: jobRuns(job: \"benefits.birthday\", first: 1) {\n      ...JobRunRow\n    }\n    retentionRefresh: jobRuns(job: \"retention.refresh\", first: 1) {\n      ...JobRunRow\n    }\n    campaignsReevaluate: jobRuns(job: \"campaigns.reevaluate\", first: 1) {\n      ...JobRunRow\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query JobRuns($job: String, $first: Int!) {\n    jobRuns(job: $job, first: $first) {\n      ...JobRunRow\n    }\n  }\n"): (typeof documents)["\n  query JobRuns($job: String, $first: Int!) {\n    jobRuns(job: $job, first: $first) {\n      ...JobRunRow\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RunExpirePoints($asOf: DateTime!) {\n    expirePoints(asOf: $asOf) {\n      processed\n      changed\n    }\n  }\n"): (typeof documents)["\n  mutation RunExpirePoints($asOf: DateTime!) {\n    expirePoints(asOf: $asOf) {\n      processed\n      changed\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RunTierReview($asOf: DateTime!) {\n    runTierReview(asOf: $asOf) {\n      processed\n      changed\n    }\n  }\n"): (typeof documents)["\n  mutation RunTierReview($asOf: DateTime!) {\n    runTierReview(asOf: $asOf) {\n      processed\n      changed\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RunTierNotices($asOf: DateTime!) {\n    sendTierNotices(asOf: $asOf) {\n      processed\n      changed\n    }\n  }\n"): (typeof documents)["\n  mutation RunTierNotices($asOf: DateTime!) {\n    sendTierNotices(asOf: $asOf) {\n      processed\n      changed\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RunBirthdayGifts($asOf: DateTime!) {\n    grantBirthdayGifts(asOf: $asOf) {\n      processed\n      changed\n    }\n  }\n"): (typeof documents)["\n  mutation RunBirthdayGifts($asOf: DateTime!) {\n    grantBirthdayGifts(asOf: $asOf) {\n      processed\n      changed\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RunRetentionRefresh($asOf: DateTime!) {\n    refreshRetention(asOf: $asOf) {\n      processed\n      changed\n    }\n  }\n"): (typeof documents)["\n  mutation RunRetentionRefresh($asOf: DateTime!) {\n    refreshRetention(asOf: $asOf) {\n      processed\n      changed\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RunCampaignReevaluation($asOf: DateTime!) {\n    reevaluateCampaigns(asOf: $asOf) {\n      processed\n      changed\n    }\n  }\n"): (typeof documents)["\n  mutation RunCampaignReevaluation($asOf: DateTime!) {\n    reevaluateCampaigns(asOf: $asOf) {\n      processed\n      changed\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment MemberCheckIn on Member {\n    checkInStreak\n    checkedInToday\n  }\n"): (typeof documents)["\n  fragment MemberCheckIn on Member {\n    checkInStreak\n    checkedInToday\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment MemberRow on Member {\n    id\n    externalId\n    displayName\n    email\n    phone\n    pointsBalance\n    lifecycleStage\n    tier {\n      code\n      name\n    }\n  }\n"): (typeof documents)["\n  fragment MemberRow on Member {\n    id\n    externalId\n    displayName\n    email\n    phone\n    pointsBalance\n    lifecycleStage\n    tier {\n      code\n      name\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MemberList($first: Int!, $after: String) {\n    members(first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          ...MemberRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query MemberList($first: Int!, $after: String) {\n    members(first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          ...MemberRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MemberSearch($query: String!, $first: Int!, $after: String) {\n    searchMembers(query: $query, first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          ...MemberRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query MemberSearch($query: String!, $first: Int!, $after: String) {\n    searchMembers(query: $query, first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          ...MemberRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment LedgerRow on PointTransaction {\n    id\n    type\n    amount\n    balanceAfter\n    occurredAt\n    expiresAt\n    reason\n    reference\n  }\n"): (typeof documents)["\n  fragment LedgerRow on PointTransaction {\n    id\n    type\n    amount\n    balanceAfter\n    occurredAt\n    expiresAt\n    reason\n    reference\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment RedemptionRow on Redemption {\n    id\n    couponCode\n    status\n    points\n    createdAt\n    expiresAt\n    usedAt\n    usedAtStore\n    reward {\n      code\n      name\n    }\n  }\n"): (typeof documents)["\n  fragment RedemptionRow on Redemption {\n    id\n    couponCode\n    status\n    points\n    createdAt\n    expiresAt\n    usedAt\n    usedAtStore\n    reward {\n      code\n      name\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MemberProfile($id: ID!, $pageSize: Int!) {\n    member(id: $id) {\n      id\n      erasedAt\n      ...MemberCheckIn\n      externalId\n      displayName\n      email\n      phone\n      birthday\n      gender\n      region\n      channel\n      joinedAt\n      tierSince\n      tierExpiresAt\n      tier {\n        code\n        name\n      }\n      tierProgress {\n        qualifyingPoints\n        pointsToNextTier\n        pointsToRetain\n        nextTier {\n          code\n          name\n          qualifyingPoints\n        }\n      }\n      pointsBalance\n      pendingPoints\n      lifetimePoints\n      expiringPoints(withinDays: 30)\n      lifecycleStage\n      churnRisk\n      aliveProbability\n      expectedPurchases(days: 90)\n      rfm {\n        recencyDays\n        frequency\n        monetary\n        r\n        f\n        m\n        segment\n      }\n      tags {\n        code\n        name\n        kind\n      }\n      benefits {\n        code\n        name\n        kind\n        value\n      }\n      tierHistory {\n        id\n        kind\n        reason\n        occurredAt\n        qualifyingPoints\n        fromTier {\n          name\n        }\n        toTier {\n          name\n        }\n      }\n      pointsHistory(first: $pageSize) {\n        edges {\n          node {\n            ...LedgerRow\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n      redemptions(first: $pageSize) {\n        edges {\n          node {\n            ...RedemptionRow\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n      ...MemberReferrals\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    tags {\n      code\n      name\n      kind\n    }\n    program {\n      timeZone\n    }\n  }\n"): (typeof documents)["\n  query MemberProfile($id: ID!, $pageSize: Int!) {\n    member(id: $id) {\n      id\n      erasedAt\n      ...MemberCheckIn\n      externalId\n      displayName\n      email\n      phone\n      birthday\n      gender\n      region\n      channel\n      joinedAt\n      tierSince\n      tierExpiresAt\n      tier {\n        code\n        name\n      }\n      tierProgress {\n        qualifyingPoints\n        pointsToNextTier\n        pointsToRetain\n        nextTier {\n          code\n          name\n          qualifyingPoints\n        }\n      }\n      pointsBalance\n      pendingPoints\n      lifetimePoints\n      expiringPoints(withinDays: 30)\n      lifecycleStage\n      churnRisk\n      aliveProbability\n      expectedPurchases(days: 90)\n      rfm {\n        recencyDays\n        frequency\n        monetary\n        r\n        f\n        m\n        segment\n      }\n      tags {\n        code\n        name\n        kind\n      }\n      benefits {\n        code\n        name\n        kind\n        value\n      }\n      tierHistory {\n        id\n        kind\n        reason\n        occurredAt\n        qualifyingPoints\n        fromTier {\n          name\n        }\n        toTier {\n          name\n        }\n      }\n      pointsHistory(first: $pageSize) {\n        edges {\n          node {\n            ...LedgerRow\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n      redemptions(first: $pageSize) {\n        edges {\n          node {\n            ...RedemptionRow\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n      ...MemberReferrals\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    tags {\n      code\n      name\n      kind\n    }\n    program {\n      timeZone\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MemberLedger($id: ID!, $first: Int!, $after: String) {\n    member(id: $id) {\n      id\n      pointsHistory(first: $first, after: $after) {\n        edges {\n          node {\n            ...LedgerRow\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query MemberLedger($id: ID!, $first: Int!, $after: String) {\n    member(id: $id) {\n      id\n      pointsHistory(first: $first, after: $after) {\n        edges {\n          node {\n            ...LedgerRow\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MemberRedemptions($id: ID!, $first: Int!, $after: String) {\n    member(id: $id) {\n      id\n      redemptions(first: $first, after: $after) {\n        edges {\n          node {\n            ...RedemptionRow\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query MemberRedemptions($id: ID!, $first: Int!, $after: String) {\n    member(id: $id) {\n      id\n      redemptions(first: $first, after: $after) {\n        edges {\n          node {\n            ...RedemptionRow\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AdjustPoints($input: AdjustPointsInput!) {\n    adjustPoints(input: $input) {\n      id\n      amount\n      balanceAfter\n    }\n  }\n"): (typeof documents)["\n  mutation AdjustPoints($input: AdjustPointsInput!) {\n    adjustPoints(input: $input) {\n      id\n      amount\n      balanceAfter\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetMemberTier($memberId: ID!, $tierCode: String!, $reason: String!, $expiresAt: DateTime) {\n    setMemberTier(memberId: $memberId, tierCode: $tierCode, reason: $reason, expiresAt: $expiresAt) {\n      id\n      tierExpiresAt\n      tier {\n        code\n        name\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation SetMemberTier($memberId: ID!, $tierCode: String!, $reason: String!, $expiresAt: DateTime) {\n    setMemberTier(memberId: $memberId, tierCode: $tierCode, reason: $reason, expiresAt: $expiresAt) {\n      id\n      tierExpiresAt\n      tier {\n        code\n        name\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TagMember($memberId: ID!, $tagCode: String!) {\n    tagMember(memberId: $memberId, tagCode: $tagCode) {\n      id\n      tags {\n        code\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation TagMember($memberId: ID!, $tagCode: String!) {\n    tagMember(memberId: $memberId, tagCode: $tagCode) {\n      id\n      tags {\n        code\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UntagMember($memberId: ID!, $tagCode: String!) {\n    untagMember(memberId: $memberId, tagCode: $tagCode) {\n      id\n      tags {\n        code\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation UntagMember($memberId: ID!, $tagCode: String!) {\n    untagMember(memberId: $memberId, tagCode: $tagCode) {\n      id\n      tags {\n        code\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CancelRedemption($id: ID!, $reason: String!) {\n    cancelRedemption(id: $id, reason: $reason) {\n      id\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation CancelRedemption($id: ID!, $reason: String!) {\n    cancelRedemption(id: $id, reason: $reason) {\n      id\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateMember($memberId: ID!, $patch: MemberPatch!) {\n    updateMember(memberId: $memberId, patch: $patch) {\n      id\n      displayName\n      email\n      phone\n      birthday\n      gender\n      region\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateMember($memberId: ID!, $patch: MemberPatch!) {\n    updateMember(memberId: $memberId, patch: $patch) {\n      id\n      displayName\n      email\n      phone\n      birthday\n      gender\n      region\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation EraseMember($memberId: ID!, $reason: String!) {\n    eraseMember(memberId: $memberId, reason: $reason) {\n      id\n      erasedAt\n      externalId\n      displayName\n    }\n  }\n"): (typeof documents)["\n  mutation EraseMember($memberId: ID!, $reason: String!) {\n    eraseMember(memberId: $memberId, reason: $reason) {\n      id\n      erasedAt\n      externalId\n      displayName\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment MemberReferrals on Member {\n    referralCode\n    referredBy {\n      id\n      displayName\n    }\n    referrals(first: 10) {\n      ...ReferralPage\n    }\n  }\n"): (typeof documents)["\n  fragment MemberReferrals on Member {\n    referralCode\n    referredBy {\n      id\n      displayName\n    }\n    referrals(first: 10) {\n      ...ReferralPage\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ReferralPage on ReferralConnection {\n      totalCount\n      edges {\n        node {\n          ...ReferralRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n  }\n"): (typeof documents)["\n  fragment ReferralPage on ReferralConnection {\n      totalCount\n      edges {\n        node {\n          ...ReferralRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ReferralRow on Referral {\n    id\n    status\n    reason\n    createdAt\n    completedAt\n    referee {\n      id\n      displayName\n    }\n  }\n"): (typeof documents)["\n  fragment ReferralRow on Referral {\n    id\n    status\n    reason\n    createdAt\n    completedAt\n    referee {\n      id\n      displayName\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MemberReferralsPage($id: ID!, $first: Int!, $after: String) {\n    member(id: $id) {\n      id\n      referrals(first: $first, after: $after) {\n        ...ReferralPage\n      }\n    }\n  }\n"): (typeof documents)["\n  query MemberReferralsPage($id: ID!, $first: Int!, $after: String) {\n    member(id: $id) {\n      id\n      referrals(first: $first, after: $after) {\n        ...ReferralPage\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment EngagementSettings on Program {\n    timeZone\n    referrerPoints\n    refereePoints\n    referralHoldDays\n    referralMonthlyLimit\n    checkInPoints\n  }\n"): (typeof documents)["\n  fragment EngagementSettings on Program {\n    timeZone\n    referrerPoints\n    refereePoints\n    referralHoldDays\n    referralMonthlyLimit\n    checkInPoints\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ActivityRuleFields on ActivityRule {\n    kind\n    name\n    points\n    qualifyingPoints\n    dailyCap\n    active\n    memberMayRecord\n  }\n"): (typeof documents)["\n  fragment ActivityRuleFields on ActivityRule {\n    kind\n    name\n    points\n    qualifyingPoints\n    dailyCap\n    active\n    memberMayRecord\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ProgrammePage {\n    program {\n      ...EngagementSettings\n    }\n    activityRules {\n      ...ActivityRuleFields\n    }\n  }\n"): (typeof documents)["\n  query ProgrammePage {\n    program {\n      ...EngagementSettings\n    }\n    activityRules {\n      ...ActivityRuleFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateEngagement($input: ProgramInput!) {\n    updateProgram(input: $input) {\n      ...EngagementSettings\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateEngagement($input: ProgramInput!) {\n    updateProgram(input: $input) {\n      ...EngagementSettings\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ActivityRuleKinds {\n    activityRules {\n      kind\n    }\n  }\n"): (typeof documents)["\n  query ActivityRuleKinds {\n    activityRules {\n      kind\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpsertActivityRule($input: ActivityRuleInput!) {\n    upsertActivityRule(input: $input) {\n      ...ActivityRuleFields\n    }\n  }\n"): (typeof documents)["\n  mutation UpsertActivityRule($input: ActivityRuleInput!) {\n    upsertActivityRule(input: $input) {\n      ...ActivityRuleFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ReferralFigures on ReferralStats {\n    registered\n    completed\n    rejected\n    reversed\n    pointsGiven\n    referrers\n    referralsPerReferrer\n  }\n"): (typeof documents)["\n  fragment ReferralFigures on ReferralStats {\n    registered\n    completed\n    rejected\n    reversed\n    pointsGiven\n    referrers\n    referralsPerReferrer\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ReferralMonths {\n    program {\n      timeZone\n    }\n    referralStatsByMonth(months: 12) {\n      from\n      to\n      stats {\n        ...ReferralFigures\n      }\n    }\n  }\n"): (typeof documents)["\n  query ReferralMonths {\n    program {\n      timeZone\n    }\n    referralStatsByMonth(months: 12) {\n      from\n      to\n      stats {\n        ...ReferralFigures\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ReferralTotals($from: DateTime!, $to: DateTime!) {\n    referralStats(from: $from, to: $to) {\n      ...ReferralFigures\n    }\n  }\n"): (typeof documents)["\n  query ReferralTotals($from: DateTime!, $to: DateTime!) {\n    referralStats(from: $from, to: $to) {\n      ...ReferralFigures\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment RewardFields on Reward {\n    id\n    code\n    name\n    description\n    costPoints\n    stock\n    perMemberLimit\n    tierCodes\n    active\n    validFrom\n    validTo\n    faceValue\n    couponValidDays\n  }\n"): (typeof documents)["\n  fragment RewardFields on Reward {\n    id\n    code\n    name\n    description\n    costPoints\n    stock\n    perMemberLimit\n    tierCodes\n    active\n    validFrom\n    validTo\n    faceValue\n    couponValidDays\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RewardsPage {\n    rewards {\n      ...RewardFields\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    program {\n      timeZone\n    }\n  }\n"): (typeof documents)["\n  query RewardsPage {\n    rewards {\n      ...RewardFields\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    program {\n      timeZone\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateReward($code: String!, $patch: RewardPatch!) {\n    updateReward(code: $code, patch: $patch) {\n      ...RewardFields\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateReward($code: String!, $patch: RewardPatch!) {\n    updateReward(code: $code, patch: $patch) {\n      ...RewardFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RewardCodes {\n    rewards {\n      code\n    }\n  }\n"): (typeof documents)["\n  query RewardCodes {\n    rewards {\n      code\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateReward($input: RewardInput!) {\n    upsertReward(input: $input) {\n      ...RewardFields\n    }\n  }\n"): (typeof documents)["\n  mutation CreateReward($input: RewardInput!) {\n    upsertReward(input: $input) {\n      ...RewardFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CouponLookup($couponCode: String!) {\n    redemptionByCoupon(couponCode: $couponCode) {\n      id\n      status\n      points\n      couponCode\n      createdAt\n      expiresAt\n      usedAt\n      usedAtStore\n      reward {\n        code\n        name\n      }\n      member {\n        id\n        displayName\n        externalId\n      }\n    }\n  }\n"): (typeof documents)["\n  query CouponLookup($couponCode: String!) {\n    redemptionByCoupon(couponCode: $couponCode) {\n      id\n      status\n      points\n      couponCode\n      createdAt\n      expiresAt\n      usedAt\n      usedAtStore\n      reward {\n        code\n        name\n      }\n      member {\n        id\n        displayName\n        externalId\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment SegmentFilterFields on SegmentFilter {\n    tierCodes\n    tagsAll\n    tagsAny\n    tagsNone\n    stages\n    rfmSegments\n    minBalance\n    maxBalance\n    minSpend\n    maxSpend\n    minR\n    minF\n    minM\n    joinedFrom\n    joinedTo\n    lastPurchaseFrom\n    lastPurchaseTo\n    tierExpiresFrom\n    tierExpiresTo\n    genders\n    regions\n    channels\n    birthdayMonths\n  }\n"): (typeof documents)["\n  fragment SegmentFilterFields on SegmentFilter {\n    tierCodes\n    tagsAll\n    tagsAny\n    tagsNone\n    stages\n    rfmSegments\n    minBalance\n    maxBalance\n    minSpend\n    maxSpend\n    minR\n    minF\n    minM\n    joinedFrom\n    joinedTo\n    lastPurchaseFrom\n    lastPurchaseTo\n    tierExpiresFrom\n    tierExpiresTo\n    genders\n    regions\n    channels\n    birthdayMonths\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment SegmentMember on Member {\n    id\n    externalId\n    displayName\n    pointsBalance\n    lifecycleStage\n    tier {\n      code\n      name\n    }\n  }\n"): (typeof documents)["\n  fragment SegmentMember on Member {\n    id\n    externalId\n    displayName\n    pointsBalance\n    lifecycleStage\n    tier {\n      code\n      name\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment SavedSegment on Segment {\n    id\n    name\n    size\n    exportPath\n    filter {\n      ...SegmentFilterFields\n    }\n  }\n"): (typeof documents)["\n  fragment SavedSegment on Segment {\n    id\n    name\n    size\n    exportPath\n    filter {\n      ...SegmentFilterFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SegmentsPage {\n    tiers {\n      code\n      name\n      rank\n    }\n    tags {\n      code\n      name\n      kind\n    }\n    segments {\n      ...SavedSegment\n    }\n    program {\n      timeZone\n    }\n  }\n"): (typeof documents)["\n  query SegmentsPage {\n    tiers {\n      code\n      name\n      rank\n    }\n    tags {\n      code\n      name\n      kind\n    }\n    segments {\n      ...SavedSegment\n    }\n    program {\n      timeZone\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SegmentPreview($filter: SegmentFilterInput!, $first: Int!) {\n    segmentPreview(filter: $filter) {\n      size\n      profile {\n        dimension\n        value\n        segmentCount\n        segmentShare\n        populationShare\n        tgi\n      }\n      members(first: $first) {\n        totalCount\n        edges {\n          node {\n            ...SegmentMember\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query SegmentPreview($filter: SegmentFilterInput!, $first: Int!) {\n    segmentPreview(filter: $filter) {\n      size\n      profile {\n        dimension\n        value\n        segmentCount\n        segmentShare\n        populationShare\n        tgi\n      }\n      members(first: $first) {\n        totalCount\n        edges {\n          node {\n            ...SegmentMember\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SegmentPreviewMembers($filter: SegmentFilterInput!, $first: Int!, $after: String) {\n    segmentPreview(filter: $filter) {\n      members(first: $first, after: $after) {\n        totalCount\n        edges {\n          node {\n            ...SegmentMember\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query SegmentPreviewMembers($filter: SegmentFilterInput!, $first: Int!, $after: String) {\n    segmentPreview(filter: $filter) {\n      members(first: $first, after: $after) {\n        totalCount\n        edges {\n          node {\n            ...SegmentMember\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SaveSegment($input: SegmentInput!) {\n    saveSegment(input: $input) {\n      ...SavedSegment\n    }\n  }\n"): (typeof documents)["\n  mutation SaveSegment($input: SegmentInput!) {\n    saveSegment(input: $input) {\n      ...SavedSegment\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TagsPage {\n    tagCounts {\n      count\n      tag {\n        id\n        code\n        name\n        kind\n        category\n        rule {\n          ...SegmentFilterFields\n        }\n      }\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    program {\n      timeZone\n    }\n    everyone: segmentPreview(filter: {}) {\n      size\n      profile {\n        dimension\n        value\n      }\n    }\n  }\n"): (typeof documents)["\n  query TagsPage {\n    tagCounts {\n      count\n      tag {\n        id\n        code\n        name\n        kind\n        category\n        rule {\n          ...SegmentFilterFields\n        }\n      }\n    }\n    tiers {\n      code\n      name\n      rank\n    }\n    program {\n      timeZone\n    }\n    everyone: segmentPreview(filter: {}) {\n      size\n      profile {\n        dimension\n        value\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TagRuleSize($filter: SegmentFilterInput!) {\n    segmentPreview(filter: $filter) {\n      size\n    }\n  }\n"): (typeof documents)["\n  query TagRuleSize($filter: SegmentFilterInput!) {\n    segmentPreview(filter: $filter) {\n      size\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TagCodes {\n    tags {\n      code\n      kind\n    }\n  }\n"): (typeof documents)["\n  query TagCodes {\n    tags {\n      code\n      kind\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpsertTag($input: TagInput!) {\n    upsertTag(input: $input) {\n      id\n      code\n      name\n      kind\n      category\n    }\n  }\n"): (typeof documents)["\n  mutation UpsertTag($input: TagInput!) {\n    upsertTag(input: $input) {\n      id\n      code\n      name\n      kind\n      category\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ProgramSettings on Program {\n    pointsPerUnit\n    pointsExpiryMonths\n    qualificationWindowMonths\n    tierValidityMonths\n    downgradePolicy\n    allowNegativeBalance\n    pointsPendingDays\n    tierNoticeDays\n    churnHorizonDays\n    lifecycleNewDays\n    lifecycleActiveDays\n    lifecycleAtRiskDays\n    lifecycleDormantDays\n  }\n"): (typeof documents)["\n  fragment ProgramSettings on Program {\n    pointsPerUnit\n    pointsExpiryMonths\n    qualificationWindowMonths\n    tierValidityMonths\n    downgradePolicy\n    allowNegativeBalance\n    pointsPendingDays\n    tierNoticeDays\n    churnHorizonDays\n    lifecycleNewDays\n    lifecycleActiveDays\n    lifecycleAtRiskDays\n    lifecycleDormantDays\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment TierFields on Tier {\n    id\n    code\n    name\n    rank\n    qualifyingPoints\n    retainPoints\n    pointsMultiplier\n  }\n"): (typeof documents)["\n  fragment TierFields on Tier {\n    id\n    code\n    name\n    rank\n    qualifyingPoints\n    retainPoints\n    pointsMultiplier\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TiersPage {\n    tiers {\n      ...TierFields\n      memberCount\n      benefits {\n        code\n        name\n      }\n    }\n    program {\n      ...ProgramSettings\n    }\n  }\n"): (typeof documents)["\n  query TiersPage {\n    tiers {\n      ...TierFields\n      memberCount\n      benefits {\n        code\n        name\n      }\n    }\n    program {\n      ...ProgramSettings\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpsertTier($input: TierInput!) {\n    upsertTier(input: $input) {\n      ...TierFields\n    }\n  }\n"): (typeof documents)["\n  mutation UpsertTier($input: TierInput!) {\n    upsertTier(input: $input) {\n      ...TierFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateProgram($input: ProgramInput!) {\n    updateProgram(input: $input) {\n      ...ProgramSettings\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateProgram($input: ProgramInput!) {\n    updateProgram(input: $input) {\n      ...ProgramSettings\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment WebhookEndpointFields on WebhookEndpoint {\n    id\n    url\n    eventTypes\n    active\n    secretHint\n    createdAt\n  }\n"): (typeof documents)["\n  fragment WebhookEndpointFields on WebhookEndpoint {\n    id\n    url\n    eventTypes\n    active\n    secretHint\n    createdAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebhooksPage {\n    webhookEndpoints {\n      ...WebhookEndpointFields\n    }\n    webhookEventTypes\n  }\n"): (typeof documents)["\n  query WebhooksPage {\n    webhookEndpoints {\n      ...WebhookEndpointFields\n    }\n    webhookEventTypes\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment WebhookDeliveryFields on WebhookDelivery {\n    id\n    endpointId\n    eventId\n    eventType\n    status\n    attempts\n    lastStatusCode\n    lastError\n    nextAttemptAt\n    createdAt\n    deliveredAt\n  }\n"): (typeof documents)["\n  fragment WebhookDeliveryFields on WebhookDelivery {\n    id\n    endpointId\n    eventId\n    eventType\n    status\n    attempts\n    lastStatusCode\n    lastError\n    nextAttemptAt\n    createdAt\n    deliveredAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebhookDeliveries($endpointId: ID, $status: WebhookDeliveryStatus, $first: Int!, $after: String) {\n    webhookDeliveries(endpointId: $endpointId, status: $status, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...WebhookDeliveryFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query WebhookDeliveries($endpointId: ID, $status: WebhookDeliveryStatus, $first: Int!, $after: String) {\n    webhookDeliveries(endpointId: $endpointId, status: $status, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...WebhookDeliveryFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateWebhookEndpoint($input: WebhookEndpointInput!, $idempotencyKey: String) {\n    createWebhookEndpoint(input: $input, idempotencyKey: $idempotencyKey) {\n      secret\n      endpoint {\n        ...WebhookEndpointFields\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateWebhookEndpoint($input: WebhookEndpointInput!, $idempotencyKey: String) {\n    createWebhookEndpoint(input: $input, idempotencyKey: $idempotencyKey) {\n      secret\n      endpoint {\n        ...WebhookEndpointFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateWebhookEndpoint($id: ID!, $input: WebhookEndpointInput!) {\n    updateWebhookEndpoint(id: $id, input: $input) {\n      ...WebhookEndpointFields\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateWebhookEndpoint($id: ID!, $input: WebhookEndpointInput!) {\n    updateWebhookEndpoint(id: $id, input: $input) {\n      ...WebhookEndpointFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RotateWebhookSecret($id: ID!, $idempotencyKey: String) {\n    rotateWebhookSecret(id: $id, idempotencyKey: $idempotencyKey) {\n      secret\n      endpoint {\n        ...WebhookEndpointFields\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation RotateWebhookSecret($id: ID!, $idempotencyKey: String) {\n    rotateWebhookSecret(id: $id, idempotencyKey: $idempotencyKey) {\n      secret\n      endpoint {\n        ...WebhookEndpointFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetWebhookEndpointActive($id: ID!, $active: Boolean!) {\n    setWebhookEndpointActive(id: $id, active: $active) {\n      ...WebhookEndpointFields\n    }\n  }\n"): (typeof documents)["\n  mutation SetWebhookEndpointActive($id: ID!, $active: Boolean!) {\n    setWebhookEndpointActive(id: $id, active: $active) {\n      ...WebhookEndpointFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteWebhookEndpoint($id: ID!) {\n    deleteWebhookEndpoint(id: $id)\n  }\n"): (typeof documents)["\n  mutation DeleteWebhookEndpoint($id: ID!) {\n    deleteWebhookEndpoint(id: $id)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PingWebhookEndpoint($id: ID!) {\n    pingWebhookEndpoint(id: $id) {\n      ...WebhookDeliveryFields\n    }\n  }\n"): (typeof documents)["\n  mutation PingWebhookEndpoint($id: ID!) {\n    pingWebhookEndpoint(id: $id) {\n      ...WebhookDeliveryFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RedeliverWebhook($deliveryId: ID!) {\n    redeliverWebhook(deliveryId: $deliveryId) {\n      ...WebhookDeliveryFields\n    }\n  }\n"): (typeof documents)["\n  mutation RedeliverWebhook($deliveryId: ID!) {\n    redeliverWebhook(deliveryId: $deliveryId) {\n      ...WebhookDeliveryFields\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;