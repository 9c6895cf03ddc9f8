import { graphql } from '../../gql';

/**
 * The Programme page's requests (docs/console-api.md "Programme"): the engagement settings and
 * the activity rules in one request (ProgrammePage); a save of the settings (UpdateEngagement,
 * only the fields changed); the kinds taken, just before a new activity rule is saved
 * (ActivityRuleKinds: upsertActivityRule is keyed by the kind), and a rule's save
 * (UpsertActivityRule), each a request of its own.
 */
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

export const ActivityRuleFieldsFragment = graphql(`
  fragment ActivityRuleFields on ActivityRule {
    kind
    name
    points
    qualifyingPoints
    dailyCap
    active
    memberMayRecord
  }
`);

export const ProgrammePageQuery = graphql(`
  query ProgrammePage {
    program {
      ...EngagementSettings
    }
    activityRules {
      ...ActivityRuleFields
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

export const ActivityRuleKindsQuery = graphql(`
  query ActivityRuleKinds {
    activityRules {
      kind
    }
  }
`);

export const UpsertActivityRuleMutation = graphql(`
  mutation UpsertActivityRule($input: ActivityRuleInput!) {
    upsertActivityRule(input: $input) {
      ...ActivityRuleFields
    }
  }
`);
