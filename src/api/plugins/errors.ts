import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { ArgumentValidationError } from 'type-graphql';
import { AppError } from '../../common/errors';
import { DATABASE_RETRY_AFTER_SECONDS, DATABASE_UNAVAILABLE_MESSAGE, databaseUnavailable, unavailableDetail } from '../../common/unavailable';

/** Codes raised by GraphQL itself about the request: safe to show as they are. */
const REQUEST_CODES = new Set([
  'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE', 'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED',
  'QUERY_TOO_COMPLEX', 'SERVICE_UNAVAILABLE',
  // A mutation refused before it runs for a field the caller may not read (api/field-roles.ts).
  'FORBIDDEN', 'UNAUTHENTICATED',
]);

function firstViolation(err: ArgumentValidationError): { field: string; message: string } {
  // Nested inputs report their path through `children`.
  let v = err.extensions.validationErrors[0];
  const path: string[] = [];
  while (v) {
    path.push(v.property);
    if (v.constraints) return { field: path.join('.'), message: Object.values(v.constraints)[0] };
    v = v.children?.[0] as typeof v;
  }
  return { field: path.join('.'), message: 'Invalid input' };
}

/**
 * A violation's message naming its field once: class-validator's messages begin with the
 * property ("pointsMultiplier must not be less than 1"), which becomes the field's path; others
 * are prefixed with it ("checkInPoints.0: …" read "checkInPoints: checkInPoints …" before).
 */
export function violationMessage(field: string, message: string): string {
  const leaf = field.split('.').pop()!;
  if (message.startsWith(`${leaf} `)) return `${field}${message.slice(leaf.length)}`;
  // "each value in checkInPoints must …" names a top-level field already.
  if (field === leaf && new RegExp(`\\b${leaf}\\b`).test(message)) return message;
  return `${field}: ${message}`;
}

/**
 * The input a variable that did not coerce names, as the resolvers' own checks name fields:
 * within an input object the field's own name (`i.occurredAt` → `occurredAt`, `i.filter.regions[1]`
 * → `regions`), a required field it lacks or a field it does not have by its name; else the variable's name.
 * GraphQL's words: `Variable "$i" got invalid value … at "i.occurredAt"; …` and `…; Field
 * "amount" of required type "Float!" was not provided.`
 */
export function variableField(message: string): string | undefined {
  const variable = /^Variable "\$(\w+)"/.exec(message)?.[1];
  if (!variable) return undefined;
  const at = / at "([^"]+)";/.exec(message)?.[1]?.replace(/\[\d+\]/g, '').split('.').slice(1) ?? [];
  // From the message's end: an unknown field's name is the client's own text (any characters, the pattern too).
  const missing = /; Field "(\w+)" of required type "[^"]+" was not provided\.?$/.exec(message)?.[1]
    ?? /; Field "([^"]+)" is not defined by type "\w+"\.(?: Did you mean [^;]*\?)?$/.exec(message)?.[1];
  const path = missing ? [...at, missing] : at;
  return path.at(-1) ?? variable;
}

/**
 * The argument a value GraphQL could not take at execution names (getArgumentValues: a null
 * variable where the argument, or an input field written in the document, is `T! = default`):
 * `Argument "withinDays" of non-null type "Int!" must not be null.`, or `Argument "input" has
 * invalid value {code: "X", active: $a}.`, where the one field given a variable is the culprit
 * (with several, the argument). Undefined for any other message.
 */
export function argumentField(message: string): string | undefined {
  const argument = /^Argument "(\w+)" (?:of (?:non-null|required) type|has invalid value)/.exec(message)?.[1];
  if (!argument) return undefined;
  const fromVariables = [...message.matchAll(/(\w+): \$\w+/g)].map((m) => m[1]);
  return fromVariables.length === 1 ? fromVariables[0] : argument;
}

/** GraphQL's message without its "Did you mean …?" (the names of fields, arguments and enum values it was not asked about). */
export function withoutSuggestions(message: string): string {
  return message.replace(/ ?Did you mean(.+?)\?$/, '');
}

export interface ErrorFormatOptions {
  /**
   * Production: no suggestion in GraphQL's own messages, as validation does not give them there.
   * A variable that does not coerce is reported at execution, past validation: its message said
   * `Did you mean the enum value "DELIVERED"?` or `Did you mean "tierCodes"?` to anyone, token or
   * not, while introspection is refused.
   */
  hideSuggestions?: boolean;
}

/**
 * The one place that decides what a client sees of an error: our own codes pass, GraphQL's
 * request errors pass, everything else is logged and masked, with no stack and no SQL.
 */
export function createErrorFormatter(log: Logger, options: ErrorFormatOptions = {}) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const message = options.hideSuggestions ? withoutSuggestions(formatted.message) : formatted.message;
    const base = { message, locations: formatted.locations, path: formatted.path };
    if (original instanceof AppError) {
      return { ...base, message: original.message, extensions: { code: original.code, ...original.details } };
    }
    if (original instanceof ArgumentValidationError) {
      const { field, message } = firstViolation(original);
      return { ...base, message: violationMessage(field, message), extensions: { code: 'BAD_USER_INPUT', field } };
    }
    const code = formatted.extensions?.code;
    // A GraphQLError that is not wrapping some other exception is GraphQL's own word on the request.
    const inner = original instanceof GraphQLError ? original.originalError : undefined;
    const isRequestError = original instanceof GraphQLError && (!inner || inner instanceof GraphQLError);
    if (typeof code === 'string' && REQUEST_CODES.has(code) && isRequestError) {
      const named = formatted.extensions?.field;
      const field = code === 'BAD_USER_INPUT' ? (typeof named === 'string' ? named : variableField(formatted.message)) : undefined;
      return { ...base, extensions: field ? { code, field } : { code } };
    }
    // Raised before execution (no path) by GraphQL itself: a variable that does not coerce.
    // (Over HTTP Apollo has coded it already: above. Over WebSocket graphql-js's own error reaches here: the same field.)
    if (isRequestError && !formatted.path) {
      const field = variableField(formatted.message);
      return { ...base, extensions: field ? { code: 'BAD_USER_INPUT', field } : { code: 'BAD_USER_INPUT' } };
    }
    // Raised during execution by GraphQL itself: an argument's value it could not take (a null variable for `T! = default`).
    const argument = isRequestError ? argumentField(formatted.message) : undefined;
    if (argument) return { ...base, extensions: { code: 'BAD_USER_INPUT', field: argument } };
    if (databaseUnavailable(original)) {
      log.warn({ err: unavailableDetail(original), path: formatted.path }, 'database unavailable');
      return { message: DATABASE_UNAVAILABLE_MESSAGE, path: formatted.path, extensions: { code: 'SERVICE_UNAVAILABLE' } };
    }
    log.error({ err: original, path: formatted.path }, 'unexpected error in GraphQL request');
    return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}

/**
 * An answer that says SERVICE_UNAVAILABLE (the database unavailable, a check refused for
 * lack of room) is a 503 with Retry-After, however many fields resolved: a client's HTTP
 * layer retries it as it retries any 503, instead of reading a 200 as an answer.
 */
export function unavailableStatusPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const errors = response.body.singleResult.errors ?? [];
          if (!errors.some((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE')) return;
          response.http.status = 503;
          if (!response.http.headers.has('retry-after')) response.http.headers.set('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
        },
      };
    },
  };
}
