/**
 * A benefit's or campaign's code as the path segment of its page (`/benefits/<segment>`), and
 * back. Codes are letters, digits and `_ . -`, so three would not reach their page as they are:
 * `new` is the create page's segment, and `.` and `..` are dot segments, which the browser folds
 * away (`/admin/benefits/..` is `/admin`; `%2E` too). Those three go as `=new`, `=.` and `=..`
 * (`=` is no code character); every other code as itself, URL-encoded.
 */
const ESCAPED = new Set(['new', '.', '..']);

export const codeSegment = (code: string): string => encodeURIComponent(ESCAPED.has(code) ? `=${code}` : code);

/** The code a page's `:code` parameter (already decoded) names. */
export const codeOfSegment = (segment: string): string => (segment.startsWith('=') ? segment.slice(1) : segment);
