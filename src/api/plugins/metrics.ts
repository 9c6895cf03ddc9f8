import type { ApolloServerPlugin } from '@apollo/server';
import type { Metrics } from '../../ops/metrics';

/** Counts and times every GraphQL operation by name, type and outcome. */
export function metricsPlugin(metrics: Metrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const start = process.hrtime.bigint();
      return {
        async willSendResponse({ operation, operationName, errors }) {
          const labels = { operation: operationName ?? 'anonymous', type: operation?.operation ?? 'unknown' };
          metrics.graphqlOps.inc({ ...labels, outcome: errors?.length ? 'error' : 'ok' });
          metrics.graphqlDuration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
        },
      };
    },
  };
}
