/**
 * A uuid as text: 8-4-4-4-12 hex digits, lower case (as PostgreSQL writes one). The pattern's
 * source, for the patterns that hold a uuid (a cursor's head, a referral cursor's key).
 */
export const UUID_TEXT = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

const ANY_CASE = new RegExp(`^${UUID_TEXT}$`, 'i');

/** Whether `text` is a uuid, in either case (a UUID in capitals, as iOS writes them, is one). */
export function isUuidText(text: string): boolean {
  return ANY_CASE.test(text);
}
