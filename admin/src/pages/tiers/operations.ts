import { graphql } from '../../gql';

/** The Tiers page's operations: the ladder and the programme settings in one request. */
export const ProgramSettingsFields = graphql(`
  fragment ProgramSettings on Program {
    pointsPerUnit
    pointsExpiryMonths
    qualificationWindowMonths
    tierValidityMonths
    downgradePolicy
    allowNegativeBalance
    pointsPendingDays
    tierNoticeDays
    churnHorizonDays
    lifecycleNewDays
    lifecycleActiveDays
    lifecycleAtRiskDays
    lifecycleDormantDays
  }
`);

export const TierFields = graphql(`
  fragment TierFields on Tier {
    id
    code
    name
    rank
    qualifyingPoints
    retainPoints
    pointsMultiplier
  }
`);

export const TiersPageQuery = graphql(`
  query TiersPage {
    tiers {
      ...TierFields
      memberCount
      benefits {
        code
        name
      }
    }
    program {
      ...ProgramSettings
    }
  }
`);

export const UpsertTierMutation = graphql(`
  mutation UpsertTier($input: TierInput!) {
    upsertTier(input: $input) {
      ...TierFields
    }
  }
`);

export const UpdateProgramMutation = graphql(`
  mutation UpdateProgram($input: ProgramInput!) {
    updateProgram(input: $input) {
      ...ProgramSettings
    }
  }
`);
