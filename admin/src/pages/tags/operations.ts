import { graphql } from '../../gql';

/**
 * The Tags page's requests (docs/console-api.md "Tags"): the tags with their member counts and
 * rules, and what the rule form needs (tiers, the programme's time zone, the members' values for
 * the pickers), in one request; a rule's live size after a change of its filter (debounced);
 * the code check before a new tag (upsertTag is keyed by the code) and the save, each a request
 * of its own.
 */
export const TagsPageQuery = graphql(`
  query TagsPage {
    tagCounts {
      count
      tag {
        id
        code
        name
        kind
        category
        rule {
          ...SegmentFilterFields
        }
      }
    }
    tiers {
      code
      name
      rank
    }
    program {
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

export const TagRuleSizeQuery = graphql(`
  query TagRuleSize($filter: SegmentFilterInput!) {
    segmentPreview(filter: $filter) {
      size
    }
  }
`);

export const TagCodesQuery = graphql(`
  query TagCodes {
    tags {
      code
      kind
    }
  }
`);

export const UpsertTagMutation = graphql(`
  mutation UpsertTag($input: TagInput!) {
    upsertTag(input: $input) {
      id
      code
      name
      kind
      category
    }
  }
`);
