import type { ApolloServerPlugin } from '@apollo/server';
import {
  getNamedType, getOperationAST, getVariableValues, GraphQLError, isInterfaceType, isObjectType, Kind, OperationTypeNode, parse, SchemaMetaFieldDef,
  SingleFieldSubscriptionsRule, specifiedRules, TypeMetaFieldDef, validate, valueFromAST, ValuesOfCorrectTypeRule, visitInParallel, ProvidedRequiredArgumentsRule,
  type ASTVisitor, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type GraphQLField, type GraphQLNamedType,
  type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode, type ValidationRule,
} from 'graphql';
import { MAX_PAGE_SIZE } from '../../common/pagination';

/**
 * What one request may ask for. Tokens are counted by the parser; depth, aliases, directives
 * and repeated names by one walk of the parsed document that visits each fragment once; all
 * of them are refused before graphql-js's validation rules run (OverlappingFieldsCanBeMerged
 * is quadratic in repeated fields). Cost needs the operation's variables and runs last.
 */
export interface QueryLimits {
  /** Characters of the document: a string, block string or comment is one token or none. */
  maxLength: number;
  maxTokens: number;
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxCost: number;
}

/**
 * Leaf fields of one response name in one selection set (inline fragments included; a field
 * with selections: once). Validation compares every pair of them, and nothing a client needs
 * repeats a name more than a few times: fixed bounds, not settings.
 */
export const MAX_SAME_NAME = 5;

/**
 * Validation stops at this many errors. graphql-js computes "Did you mean" suggestions for
 * each unknown field it reports: at its default of 100 that was 20 ms for one 20 kB request.
 */
export const MAX_VALIDATION_ERRORS = 10;

export interface OperationRequest {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

export const tooComplex = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'QUERY_TOO_COMPLEX', http: { status: 400 } } });

const parseFailed = (message: string, at?: GraphQLError) =>
  new GraphQLError(message, { source: at?.source, positions: at?.positions, extensions: { code: 'GRAPHQL_PARSE_FAILED', http: { status: 400 } } });

/** What Apollo answers over HTTP for a validation error. */
function validationFailed(error: GraphQLError): GraphQLError {
  // A value written in the document that its input does not take, or an argument left out (toldAsInput), is the client's input mistake.
  const field = error.extensions.code === 'BAD_USER_INPUT' ? error.extensions.field : undefined;
  const extensions = field === undefined ? { code: 'GRAPHQL_VALIDATION_FAILED' } : { code: 'BAD_USER_INPUT', field };
  return new GraphQLError(error.message, { nodes: error.nodes, extensions: { ...extensions, http: { status: 400 } } });
}

/**
 * Parses with graphql-js's own token cap (the parser stops at the first token over it),
 * after the length cap (lexing a 75 kB block string took 30 ms). A syntax error stays
 * GraphQL's; the caps and a nesting too deep for the parser's stack are limits, told as such.
 */
export function parseLimited(source: string, limits: Pick<QueryLimits, 'maxTokens' | 'maxLength'>): DocumentNode {
  if (source.length > limits.maxLength) throw tooComplex(`The document is longer than ${limits.maxLength} characters`);
  try {
    return parse(source, { maxTokens: limits.maxTokens });
  } catch (err) {
    if (err instanceof GraphQLError && /contains more that \d+ tokens/.test(err.message)) {
      throw tooComplex(`The document has more than ${limits.maxTokens} tokens`);
    }
    if (err instanceof GraphQLError) throw parseFailed(err.message, err);
    if (err instanceof RangeError) throw tooComplex('The document is nested too deeply');
    throw err;
  }
}

/** `repeats`: somewhere in it a field with selections is written more than once in one selection set. */
interface Shape { depth: number; fields: number; aliases: number; directives: number; schemas: number; exports: number; repeats: boolean }
const EMPTY: Shape = { depth: 0, fields: 0, aliases: 0, directives: 0, schemas: 0, exports: 0, repeats: false };
/**
 * A member's whole data export as one string: ~20 MB for a long history, and ~110 MB of the
 * server's memory per copy while it is built and sent. Once per operation (aliases could ask
 * for it 30 times: 10 copies of a 20 MB document raised the server to 1.1 GB); the streamed
 * GET /exports/members/<id>.json is the way to a large one.
 */
export const ONCE_PER_OPERATION = 'memberDataExport';
const INTROSPECTION = new Set(['__schema', '__type']);

/**
 * What one selection set holds so far, through its inline fragments (`composite`: fields with
 * selections written there, counted, and whether any of them repeats a field below it) and its
 * fragment spreads (`spread`: fields with selections that named fragments bring, counted;
 * `fragments`: the names spread there, each counted once, as validation compares it once).
 */
interface Written { count: number; repeatsBelow: boolean }
interface Names { leaves: Map<string, number>; composite: Map<string, Written>; spread: Map<string, number>; fragments: Set<string> }
const noNames = (): Names => ({ leaves: new Map(), composite: new Map(), spread: new Map(), fragments: new Set() });

/**
 * The measures of a document's selections, each fragment walked once however often it is
 * spread: linear in the document, but for a spread's fields with selections, which are added to
 * the set it lands in (spreadNames: at most a few ms for a 1,000-token document). Needs no
 * schema: it runs before validation.
 */
class ShapeWalk {
  private readonly fragments = new Map<string, FragmentDefinitionNode>();
  // null while a fragment is being walked: a cycle counts nothing here (validation refuses it).
  private readonly memo = new Map<string, Shape | null>();
  /** Each fragment's names at its own level (through its inline fragments and spreads), as a selection set it is spread in gets them. */
  private readonly tops = new Map<string, Names>();
  /** The first repeated name met, if any. */
  refused: GraphQLError | undefined;

  constructor(document: DocumentNode) {
    for (const def of document.definitions) {
      if (def.kind === Kind.FRAGMENT_DEFINITION && !this.fragments.has(def.name.value)) this.fragments.set(def.name.value, def);
    }
  }

  spread(name: string): Shape {
    if (this.memo.has(name)) return this.memo.get(name) ?? EMPTY;
    const fragment = this.fragments.get(name);
    if (!fragment) return EMPTY;
    this.memo.set(name, null);
    const names = noNames();
    const shape = { ...EMPTY };
    this.walkInto(fragment.selectionSet, names, shape);
    shape.directives += fragment.directives?.length ?? 0;
    this.memo.set(name, shape);
    this.tops.set(name, names);
    return shape;
  }

  walk(set: SelectionSetNode): Shape {
    const shape = { ...EMPTY };
    this.walkInto(set, noNames(), shape);
    return shape;
  }

  /**
   * A named fragment's fields land in the selection set it is spread in, where validation
   * compares them with every other field of their name there. A field with selections may come
   * from fragments at most MAX_SAME_NAME times (two colocated fragments may each ask for
   * `me { … }`; 50 fragments asking for `program { … }` made validation's comparison of their
   * subfields grow with the square of the document). Leaves are not counted across fragments:
   * comparing two leaves costs next to nothing, and clients add `__typename` to every fragment.
   * The cost is, per spread, the fragment's fields with selections at its own level.
   */
  private spreadNames(names: Names, fragment: string): GraphQLError | undefined {
    const top = this.tops.get(fragment);
    if (!top || names.fragments.has(fragment)) return undefined;
    names.fragments.add(fragment);
    for (const name of new Set([...top.composite.keys(), ...top.spread.keys()])) {
      const count = (names.spread.get(name) ?? 0) + (top.composite.get(name)?.count ?? 0) + (top.spread.get(name) ?? 0);
      names.spread.set(name, count);
      if (count + (names.composite.get(name)?.count ?? 0) > MAX_SAME_NAME) {
        return tooComplex(`"${name}" appears more than ${MAX_SAME_NAME} times in one selection set through its fragments`);
      }
    }
    return undefined;
  }

  private walkInto(set: SelectionSetNode, names: Names, into: Shape): void {
    for (const sel of set.selections) {
      into.directives += sel.directives?.length ?? 0;
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        // A level of its own: validation collects nested inline fragments again at each level.
        const inner = { ...EMPTY };
        this.walkInto(sel.selectionSet, names, inner);
        add(into, inner, 1 + inner.depth);
      } else if (sel.kind === Kind.FRAGMENT_SPREAD) {
        add(into, this.spread(sel.name.value));
        this.refused ??= this.spreadNames(names, sel.name.value);
      } else {
        const name = sel.alias?.value ?? sel.name.value;
        into.fields++;
        if (sel.alias) into.aliases++;
        if (sel.name.value === '__schema') into.schemas++;
        if (sel.name.value === ONCE_PER_OPERATION) into.exports++;
        const child = sel.selectionSet ? this.walk(sel.selectionSet) : EMPTY;
        if (sel.selectionSet) {
          const written = writtenAgain(names.composite, name, child.repeats);
          if (written.count > 1) into.repeats = true;
          this.refused ??= repeatedWithin(name, written) ?? spreadAndOwn(names, name);
        } else {
          this.refused ??= leafMore(names.leaves, name);
        }
        // Introspection nests as deep as the IDE's query (15); graphql-js's
        // MaxIntrospectionDepthRule bounds what it can fan out to.
        add(into, child, INTROSPECTION.has(sel.name.value) ? 1 : 1 + child.depth);
      }
    }
  }
}

function add(into: Shape, s: Shape, depth = s.depth): void {
  into.depth = Math.max(into.depth, depth);
  into.fields += s.fields;
  into.aliases += s.aliases;
  into.directives += s.directives;
  into.schemas += s.schemas;
  into.exports += s.exports;
  into.repeats ||= s.repeats;
}

/**
 * Checks every operation and fragment: depth (nested fields and inline fragments; a named
 * fragment counts where it is spread), fields once fragments are spread, aliases,
 * directives, and what makes graphql-js's OverlappingFieldsCanBeMerged slow: it compares
 * every pair of fields with one response name in a selection set, and below two such fields
 * with selections every pair again, so two same-named fields nested a few levels deep cost
 * 0.1-0.2 s in a 500-token document (docs/decisions.md).
 */
export function checkShape(document: DocumentNode, limits: Omit<QueryLimits, 'maxTokens' | 'maxLength'>): GraphQLError | undefined {
  const walk = new ShapeWalk(document);
  for (const def of document.definitions) {
    if (def.kind === Kind.OPERATION_DEFINITION) {
      const shape = walk.walk(def.selectionSet);
      shape.directives += (def.directives?.length ?? 0) + (def.variableDefinitions ?? []).reduce((n, v) => n + (v.directives?.length ?? 0), 0);
      // Depth is an operation's: a fragment's counts where it is spread.
      const deep = shape.depth > limits.maxDepth ? tooComplex(`Query depth ${shape.depth} exceeds the maximum of ${limits.maxDepth}`) : undefined;
      const error = walk.refused ?? deep ?? overLimits(shape, limits);
      if (error) return error;
    } else if (def.kind === Kind.FRAGMENT_DEFINITION) {
      const error = walk.refused ?? overLimits(walk.spread(def.name.value), limits);
      if (error) return error;
    }
  }
  return undefined;
}

function overLimits(shape: Shape, limits: Omit<QueryLimits, 'maxTokens' | 'maxLength'>): GraphQLError | undefined {
  // Every field costs at least 1 (operationCost), so this refuses nothing the cost would allow.
  if (shape.fields > limits.maxCost) return tooComplex(`${fmt(shape.fields)} fields once fragments are spread: the query cost exceeds the maximum of ${limits.maxCost}`);
  if (shape.aliases > limits.maxAliases) return tooComplex(`${fmt(shape.aliases)} aliases exceed the maximum of ${limits.maxAliases}`);
  if (shape.directives > limits.maxDirectives) return tooComplex(`${fmt(shape.directives)} directives exceed the maximum of ${limits.maxDirectives}`);
  if (shape.schemas > 1) return tooComplex('__schema appears more than once');
  if (shape.exports > 1) return tooComplex(`${ONCE_PER_OPERATION} appears more than once: one export per request (GET /exports/members/<id>.json streams a large one)`);
  return undefined;
}

/** One more field with selections named `name` written in a set (directly or through its inline fragments). */
function writtenAgain(seen: Map<string, Written>, name: string, repeatsBelow: boolean): Written {
  const written = seen.get(name) ?? { count: 0, repeatsBelow: false };
  written.count++;
  written.repeatsBelow ||= repeatsBelow;
  seen.set(name, written);
  return written;
}

/**
 * A field with selections written several times in one selection set (`tier { code }` and
 * `... @include(if: $full) { tier { name } }`: GraphQL merges them) is allowed up to
 * MAX_SAME_NAME times, when nothing below it is written twice too: validation compares every
 * pair of the copies and, below them, every pair of their same-named fields again, so copies
 * within copies grow with the product of their numbers (two at each of 7 levels: 0.1–0.2 s).
 */
function repeatedWithin(name: string, written: Written): GraphQLError | undefined {
  if (written.count > MAX_SAME_NAME) return tooComplex(`"${name}" appears more than ${MAX_SAME_NAME} times in one selection set`);
  if (written.count > 1 && written.repeatsBelow) {
    return tooComplex(`"${name}" appears more than once in one selection set and repeats a field below it: ask for it once, with all its fields`);
  }
  return undefined;
}

/** A field with selections written in a set where fragments already brought the name: both count. */
function spreadAndOwn(names: Names, name: string): GraphQLError | undefined {
  const fromFragments = names.spread.get(name) ?? 0;
  return fromFragments + 1 > MAX_SAME_NAME ? tooComplex(`"${name}" appears more than ${MAX_SAME_NAME} times in one selection set through its fragments`) : undefined;
}

function leafMore(seen: Map<string, number>, name: string): GraphQLError | undefined {
  const n = (seen.get(name) ?? 0) + 1;
  seen.set(name, n);
  return n > MAX_SAME_NAME ? tooComplex(`"${name}" appears more than ${MAX_SAME_NAME} times in one selection set`) : undefined;
}

const fmt = (n: number) => (n < 1e6 ? String(n) : 'More than a million');

/**
 * What executing the operation may cost: a field 1 plus its selections, a list with `first`
 * its page size (the argument, its variable or its default) times what each item costs.
 * Fragments are costed once per operation and reused at every spread, so a document that
 * spreads fragments into each other costs linear time to price (and prices as what it is).
 */
export function operationCost(
  schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const memo = new Map<string, number>();

  const fieldDef = (parent: GraphQLNamedType, node: FieldNode): GraphQLField<unknown, unknown> | undefined => {
    if (node.name.value === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
    if (node.name.value === TypeMetaFieldDef.name) return TypeMetaFieldDef;
    return isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[node.name.value] : undefined;
  };
  const pageSize = (def: GraphQLField<unknown, unknown>, node: FieldNode): number | undefined => {
    const arg = def.args.find((a) => a.name === 'first');
    if (!arg) return undefined;
    const given = node.arguments?.find((a) => a.name.value === 'first');
    const value = given ? valueFromAST(given.value, arg.type, variables) : undefined;
    const first = typeof value === 'number' ? value : typeof arg.defaultValue === 'number' ? arg.defaultValue : MAX_PAGE_SIZE;
    // No list serves more than MAX_PAGE_SIZE: a larger `first` is its field's BAD_USER_INPUT
    // (pageSize), refused before anything is read, so it costs what the largest page would.
    return Math.min(Math.max(first, 1), MAX_PAGE_SIZE);
  };
  const setCost = (parent: GraphQLNamedType | undefined, set: SelectionSetNode): number => {
    let cost = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FRAGMENT_SPREAD) {
        cost += spreadCost(sel.name.value);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        cost += setCost(sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : parent, sel.selectionSet);
      } else {
        const def = parent && fieldDef(parent, sel);
        const child = sel.selectionSet ? setCost(def && getNamedType(def.type), sel.selectionSet) : 0;
        const page = def && pageSize(def, sel);
        cost += page === undefined ? 1 + child : 1 + page * Math.max(child, 1);
      }
    }
    return cost;
  };
  const spreadCost = (name: string): number => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    const fragment = fragments.get(name);
    if (!fragment) return 0;
    memo.set(name, 0); // a cycle costs nothing more here: validation has refused it already
    const cost = setCost(schema.getType(fragment.typeCondition.name.value), fragment.selectionSet);
    memo.set(name, cost);
    return cost;
  };
  const root = operation.operation === OperationTypeNode.QUERY ? schema.getQueryType()
    : operation.operation === OperationTypeNode.MUTATION ? schema.getMutationType() : schema.getSubscriptionType();
  return setCost(root ?? undefined, operation.selectionSet);
}

/**
 * The operation's variables as execution will see them, or nothing when they do not coerce
 * (execution then answers BAD_USER_INPUT without running anything).
 */
function coercedVariables(schema: GraphQLSchema, operation: OperationDefinitionNode, inputs: Record<string, unknown> | null | undefined) {
  const result = getVariableValues(schema, operation.variableDefinitions ?? [], inputs ?? {}, { maxErrors: 1 });
  return 'coerced' in result ? result.coerced : undefined;
}

/** Refuses an operation whose cost is over the limit; nothing when it is within, or not executable. */
export function checkCost(
  schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode | null | undefined,
  inputs: Record<string, unknown> | null | undefined, limits: Pick<QueryLimits, 'maxCost'>,
): GraphQLError | undefined {
  if (!operation) return undefined;
  const variables = coercedVariables(schema, operation, inputs);
  if (!variables) return undefined;
  const cost = operationCost(schema, document, operation, variables);
  return cost > limits.maxCost ? tooComplex(`Query cost ${fmt(cost)} exceeds the maximum of ${limits.maxCost}`) : undefined;
}

/** graphql-js's "Did you mean …?" names fields and types the caller did not ask about. */
export function hideSuggestions(error: GraphQLError): GraphQLError {
  error.message = error.message.replace(/ ?Did you mean(.+?)\?$/, '');
  return error;
}

export interface CheckOptions {
  /** Extra validation rules (NoIntrospection in production). */
  rules?: readonly ValidationRule[];
  hideSuggestions?: boolean;
}

/**
 * graphql-js 16's one-root-field rule for subscriptions collects the root fields with no
 * variables, so `@include(if: $v)` or `@skip(if: $v)` there throws from validate() instead of
 * reporting an error. The spec (and graphql-js 17) refuses @skip and @include on a
 * subscription's root selections: they are refused here as a validation error, and the
 * graphql-js rule runs on every other subscription.
 */
export function SubscriptionRootRule(context: Parameters<ValidationRule>[0]): ASTVisitor {
  const single = SingleFieldSubscriptionsRule(context) as { OperationDefinition?: (node: OperationDefinitionNode) => void };
  return {
    OperationDefinition(node: OperationDefinitionNode) {
      if (node.operation !== OperationTypeNode.SUBSCRIPTION) return;
      if (rootSkipsOrIncludes(node.selectionSet, context, new Set())) {
        context.reportError(new GraphQLError('A subscription\'s root field must not use @skip or @include', { nodes: node }));
        return;
      }
      single.OperationDefinition?.(node);
    },
  };
}

/** Whether a root selection set (through its fragments, each read once) carries @skip or @include. */
function rootSkipsOrIncludes(set: SelectionSetNode, context: Parameters<ValidationRule>[0], seen: Set<string>): boolean {
  for (const node of set.selections) {
    if (node.directives?.some((d) => d.name.value === 'skip' || d.name.value === 'include')) return true;
    if (node.kind === Kind.INLINE_FRAGMENT && rootSkipsOrIncludes(node.selectionSet, context, seen)) return true;
    if (node.kind === Kind.FRAGMENT_SPREAD && !seen.has(node.name.value)) {
      seen.add(node.name.value);
      const fragment = context.getFragment(node.name.value);
      if (fragment && rootSkipsOrIncludes(fragment.selectionSet, context, seen)) return true;
    }
  }
  return false;
}

/**
 * graphql-js's checks of the values written in the document (ValuesOfCorrectTypeRule) and of
 * the arguments it must give (ProvidedRequiredArgumentsRule), each refusal told as the input
 * mistake it is: BAD_USER_INPUT naming the input field or argument the value was written for (a
 * field the input lacks, or does not have, or an argument left out, by its own name), as a
 * variable that does not coerce or is not sent is told (domain.md, "Errors"). `amount: "1"`
 * written in the document and `{"amount": "1"}` sent as a variable are the same mistake; the
 * first was GRAPHQL_VALIDATION_FAILED with no field.
 */
function toldAsInput(rule: ValidationRule): ValidationRule {
  return (context) => {
    // The argument, input field or variable being read, innermost last: pushed before the rule sees the node.
    const names: string[] = [];
    const push = (node: { name?: { value: string }; variable?: { name: { value: string } } }) => { names.push(node.name?.value ?? node.variable?.name.value ?? ''); };
    const pop = () => { names.pop(); };
    const told = Object.create(context) as typeof context;
    told.reportError = (error: GraphQLError) => {
      const named = /^Field "\w+\.(\w+)" of required type .* was not provided\.$/.exec(error.message)?.[1]
        ?? / argument "(\w+)" of type .* is required, but it was not provided\.$/.exec(error.message)?.[1];
      const field = named ?? names.at(-1);
      context.reportError(field ? new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: 'BAD_USER_INPUT', field } }) : error);
    };
    return visitInParallel([
      { Argument: { enter: push, leave: pop }, ObjectField: { enter: push, leave: pop }, VariableDefinition: { enter: push, leave: pop } },
      rule(told),
    ]);
  };
}

export const InputValuesRule = toldAsInput(ValuesOfCorrectTypeRule);
export const RequiredArgumentsRule = toldAsInput(ProvidedRequiredArgumentsRule);

const RULES: readonly ValidationRule[] = specifiedRules.map((rule) => {
  if (rule === SingleFieldSubscriptionsRule) return SubscriptionRootRule;
  if (rule === ProvidedRequiredArgumentsRule) return RequiredArgumentsRule;
  return rule === ValuesOfCorrectTypeRule ? InputValuesRule : rule;
});

/**
 * Subscriptions are served over WebSocket (graphql-ws) at /graphql; one posted over HTTP is
 * BAD_REQUEST (400), whoever sends it, before anything resolves.
 */
export function subscriptionsOverWebSocketPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation !== OperationTypeNode.SUBSCRIPTION) return;
          throw new GraphQLError('Subscriptions are served over WebSocket (graphql-ws, graphql-transport-ws) at /graphql, not over HTTP', {
            extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
          });
        },
      };
    },
  };
}

/**
 * Everything a document is checked for before it may run, in order of cost: tokens while
 * parsing, its shape, graphql-js's validation. Never throws: a refused document comes back
 * as its errors, formatted as Apollo answers them.
 */
export function checkDocument(
  schema: GraphQLSchema, source: string, limits: QueryLimits, options: CheckOptions = {},
): { document: DocumentNode } | { errors: readonly GraphQLError[] } {
  let document: DocumentNode;
  try {
    document = parseLimited(source, limits);
  } catch (err) {
    return { errors: [err instanceof GraphQLError ? err : parseFailed('The document could not be parsed')] };
  }
  const shape = checkShape(document, limits);
  if (shape) return { errors: [shape] };
  const errors = validate(schema, document, [...RULES, ...(options.rules ?? [])], { maxErrors: MAX_VALIDATION_ERRORS })
    .map(validationFailed);
  if (errors.length) return { errors: options.hideSuggestions ? errors.map(hideSuggestions) : errors };
  return { document };
}

/** A checked document's operation within the cost limit, with its variables; subscriptions are not priced. */
export function checkOperationCost(
  schema: GraphQLSchema, document: DocumentNode, request: Omit<OperationRequest, 'query'>, limits: QueryLimits,
): GraphQLError | undefined {
  const operation = getOperationAST(document, request.operationName ?? undefined);
  return operation?.operation === OperationTypeNode.SUBSCRIPTION ? undefined : checkCost(schema, document, operation, request.variables, limits);
}

/** Refuses an over-budget query after parsing and validation, before any resolver runs. */
export function costLimitPlugin(limits: QueryLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema, operation }) {
          if (operation?.operation === OperationTypeNode.SUBSCRIPTION) return;
          const error = checkCost(schema, document, operation, request.variables, limits);
          if (error) throw error;
        },
      };
    },
  };
}
