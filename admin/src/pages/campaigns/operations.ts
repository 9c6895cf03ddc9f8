import { graphql } from '../../gql';

/**
 * The Campaigns pages' requests (docs/console-api.md "Campaigns"). The list: one request. A
 * campaign's page: CampaignPage (the campaign, and what its form needs: tiers, tags, saved
 * segments and the members' values for the audience's pickers, rewards, the point value), then,
 * once it has been activated, CampaignReport. Saving, simulating, the lifecycle and the
 * audience's live size (after a change of the audience) are requests of their own.
 */
export const CampaignFields = graphql(`
  fragment CampaignFields on Campaign {
    id
    code
    name
    trigger
    status
    endedReason
    endedAt
    startsAt
    endsAt
    audience {
      ...SegmentFilterFields
    }
    activityKind
    minAmount
    bonusPoints
    multiplier
    rewardCode
    perMemberLimit
    budgetPoints
    pointsGiven
    budgetSpent
    controlPercent
  }
`);

export const CampaignsQuery = graphql(`
  query Campaigns {
    campaigns {
      ...CampaignFields
    }
    program {
      timeZone
    }
  }
`);

export const CampaignPageQuery = graphql(`
  query CampaignPage($code: String!, $editing: Boolean!) {
    campaign(code: $code) @include(if: $editing) {
      ...CampaignFields
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
    segments {
      id
      name
      filter {
        ...SegmentFilterFields
      }
    }
    rewards {
      code
      name
      costPoints
      active
    }
    program {
      pointValue
      timeZone
    }
    everyone: segmentPreview(filter: {}) {
      size
      profile {
        dimension
        value
      }
    }
  }
`);

export const CampaignArmFields = graphql(`
  fragment CampaignArmFields on CampaignArm {
    members
    buyers
    purchases
    gmv
    arpu
    purchaseRate
  }
`);

export const CampaignReportQuery = graphql(`
  query CampaignReport($code: String!) {
    program {
      timeZone
    }
    campaignReport(code: $code) {
      from
      to
      treatment {
        ...CampaignArmFields
      }
      control {
        ...CampaignArmFields
      }
      upliftArpu
      upliftArpuLow
      upliftArpuHigh
      upliftPurchaseRate
      incrementalGmv
      cost
      roi
    }
  }
`);

export const AudienceSizeQuery = graphql(`
  query CampaignAudienceSize($filter: SegmentFilterInput!) {
    segmentPreview(filter: $filter) {
      size
    }
  }
`);

export const SimulateCampaignQuery = graphql(`
  query SimulateCampaign($input: CampaignInput!, $from: DateTime!, $to: DateTime!) {
    simulateCampaign(input: $input, from: $from, to: $to) {
      eligibleMembers
      qualifyingEvents
      pointsWouldGive
      costWouldBe
    }
  }
`);

/** Whether a code is taken: the create form asks before saving (upsertCampaign would overwrite that campaign). */
export const CampaignCodeTakenQuery = graphql(`
  query CampaignCodeTaken($code: String!) {
    campaign(code: $code) {
      id
    }
  }
`);

export const UpsertCampaignMutation = graphql(`
  mutation UpsertCampaign($input: CampaignInput!) {
    upsertCampaign(input: $input) {
      ...CampaignFields
    }
  }
`);

export const ActivateCampaignMutation = graphql(`
  mutation ActivateCampaign($code: String!) {
    activateCampaign(code: $code) {
      ...CampaignFields
    }
  }
`);

export const PauseCampaignMutation = graphql(`
  mutation PauseCampaign($code: String!) {
    pauseCampaign(code: $code) {
      ...CampaignFields
    }
  }
`);

export const EndCampaignMutation = graphql(`
  mutation EndCampaign($code: String!) {
    endCampaign(code: $code) {
      ...CampaignFields
    }
  }
`);
