import { graphql } from '../../gql';

/** The audit log's operations (auditEntries: filtered, paged, newest first). */
export const AuditRowFields = graphql(`
  fragment AuditRow on AuditEntry {
    id
    actor
    action
    entity
    entityId
    before
    after
    at
  }
`);

export const AuditLogQuery = graphql(`
  query AuditLog($filter: AuditFilterInput, $first: Int!, $after: String) {
    auditEntries(filter: $filter, first: $first, after: $after) {
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
