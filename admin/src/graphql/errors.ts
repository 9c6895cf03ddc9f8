import type { CombinedError } from '@urql/core';
import { translateNow, type MessageKey } from '../i18n';

/**
 * What a failed operation means for a form: the server's message for each field it names
 * (extensions.field, domain.md "Errors": BAD_USER_INPUT names the offending field), and the
 * rest as one message for the whole form. Field names are the input's own (`amount`,
 * `birthday`); a dotted path (`input.amount`) is reduced to its last part. Each message is the
 * console's sentence for the error's code, in the operator's language, with the server's own
 * words (English) after it as detail: "服务器不接受此输入值。（validTo must be after validFrom）".
 */
export interface OperationError {
  /**
   * The first error's code (extensions.code); NETWORK when no answer came (for a write: it may
   * have been made, UnansweredWrite, as after a gateway's 502 or 504); SERVICE_UNAVAILABLE for a
   * 503 (and a read's 502 or 504) without a GraphQL answer.
   */
  code: string;
  /** Field name → the message about it. */
  fields: Record<string, string>;
  /** Messages that name no field: shown at the top of the form or page. */
  general: string[];
}

interface ErrorLike { message: string; extensions?: Record<string, unknown> }

/** The codes the server answers with (domain.md "Errors", src/common/errors.ts, and the API's own), each with its sentence. */
const CODE_SENTENCE: Record<string, MessageKey> = {
  UNAUTHENTICATED: 'error.UNAUTHENTICATED', FORBIDDEN: 'error.FORBIDDEN', NOT_FOUND: 'error.NOT_FOUND',
  BAD_USER_INPUT: 'error.BAD_USER_INPUT', CONFLICT: 'error.CONFLICT', INSUFFICIENT_POINTS: 'error.INSUFFICIENT_POINTS',
  OUT_OF_STOCK: 'error.OUT_OF_STOCK', LIMIT_REACHED: 'error.LIMIT_REACHED', NOT_ELIGIBLE: 'error.NOT_ELIGIBLE',
  COUPON_NOT_USABLE: 'error.COUPON_NOT_USABLE', QUERY_TOO_COMPLEX: 'error.QUERY_TOO_COMPLEX',
  SERVICE_UNAVAILABLE: 'error.SERVICE_UNAVAILABLE', INTERNAL_SERVER_ERROR: 'error.INTERNAL_SERVER_ERROR', NETWORK: 'error.NETWORK',
};

/** The console's sentence for `code` (any other code: the server refused), then the server's words. */
export function refusalText(code: string | undefined, detail: string): string {
  const sentence = translateNow((code && CODE_SENTENCE[code]) || 'error.OTHER');
  return detail ? translateNow('error.withDetail', { sentence, detail }) : sentence;
}

/**
 * A write (mutation) sent without an answer coming back: the connection failed, perhaps after
 * the server wrote it. Told as such (never as "could not be reached"), and the page's queries
 * are read again (client.ts).
 */
export class UnansweredWrite extends Error {
  constructor(cause: Error) {
    super(cause.message);
    this.name = 'UnansweredWrite';
  }
}

/**
 * A gateway's 502 or 504 without a GraphQL answer can hide a write that landed (the server went
 * on, or its connection reset after the commit), as a cut connection can: a write answered so is
 * an UnansweredWrite (client.ts). A 503 is a refusal.
 */
export const ANSWER_MAY_BE_LOST: ReadonlySet<number> = new Set([502, 504]);

/** HTTP answers without a GraphQL body that say the server is briefly away (a proxy's, or a restart's): it was reached. */
export const UNAVAILABLE_STATUS: ReadonlySet<number> = new Set([502, 503, 504]);

export function toOperationError(error: CombinedError | null | undefined): OperationError | null {
  if (!error) return null;
  if (error.networkError && !error.graphQLErrors.length) {
    const status = (error.response as Response | undefined)?.status;
    const code = status !== undefined && UNAVAILABLE_STATUS.has(status) ? 'SERVICE_UNAVAILABLE' : 'NETWORK';
    const detail = error.networkError.message;
    if (!(error.networkError instanceof UnansweredWrite)) return { code, fields: {}, general: [refusalText(code, detail)] };
    const sentence = translateNow('error.NETWORK_WRITE');
    return { code, fields: {}, general: [detail ? translateNow('error.withDetail', { sentence, detail }) : sentence] };
  }
  return fromGraphQLErrors(error.graphQLErrors);
}

export function fromGraphQLErrors(errors: readonly ErrorLike[]): OperationError | null {
  if (!errors.length) return null;
  const codeOf = (e: ErrorLike) => (typeof e.extensions?.code === 'string' ? e.extensions.code : undefined);
  const result: OperationError = { code: codeOf(errors[0]) ?? 'ERROR', fields: {}, general: [] };
  for (const e of errors) {
    const text = refusalText(codeOf(e), e.message);
    const field = e.extensions?.field;
    if (typeof field === 'string' && field) {
      const name = field.split('.').pop()!;
      result.fields[name] = result.fields[name] ? `${result.fields[name]} ${text}` : text;
    } else {
      result.general.push(text);
    }
  }
  return result;
}

/** Whether the server refused the token itself (expired, bad signature): the console signs out. */
export function isUnauthenticated(error: CombinedError): boolean {
  return error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED') || (error.response as Response | undefined)?.status === 401;
}
