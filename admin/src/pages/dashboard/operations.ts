import { graphql } from '../../gql';

/**
 * The Dashboard's two requests (docs/console-api.md "Dashboard"): the totals, models and lists,
 * which do not depend on the date range; and the monthly series over the chosen range.
 */
export const DashboardSummaryQuery = graphql(`
  query DashboardSummary($expiringWithinDays: Int!, $winBack: Int!) {
    program {
      timeZone
    }
    programStats {
      members
      pointsLiability
      pendingPoints
      expiringPoints(withinDays: $expiringWithinDays)
      byTier {
        count
        tier {
          code
          name
          rank
        }
      }
      byStage {
        stage
        count
      }
      byRfmSegment {
        segment
        count
        monetary
      }
    }
    churnModel {
      method
      r
      alpha
      a
      b
      customers
      logLikelihood
      asOf
      ks
      gini
    }
    winBackCandidates(first: $winBack) {
      id
      displayName
      externalId
      churnRisk
      lifecycleStage
      rfm {
        monetary
        recencyDays
        segment
      }
      tier {
        code
        name
      }
    }
  }
`);

export const DashboardSeriesQuery = graphql(`
  query DashboardSeries($from: DateTime!, $to: DateTime!) {
    pointsFlow(from: $from, to: $to) {
      period
      earned
      redeemed
      expired
      reversed
      redemptionRate
    }
    growth(from: $from, to: $to) {
      period
      active
      new
      retained
      wonBack
      churned
    }
    lifecycleTransitions(from: $from, to: $to) {
      from
      to
      count
    }
  }
`);
