import type { OperationError } from '../../graphql/errors';
import { FILTER_FIELDS } from '../segments/filter';

/**
 * The rule form's errors: which belong to the filter builder (a SegmentFilterInput field, named
 * by the server's extensions.field: the builder's FILTER_FIELDS) and which to the tag's own
 * fields or the form's alert. Its whole-number conditions are checked in the browser by the
 * builder's filterIntErrors, as on the Segments page.
 */
export function filterErrorsOf(error: OperationError | null): Record<string, string> {
  return Object.fromEntries(Object.entries(error?.fields ?? {}).filter(([f]) => FILTER_FIELDS.has(f)));
}

/** The error without its filter fields (null when there was none): what the form's own fields and alert show. */
export function otherErrorsOf(error: OperationError | null): OperationError | null {
  if (!error) return null;
  return { ...error, fields: Object.fromEntries(Object.entries(error.fields).filter(([f]) => !FILTER_FIELDS.has(f))) };
}
