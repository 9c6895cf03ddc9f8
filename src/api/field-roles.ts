import type { ApolloServerPlugin } from '@apollo/server';
import {
  BREAK, getDirectiveValues, getVariableValues, GraphQLError, GraphQLIncludeDirective, GraphQLSkipDirective, Kind, OperationTypeNode, TypeInfo, visit, visitWithTypeInfo,
  type ASTNode, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type FragmentSpreadNode, type GraphQLSchema,
  type InlineFragmentNode, type OperationDefinitionNode,
} from 'graphql';
import { Authorized, Extensions } from 'type-graphql';
import { ErrorCode } from '../common/errors';
import type { Actor, Role } from '../modules/actor';
import type { GraphQLContext } from './context';

/**
 * A field of a result type that only some roles may read (`Member.referralDepth`,
 * `Benefit.history`, `Tag.rule`, `ImportJob.errors`): authorized when it resolves, as any
 * `@Authorized` field, and marked on the schema's field (`extensions.roles`) so that a mutation
 * asking for it with another role is refused before it runs (mutationFieldRefusal). Asked at
 * resolve time only, the mutation had written by then: the answer was FORBIDDEN alone (a
 * non-null field's null reached the root), and a client that took it for a refusal and
 * retried with a new key wrote twice.
 */
export function FieldFor(...roles: Role[]): MethodDecorator {
  const authorized = Authorized(...roles) as MethodDecorator;
  const marked = Extensions({ roles }) as MethodDecorator;
  return (target, key, descriptor) => {
    authorized(target, key, descriptor);
    marked(target, key, descriptor);
  };
}

/** The roles a schema field's reader must hold, as FieldFor marked it; undefined: any caller the parent admits. */
function rolesOf(extensions: unknown): readonly Role[] | undefined {
  const roles = (extensions as { roles?: unknown } | undefined)?.roles;
  return Array.isArray(roles) && roles.length > 0 ? (roles as Role[]) : undefined;
}

/**
 * Why a mutation may not run for this caller: it asks for a field the caller's role may not
 * read (FORBIDDEN, naming the field), or null. Queries and subscriptions are left to the
 * field's own check (they write nothing: that field alone is null). Walks the operation and
 * the fragments it reaches, each once (linear in the document), leaving out what `@skip` and
 * `@include` leave out by the request's variables.
 */
export function mutationFieldRefusal(
  schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, actor: Actor | null, variables: Record<string, unknown> | null | undefined,
): GraphQLError | null {
  if (operation.operation !== OperationTypeNode.MUTATION) return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const typeInfo = new TypeInfo(schema);
  const queued = new Set<string>();
  const pending: ASTNode[] = [operation];
  let refusal: GraphQLError | null = null;
  // What execution leaves out (`@skip(if: true)`, `@include(if: false)`, by the request's
  // variables as execution coerces them, defaults included) is not asked for. Variables that do
  // not coerce: execution refuses the request with its own error, and nothing runs.
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
  if (coerced.errors) return null;
  const vars = coerced.coerced;
  const excluded = (node: FieldNode | InlineFragmentNode | FragmentSpreadNode) =>
    getDirectiveValues(GraphQLSkipDirective, node, vars)?.if === true || getDirectiveValues(GraphQLIncludeDirective, node, vars)?.if === false;
  const visitor = visitWithTypeInfo(typeInfo, {
    InlineFragment(node) {
      return excluded(node) ? false : undefined;
    },
    Field(node) {
      if (excluded(node)) return false;
      const field = typeInfo.getFieldDef();
      const roles = field && rolesOf(field.extensions);
      if (!roles || (actor && roles.includes(actor.role))) return undefined;
      const parent = typeInfo.getParentType()?.name ?? '?';
      // Coded as the field's own check codes it, and answered 200 as that check's refusal is (not Apollo's 500 for a plugin's error).
      refusal = new GraphQLError(`Requires role ${roles.join(' or ')} to read ${parent}.${field.name}: the mutation was not run`, {
        extensions: { code: actor ? ErrorCode.FORBIDDEN : ErrorCode.UNAUTHENTICATED, http: { status: 200 } },
      });
      return BREAK;
    },
    FragmentSpread(node) {
      if (excluded(node)) return;
      const name = node.name.value;
      const fragment = fragments.get(name);
      if (fragment && !queued.has(name)) {
        queued.add(name);
        pending.push(fragment);
      }
    },
  });
  while (pending.length && !refusal) visit(pending.pop()!, visitor);
  return refusal;
}

/** POST /graphql: mutationFieldRefusal once Apollo has resolved the operation, before it executes. */
export function fieldRolesPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, contextValue, request }) {
          const refusal = operation && mutationFieldRefusal(schema, document, operation, contextValue.actor ?? null, request.variables);
          if (refusal) throw refusal;
        },
      };
    },
  };
}
