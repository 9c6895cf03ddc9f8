import { graphql } from '../../gql';

/** The imports page's operations: the latest jobs, and one job with a page of its rejected lines (by line). */
export const ImportJobFields = graphql(`
  fragment ImportJobRow on ImportJob {
    id
    kind
    mode
    status
    rowsDone
    rowsRejected
    startedAt
    finishedAt
    failure
  }
`);

export const ImportJobsQuery = graphql(`
  query ImportJobs($first: Int!) {
    importJobs(first: $first) {
      ...ImportJobRow
    }
  }
`);

export const ImportJobQuery = graphql(`
  query ImportJob($id: ID!, $first: Int!, $afterLine: Int) {
    importJob(id: $id) {
      ...ImportJobRow
      errors(first: $first, afterLine: $afterLine) {
        line
        message
      }
    }
  }
`);
