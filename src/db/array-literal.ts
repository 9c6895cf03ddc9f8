// Array literals bound as one parameter. No imports: the churn worker thread uses them too,
// without loading the ORM.

/**
 * A PostgreSQL array literal of ids or numbers, bound as one parameter (`= any(?::uuid[])`,
 * `unnest(?::int[])`): a JS array would expand into one parameter per element. Only for
 * values that need no quoting; String(number) round-trips a float8 exactly.
 */
export function pgArray(values: readonly (string | number)[]): string {
  return `{${values.join(',')}}`;
}

/**
 * A PostgreSQL text[] literal of arbitrary strings (codes and tags as clients sent them):
 * every element quoted, with backslash and double quote escaped, so that a comma does not
 * split an element, a quote does not break the literal and "NULL" stays a string.
 */
export function pgTextArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}
