import { graphql } from '../../gql';

/**
 * The Churn model page's one request (docs/console-api.md "Churn model"): the stored fit with
 * its backtest (the score churnRisk holds, `method`, against the naive ranking by days since the
 * last purchase on the same holdout) and the programme's horizon that defines "churned".
 */
export const ChurnModelPageQuery = graphql(`
  query ChurnModelPage {
    churnModel {
      method
      ks
      gini
      recencyKs
      recencyGini
      r
      alpha
      a
      b
      customers
      asOf
    }
    program {
      churnHorizonDays
    }
  }
`);
