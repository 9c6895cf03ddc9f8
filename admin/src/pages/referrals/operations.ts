import { graphql } from '../../gql';

export const ReferralFiguresFragment = graphql(`
  fragment ReferralFigures on ReferralStats {
    registered
    completed
    rejected
    reversed
    pointsGiven
    referrers
    referralsPerReferrer
  }
`);

/** The last twelve programme-local months, the current one last. */
export const ReferralMonthsQuery = graphql(`
  query ReferralMonths {
    program {
      timeZone
    }
    referralStatsByMonth(months: 12) {
      from
      to
      stats {
        ...ReferralFigures
      }
    }
  }
`);

/** The totals over the months shown (referrers are distinct over the whole span: not a sum of months). */
export const ReferralTotalsQuery = graphql(`
  query ReferralTotals($from: DateTime!, $to: DateTime!) {
    referralStats(from: $from, to: $to) {
      ...ReferralFigures
    }
  }
`);
