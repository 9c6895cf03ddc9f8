import { graphql } from '../../gql';

/**
 * The Segments page's requests (docs/console-api.md "Segments"): the pickers' values and the
 * saved segments, once; the preview of the filter being built (its size, TGI profile and first
 * page of members), once per change of the filter (debounced). Later pages of members, saving
 * and the CSV download are requests of their own, made when asked for.
 */
export const SegmentFilterFields = graphql(`
  fragment SegmentFilterFields on SegmentFilter {
    tierCodes
    tagsAll
    tagsAny
    tagsNone
    stages
    rfmSegments
    minBalance
    maxBalance
    minSpend
    maxSpend
    minR
    minF
    minM
    joinedFrom
    joinedTo
    lastPurchaseFrom
    lastPurchaseTo
    tierExpiresFrom
    tierExpiresTo
    genders
    regions
    channels
    birthdayMonths
  }
`);

export const SegmentMemberFields = graphql(`
  fragment SegmentMember on Member {
    id
    externalId
    displayName
    pointsBalance
    lifecycleStage
    tier {
      code
      name
    }
  }
`);

export const SavedSegmentFields = graphql(`
  fragment SavedSegment on Segment {
    id
    name
    size
    exportPath
    filter {
      ...SegmentFilterFields
    }
  }
`);

export const SegmentsPageQuery = graphql(`
  query SegmentsPage {
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
      ...SavedSegment
    }
    program {
      timeZone
    }
  }
`);

export const SegmentPreviewQuery = graphql(`
  query SegmentPreview($filter: SegmentFilterInput!, $first: Int!) {
    segmentPreview(filter: $filter) {
      size
      profile {
        dimension
        value
        segmentCount
        segmentShare
        populationShare
        tgi
      }
      members(first: $first) {
        totalCount
        edges {
          node {
            ...SegmentMember
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

/** The members' later pages. */
export const SegmentPreviewMembersQuery = graphql(`
  query SegmentPreviewMembers($filter: SegmentFilterInput!, $first: Int!, $after: String) {
    segmentPreview(filter: $filter) {
      members(first: $first, after: $after) {
        totalCount
        edges {
          node {
            ...SegmentMember
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

export const SaveSegmentMutation = graphql(`
  mutation SaveSegment($input: SegmentInput!) {
    saveSegment(input: $input) {
      ...SavedSegment
    }
  }
`);
