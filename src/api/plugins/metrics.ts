import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { Metrics } from '../../ops/metrics';

/**
 * Counts and times every GraphQL operation by what it asks, its type and its outcome. The
 * `operation` label is the schema's root field the operation selects (`recordPurchase`), or
 * `multiple` when it selects several, or `none` when the request had no valid operation: never
 * a name the client chose (an operation's name or an alias), so that the series are bounded by
 * the schema whatever callers send.
 */
export function metricsPlugin(metrics: Metrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const start = process.hrtime.bigint();
      return {
        async willSendResponse({ operation, errors, schema }) {
          const labels = { operation: rootFieldLabel(schema, operation), type: operation?.operation ?? 'unknown' };
          metrics.graphqlOps.inc({ ...labels, outcome: errors?.length ? 'error' : 'ok' });
          metrics.graphqlDuration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
        },
      };
    },
  };
}

/** Root fields every schema answers without declaring them. */
const META_FIELDS = new Set(['__typename', '__schema', '__type']);

export function rootFieldLabel(schema: GraphQLSchema, operation: OperationDefinitionNode | undefined): string {
  const root = operation ? schema.getRootType(operation.operation) : undefined;
  if (!operation || !root) return 'none';
  const fields = root.getFields();
  const names = new Set<string>();
  for (const node of operation.selectionSet.selections) {
    if (node.kind !== Kind.FIELD) return 'multiple';
    const name = node.name.value;
    if (!fields[name] && !META_FIELDS.has(name)) return 'none';
    names.add(name);
  }
  return names.size === 1 ? [...names][0] : names.size === 0 ? 'none' : 'multiple';
}
