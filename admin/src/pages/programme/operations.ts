import { graphql } from '../../gql';

export const EngagementSettingsFragment = graphql(`
  fragment EngagementSettings on Program {
    timeZone
    referrerPoints
    refereePoints
    referralHoldDays
    referralMonthlyLimit
    checkInPoints
  }
`);

export const ProgrammePageQuery = graphql(`
  query ProgrammePage {
    program {
      ...EngagementSettings
    }
  }
`);

export const UpdateEngagementMutation = graphql(`
  mutation UpdateEngagement($input: ProgramInput!) {
    updateProgram(input: $input) {
      ...EngagementSettings
    }
  }
`);
