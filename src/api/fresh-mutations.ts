import { defaultFieldResolver, type GraphQLSchema } from 'graphql';
import type { GraphQLContext } from './context';

/**
 * Every root mutation field first forgets what its request has read (loaders' caches, the
 * entity cache: Loaders.forget). GraphQL runs a request's mutations one after another, each
 * with its whole selection before the next: without this, a second `tagMember` answered with
 * the tags the first one had loaded, a second `recordPurchase` with the first one's balance.
 * Wrapped once when the schema is built (as input-guard.ts does), so nothing else pays for it.
 */
export function freshMutations(schema: GraphQLSchema): GraphQLSchema {
  const mutation = schema.getMutationType();
  for (const field of Object.values(mutation?.getFields() ?? {})) {
    const resolve = field.resolve ?? defaultFieldResolver;
    field.resolve = (source, args, context: GraphQLContext, info) => {
      context.loaders.forget();
      return resolve(source, args, context, info);
    };
  }
  return schema;
}
