import { graphql } from '../../gql';

/** The Benefits pages' operations. */
export const BenefitFields = graphql(`
  fragment BenefitFields on Benefit {
    id
    code
    name
    description
    kind
    value
    tierCodes
    requiredTags
    active
    validFrom
    validTo
    version
  }
`);

/** The list: every rule, the tiers' names, and the programme's time zone (the rules' schedules are shown in it). One request. */
export const BenefitListQuery = graphql(`
  query BenefitList {
    benefits {
      ...BenefitFields
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

/**
 * One rule's page: the rules with their versions (there is no benefit(code) field; the list is
 * short), the first page of its audit entries, the tiers and tags its form offers and the
 * programme's time zone (its schedule's). One request.
 */
export const BenefitDetailQuery = graphql(`
  query BenefitDetail($code: String!, $auditFirst: Int!) {
    benefits {
      ...BenefitFields
      history {
        version
        changedBy
        changedAt
        snapshot
      }
    }
    auditEntries(filter: { entity: "Benefit", entityId: $code }, first: $auditFirst) {
      edges {
        node {
          ...AuditRow
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
    tiers {
      code
      name
      rank
    }
    tags {
      code
      name
    }
    program {
      timeZone
    }
  }
`);

/** "New benefit": the codes taken (upsertBenefit is keyed by the code), the tiers and tags the form offers, the programme's time zone. One request. */
export const BenefitNewQuery = graphql(`
  query BenefitNew {
    benefits {
      code
    }
    tiers {
      code
      name
      rank
    }
    tags {
      code
      name
    }
    program {
      timeZone
    }
  }
`);

/** The codes taken now (a new rule with one would become a new version of that rule). */
export const BenefitCodesQuery = graphql(`
  query BenefitCodes {
    benefits {
      code
    }
  }
`);

export const CreateBenefitMutation = graphql(`
  mutation CreateBenefit($input: BenefitInput!) {
    upsertBenefit(input: $input) {
      ...BenefitFields
    }
  }
`);

/** The audit entries' later pages. */
export const BenefitAuditQuery = graphql(`
  query BenefitAudit($code: String!, $first: Int!, $after: String) {
    auditEntries(filter: { entity: "Benefit", entityId: $code }, first: $first, after: $after) {
      edges {
        node {
          ...AuditRow
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const UpdateBenefitMutation = graphql(`
  mutation UpdateBenefit($code: String!, $patch: BenefitPatch!) {
    updateBenefit(code: $code, patch: $patch) {
      ...BenefitFields
    }
  }
`);
