/**
 * A character that shows (as the server's names need one: src/common/text.rules.ts): a display
 * name of zero-width or filler characters alone would make an invisible link.
 */
const VISIBLE = /[^\s\p{Cc}\p{Default_Ignorable_Code_Point}\u2800]/u;

/** What a list links a member by: its display name when it shows, else its externalId, else its id. */
export function memberLabel(m: { id: string; displayName?: string | null; externalId?: string | null }): string {
  if (m.displayName && VISIBLE.test(m.displayName)) return m.displayName;
  if (m.externalId && VISIBLE.test(m.externalId)) return m.externalId;
  return m.id;
}
