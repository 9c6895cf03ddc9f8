import type { OperationError } from '../../graphql/errors';
import { DATE_FIELDS, filterIntErrors, NUMBER_FIELDS, type Draft } from '../segments/filter';

/**
 * The rule form's errors: which belong to the filter builder (a SegmentFilterInput field, named
 * by the server's extensions.field) and which to the tag's own fields or the form's alert; and the
 * integer fields checked in the browser (GraphQL's coercion refuses a fraction in an Int without
 * naming the field).
 */
const FILTER_FIELDS: ReadonlySet<string> = new Set<string>([
  ...NUMBER_FIELDS, ...DATE_FIELDS, 'tierCodes', 'tagsAll', 'tagsAny', 'tagsNone', 'stages', 'rfmSegments', 'genders', 'regions', 'channels', 'birthdayMonths',
]);
export const intErrors = (d: Draft, message: string): Record<string, string> => filterIntErrors(d, message);

export function filterErrorsOf(error: OperationError | null): Record<string, string> {
  return Object.fromEntries(Object.entries(error?.fields ?? {}).filter(([f]) => FILTER_FIELDS.has(f)));
}

/** The error without its filter fields (null when there was none): what the form's own fields and alert show. */
export function otherErrorsOf(error: OperationError | null): OperationError | null {
  if (!error) return null;
  return { ...error, fields: Object.fromEntries(Object.entries(error.fields).filter(([f]) => !FILTER_FIELDS.has(f))) };
}
