import type { CombinedError } from '@urql/core';

/**
 * What a failed operation means for a form: the server's message for each field it names
 * (extensions.field, domain.md "Errors": BAD_USER_INPUT names the offending field), and the
 * rest as one message for the whole form. Field names are the input's own (`amount`,
 * `birthday`); a dotted path (`input.amount`) is reduced to its last part.
 */
export interface OperationError {
  /** The first error's code (extensions.code), or NETWORK when the request did not get through. */
  code: string;
  /** Field name → the server's message about it. */
  fields: Record<string, string>;
  /** Messages that name no field: shown at the top of the form or page. */
  general: string[];
}

interface ErrorLike { message: string; extensions?: Record<string, unknown> }

export function toOperationError(error: CombinedError | null | undefined): OperationError | null {
  if (!error) return null;
  if (error.networkError && !error.graphQLErrors.length) {
    return { code: 'NETWORK', fields: {}, general: [error.networkError.message] };
  }
  return fromGraphQLErrors(error.graphQLErrors);
}

export function fromGraphQLErrors(errors: readonly ErrorLike[]): OperationError | null {
  if (!errors.length) return null;
  const code = errors[0].extensions?.code;
  const result: OperationError = { code: typeof code === 'string' ? code : 'ERROR', fields: {}, general: [] };
  for (const e of errors) {
    const field = e.extensions?.field;
    if (typeof field === 'string' && field) {
      const name = field.split('.').pop()!;
      result.fields[name] = result.fields[name] ? `${result.fields[name]} ${e.message}` : e.message;
    } else {
      result.general.push(e.message);
    }
  }
  return result;
}

/** Whether the server refused the token itself (expired, bad signature): the console signs out. */
export function isUnauthenticated(error: CombinedError): boolean {
  return error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED') || (error.response as Response | undefined)?.status === 401;
}
