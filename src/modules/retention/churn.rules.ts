/**
 * The churn model's numerics, one import for its callers: the BG/NBD model (churn/bgnbd.rules.ts),
 * the special functions and the optimisers it rests on (churn/special-functions.ts,
 * churn/optimiser.ts), the backtest's metrics (churn/metrics.rules.ts), and the supervised score
 * that may replace BG/NBD's churn risk (churn/logistic.rules.ts, churn/supervised.rules.ts). Pure
 * functions, no I/O; churn.rules.spec.ts and churn.supervised.spec.ts test them through this file.
 */
export * from './churn/bgnbd.rules';
export * from './churn/logistic.rules';
export * from './churn/metrics.rules';
export * from './churn/optimiser';
export * from './churn/special-functions';
export * from './churn/supervised.rules';
