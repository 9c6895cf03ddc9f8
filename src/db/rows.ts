/** The raw driver returns timestamps as text; rows leave a repository with real Dates. */
export function withDates<T>(row: T, keys: (keyof T)[]): T {
  for (const k of keys) {
    const v = row[k] as unknown;
    if (v != null && !(v instanceof Date)) (row as Record<keyof T, unknown>)[k] = new Date(v as string);
  }
  return row;
}
