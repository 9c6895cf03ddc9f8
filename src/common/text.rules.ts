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
