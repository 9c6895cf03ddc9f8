import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError, Kind, type DocumentNode, type GraphQLSchema, type ValidationContext, type ASTVisitor,
} from 'graphql';
import depthLimit from 'graphql-depth-limit';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { MAX_PAGE_SIZE } from '../../common/pagination';

export interface QueryLimits {
  maxCost: number;
  maxDepth: number;
  maxAliases: number;
}

const tooComplex = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'QUERY_TOO_COMPLEX', http: { status: 400 } } });

/** A list field costs its page size (`first`, or its default) times what each item costs. */
const pageEstimator: ComplexityEstimator = ({ args, field, childComplexity }) => {
  const arg = field.args.find((a) => a.name === 'first');
  if (!arg) return undefined;
  const first = typeof args.first === 'number' ? args.first : ((arg.defaultValue as number | undefined) ?? MAX_PAGE_SIZE);
  return 1 + Math.max(first, 1) * Math.max(childComplexity, 1);
};

/** Caps aliases per document: aliases are how one request asks for a field a thousand times. */
export function aliasLimit(max: number) {
  return (context: ValidationContext): ASTVisitor => {
    let count = 0;
    return {
      Field(node) {
        if (node.alias && ++count === max + 1) context.reportError(tooComplex(`More than ${max} aliases in one request`));
      },
    };
  };
}

export function limitValidationRules(limits: QueryLimits) {
  return [depthLimit(limits.maxDepth), aliasLimit(limits.maxAliases)];
}

export function queryCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined, operationName?: string | null): number {
  return getComplexity({
    schema, query: document, variables, operationName: operationName ?? undefined,
    estimators: [pageEstimator, simpleEstimator({ defaultComplexity: 1 })],
  });
}

export function assertCost(cost: number, limits: QueryLimits): void {
  if (cost > limits.maxCost) throw tooComplex(`Query cost ${cost} exceeds the maximum of ${limits.maxCost}`);
}

/** Refuses an over-budget query after parsing and validation, before any resolver runs. */
export function costLimitPlugin(limits: QueryLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema, operation }) {
          if (operation?.operation === 'subscription') return;
          assertCost(queryCost(schema, document, request.variables, request.operationName), limits);
        },
      };
    },
  };
}
void Kind;
