import {
  defaultFieldResolver, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLScalarType, type GraphQLArgument, type GraphQLFieldResolver, type GraphQLInputType, type GraphQLSchema,
} from 'graphql';
import { assertInstant } from '../common/clock';
import { badInput } from '../common/errors';
import { MAX_AMOUNT } from '../common/money';
import { bigintArg } from '../common/pagination';
import { textFault } from '../common/text.rules';
import { isUuid } from '../modules/members/members.service';

/**
 * Checks one coerced input value by its GraphQL type, as a class: every ID the API takes is a
 * UUID (the id columns are uuid: any other text is an SQL error); no string holds a NUL
 * (PostgreSQL refuses \u0000 in text) or a lone surrogate (text would store it as U+FFFD, and
 * jsonb, the audit log's and the filters' column, refuses it); every DateTime lies between 1970 and 9999; every Float
 * is at most MAX_AMOUNT in size (no number the API takes is larger; narrower bounds are the
 * fields' own validators). A violation is BAD_USER_INPUT naming the field. Returns the value as
 * the resolvers get it (in place for lists and input objects): a UUID in lower case, as the API
 * writes ids and compares them (a member's own id in capitals is still its own).
 */
function checkValue(type: GraphQLInputType, value: unknown, field: string, rowId = false): unknown {
  if (value == null) return value;
  if (type instanceof GraphQLNonNull) return checkValue(type.ofType, value, field, rowId);
  if (type instanceof GraphQLList) {
    const items = value as unknown[];
    for (let i = 0; i < items.length; i++) items[i] = checkValue(type.ofType, items[i], field, rowId);
    return items;
  }
  if (type instanceof GraphQLInputObjectType) {
    const fields = type.getFields();
    const object = value as Record<string, unknown>;
    for (const [name, v] of Object.entries(object)) {
      if (fields[name]) object[name] = checkValue(fields[name].type, v, name);
    }
    return object;
  }
  const scalar = type instanceof GraphQLScalarType ? type.name : null;
  if (typeof value === 'string') {
    const fault = textFault(value);
    if (fault === 'NUL') throw badInput(field, `${field} must not contain a NUL character`);
    if (fault) throw badInput(field, `${field} must be well-formed Unicode (it holds half of a UTF-16 surrogate pair)`);
    if (scalar === 'ID' && rowId) bigintArg(field, value);
    else if (scalar === 'ID') {
      if (!isUuid(value)) throw badInput(field, `${field} must be a UUID`);
      return value.toLowerCase(); // a UUID in capitals is the same id: compared as the API writes it
    }
  } else if (value instanceof Date) {
    assertInstant(value, field);
  } else if (scalar === 'Float' && Math.abs(value as number) > MAX_AMOUNT) {
    // Said without a range: "between -10^12 and 10^12" read as if a negative multiplier or face
    // value were allowed; the field's own rule (> 0, at most 100…) is checked after this one.
    throw badInput(field, `${field} is too large: no number the API takes is beyond ${MAX_AMOUNT} either way`);
  }
  return value;
}

/**
 * The ID arguments that name a row of a bigint-keyed table (a tier change), not a uuid entity:
 * checked as whole numbers up to 2^63 − 1 instead.
 */
const ROW_ID_ARGS = new Set(['Query.tierChanges.after', 'Mutation.redeliverWebhook.deliveryId']);

/**
 * A field of an input object is named by its own name, as the class validators and the services'
 * checks name it (`minSpend` in a segment's filter, a campaign's audience or a tag's rule, not
 * `filter.minSpend`): one name per field whichever check refuses it, the one the console's forms
 * place a message under.
 */
function checkArgs(coordinate: string, defs: readonly GraphQLArgument[], args: Record<string, unknown>): void {
  for (const arg of defs) {
    if (!(arg.name in args)) continue;
    const named = arg.type instanceof GraphQLNonNull ? arg.type.ofType : arg.type;
    args[arg.name] = checkValue(arg.type, args[arg.name], named instanceof GraphQLInputObjectType ? '' : arg.name, ROW_ID_ARGS.has(`${coordinate}.${arg.name}`));
  }
}

/**
 * Throws the refusal a caller gets from a field's role check (UNAUTHENTICATED, FORBIDDEN), when
 * it would get one; returns when the caller may call it. `coordinate`: Type.field.
 */
export type FieldRefusal = (coordinate: string, context: unknown) => void;

function guarded<S, C>(coordinate: string, defs: readonly GraphQLArgument[], resolve: GraphQLFieldResolver<S, C>, refuse: FieldRefusal): GraphQLFieldResolver<S, C> {
  return (source, args, context, info) => {
    try {
      checkArgs(coordinate, defs, args as Record<string, unknown>);
    } catch (err) {
      // A caller the field refuses is told that, not how its arguments are checked: the role
      // check (which the resolver runs first) answers before the arguments' class.
      refuse(coordinate, context);
      throw err;
    }
    return resolve(source, args, context, info);
  };
}

/**
 * Puts checkValue in front of every field that takes arguments, once, when the schema is
 * built: the resolvers and services behind them never see a value of the wrong class, and
 * a field added later is covered without anyone remembering to. Fields without arguments
 * are left as they are (no cost on the hot paths that list members). A value refused is
 * answered after `refuse` (the field's role check), so that a caller without the role hears
 * UNAUTHENTICATED or FORBIDDEN whatever its arguments (an outside audit: an anonymous
 * `eraseMember(memberId: "x")` got BAD_USER_INPUT).
 */
export function guardInputs(schema: GraphQLSchema, refuse: FieldRefusal): GraphQLSchema {
  const subscription = schema.getSubscriptionType();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!(type instanceof GraphQLObjectType) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (!field.args.length) continue;
      const coordinate = `${type.name}.${field.name}`;
      if (type === subscription && field.subscribe) field.subscribe = guarded(coordinate, field.args, field.subscribe, refuse);
      else field.resolve = guarded(coordinate, field.args, field.resolve ?? defaultFieldResolver, refuse);
    }
  }
  return schema;
}
