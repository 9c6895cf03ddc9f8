import { graphql } from '../../gql';

/**
 * The Members pages' GraphQL operations. `npm run codegen -w admin` turns each into a typed
 * document in src/gql/ (the result and variables types follow the schema).
 */

export const MemberRowFields = graphql(`
  fragment MemberRow on Member {
    id
    externalId
    displayName
    email
    phone
    pointsBalance
    lifecycleStage
    tier {
      code
      name
    }
  }
`);

export const MemberListQuery = graphql(`
  query MemberList($first: Int!, $after: String) {
    members(first: $first, after: $after) {
      totalCount
      edges {
        node {
          ...MemberRow
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const MemberSearchQuery = graphql(`
  query MemberSearch($query: String!, $first: Int!, $after: String) {
    searchMembers(query: $query, first: $first, after: $after) {
      totalCount
      edges {
        node {
          ...MemberRow
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const LedgerRowFields = graphql(`
  fragment LedgerRow on PointTransaction {
    id
    type
    amount
    balanceAfter
    occurredAt
    expiresAt
    reason
    reference
  }
`);

export const RedemptionRowFields = graphql(`
  fragment RedemptionRow on Redemption {
    id
    couponCode
    status
    points
    createdAt
    expiresAt
    usedAt
    usedAtStore
    reward {
      code
      name
    }
  }
`);

/** A member's whole profile, the first page of its ledger and redemptions, and the tiers and tags its actions offer: one request. */
export const MemberProfileQuery = graphql(`
  query MemberProfile($id: ID!, $pageSize: Int!) {
    member(id: $id) {
      id
      erasedAt
      ...MemberCheckIn
      externalId
      displayName
      email
      phone
      birthday
      gender
      region
      channel
      joinedAt
      tierSince
      tierExpiresAt
      tier {
        code
        name
      }
      tierProgress {
        qualifyingPoints
        pointsToNextTier
        pointsToRetain
        nextTier {
          code
          name
          qualifyingPoints
        }
      }
      pointsBalance
      pendingPoints
      lifetimePoints
      expiringPoints(withinDays: 30)
      lifecycleStage
      churnRisk
      aliveProbability
      expectedPurchases(days: 90)
      rfm {
        recencyDays
        frequency
        monetary
        r
        f
        m
        segment
      }
      tags {
        code
        name
        kind
      }
      benefits {
        code
        name
        kind
        value
      }
      tierHistory {
        id
        kind
        reason
        occurredAt
        qualifyingPoints
        fromTier {
          name
        }
        toTier {
          name
        }
      }
      pointsHistory(first: $pageSize) {
        edges {
          node {
            ...LedgerRow
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
      redemptions(first: $pageSize) {
        edges {
          node {
            ...RedemptionRow
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
      ...MemberReferrals
    }
    tiers {
      code
      name
      rank
    }
    tags {
      code
      name
      kind
    }
    program {
      timeZone
    }
  }
`);

/** The ledger's later pages. */
export const MemberLedgerQuery = graphql(`
  query MemberLedger($id: ID!, $first: Int!, $after: String) {
    member(id: $id) {
      id
      pointsHistory(first: $first, after: $after) {
        edges {
          node {
            ...LedgerRow
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

/** The redemptions' later pages. */
export const MemberRedemptionsQuery = graphql(`
  query MemberRedemptions($id: ID!, $first: Int!, $after: String) {
    member(id: $id) {
      id
      redemptions(first: $first, after: $after) {
        edges {
          node {
            ...RedemptionRow
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

export const AdjustPointsMutation = graphql(`
  mutation AdjustPoints($input: AdjustPointsInput!) {
    adjustPoints(input: $input) {
      id
      amount
      balanceAfter
    }
  }
`);

export const SetMemberTierMutation = graphql(`
  mutation SetMemberTier($memberId: ID!, $tierCode: String!, $reason: String!, $expiresAt: DateTime) {
    setMemberTier(memberId: $memberId, tierCode: $tierCode, reason: $reason, expiresAt: $expiresAt) {
      id
      tierExpiresAt
      tier {
        code
        name
      }
    }
  }
`);

export const TagMemberMutation = graphql(`
  mutation TagMember($memberId: ID!, $tagCode: String!) {
    tagMember(memberId: $memberId, tagCode: $tagCode) {
      id
      tags {
        code
      }
    }
  }
`);

export const UntagMemberMutation = graphql(`
  mutation UntagMember($memberId: ID!, $tagCode: String!) {
    untagMember(memberId: $memberId, tagCode: $tagCode) {
      id
      tags {
        code
      }
    }
  }
`);

export const CancelRedemptionMutation = graphql(`
  mutation CancelRedemption($id: ID!, $reason: String!) {
    cancelRedemption(id: $id, reason: $reason) {
      id
      status
    }
  }
`);

export const UpdateMemberMutation = graphql(`
  mutation UpdateMember($memberId: ID!, $patch: MemberPatch!) {
    updateMember(memberId: $memberId, patch: $patch) {
      id
      displayName
      email
      phone
      birthday
      gender
      region
    }
  }
`);

export const EraseMemberMutation = graphql(`
  mutation EraseMember($memberId: ID!, $reason: String!) {
    eraseMember(memberId: $memberId, reason: $reason) {
      id
      erasedAt
      externalId
      displayName
    }
  }
`);
