/**
 * The churn model's numerics, one import for its callers: the BG/NBD model (churn/bgnbd.rules.ts),
 * the special functions and the optimisers it rests on (churn/special-functions.ts,
 * churn/optimiser.ts), and the backtest's metrics (churn/metrics.rules.ts). Pure functions, no
 * I/O; churn.rules.spec.ts tests them through this file.
 */
export * from './churn/bgnbd.rules';
export * from './churn/metrics.rules';
export * from './churn/optimiser';
export * from './churn/special-functions';
