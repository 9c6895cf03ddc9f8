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
    program {
      timeZone
    }
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

/** The programme's time zone alone: asked first only when the page opens with days in its filter (they are the zone's days). */
export const AuditTimeZoneQuery = graphql(`
  query AuditTimeZone {
    program {
      timeZone
    }
  }
`);
