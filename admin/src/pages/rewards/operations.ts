import { graphql } from '../../gql';

/**
 * The Rewards page's operations: the catalogue (one request), a coupon look-up (the second).
 * Cancelling a looked-up coupon is the Members pages' CancelRedemption (the same dialog).
 */
export const RewardFields = graphql(`
  fragment RewardFields on Reward {
    id
    code
    name
    description
    costPoints
    stock
    perMemberLimit
    tierCodes
    active
    validFrom
    validTo
    faceValue
    couponValidDays
  }
`);

export const RewardsPageQuery = graphql(`
  query RewardsPage {
    rewards {
      ...RewardFields
    }
    tiers {
      code
      name
      rank
    }
    program {
      timeZone
    }
  }
`);

export const UpdateRewardMutation = graphql(`
  mutation UpdateReward($code: String!, $patch: RewardPatch!) {
    updateReward(code: $code, patch: $patch) {
      ...RewardFields
    }
  }
`);

/** The codes taken now (upsertReward would replace the reward one names). */
export const RewardCodesQuery = graphql(`
  query RewardCodes {
    rewards {
      code
    }
  }
`);

export const CreateRewardMutation = graphql(`
  mutation CreateReward($input: RewardInput!) {
    upsertReward(input: $input) {
      ...RewardFields
    }
  }
`);

export const CouponLookupQuery = graphql(`
  query CouponLookup($couponCode: String!) {
    redemptionByCoupon(couponCode: $couponCode) {
      id
      status
      points
      couponCode
      createdAt
      expiresAt
      usedAt
      usedAtStore
      reward {
        code
        name
      }
      member {
        id
        displayName
        externalId
      }
    }
  }
`);
