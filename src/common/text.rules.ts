/**
 * A character that shows: not white space, not a control, not a default-ignorable code point
 * (zero-width space and joiners, soft hyphen, the Hangul fillers, the byte-order mark, variation
 * selectors) and not the braille blank. A name without one is listed as nothing.
 */
export const VISIBLE_CHARACTER = /[^\s\p{Cc}\p{Default_Ignorable_Code_Point}\u2800]/u;

/** Whether `value` has a character that shows (VISIBLE_CHARACTER): a name needs one. */
export const hasVisibleText = (value: string): boolean => VISIBLE_CHARACTER.test(value);

/** Half of a UTF-16 surrogate pair on its own: JSON can carry it (\ud800), UTF-8 cannot. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * What keeps PostgreSQL's text from storing `value` as it is, or null: a NUL (text refuses
 * \u0000; dropped, `vic\0tim` would be `victim`, another member's key) or a lone surrogate (text
 * stores it as U+FFFD, so two different keys can become one; jsonb refuses it). The API refuses
 * both in every string it takes (src/api/input-guard.ts), the imports in every value of a line.
 */
export function textFault(value: string): 'NUL' | 'LONE_SURROGATE' | null {
  if (value.includes('\u0000')) return 'NUL';
  return LONE_SURROGATE.test(value) ? 'LONE_SURROGATE' : null;
}
