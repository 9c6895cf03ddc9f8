/**
 * Member data rights (memberDataExport, eraseMember): the pure parts. The export's format, the
 * erasure's reason, and which personal values an erasure looks for in what it keeps.
 */

/** The export document's `format` key: its name and version. A change that removes or renames a key is a new version. */
export const EXPORT_FORMAT = 'loyalty.member-export/1';

export const MAX_ERASURE_REASON = 500;

/** The reason as stored (trimmed); null when it is empty or longer than MAX_ERASURE_REASON. */
export function erasureReason(reason: string): string | null {
  const r = reason.trim();
  return r.length >= 1 && r.length <= MAX_ERASURE_REASON ? r : null;
}

/** What `text_scrub` puts in place of a personal value found inside a text. */
export const ERASED_TEXT = '[erased]';

/**
 * `text` with each of `values` (3 characters or more: a shorter one would match unrelated
 * text) replaced by '[erased]', in the order given: what the SQL function `text_scrub` does to
 * the free-text reasons an erasure keeps, for a text the erasure writes itself (its own reason,
 * kept in its audit entry and its `member.erased` event after the scrub has run).
 */
export function scrubText(text: string, values: readonly string[]): string {
  let t = text;
  for (const v of values) if (v.length >= 3) t = t.split(v).join(ERASED_TEXT);
  return t;
}

/** The member's fields that identify a person wherever they are quoted: looked for, as whole values, in what the erasure keeps. */
export const IDENTIFYING_FIELDS = ['externalId', 'displayName', 'email', 'phone', 'birthday'] as const;

type Identifying = { [K in (typeof IDENTIFYING_FIELDS)[number]]: string | null };

/**
 * The values an erasure scrubs from the audit log, stored webhook payloads and free-text
 * reasons: the member's identifying fields now, and what they held before (`former`, from the
 * audit log), distinct, blanks left out. Categorical fields (gender, region, channel) are not
 * among them: they identify nobody, and as values they would match unrelated text; they are
 * nulled by key where they are fields of the member.
 */
export function personalValues(member: Identifying, former: readonly string[] = []): string[] {
  const values = [...IDENTIFYING_FIELDS.map((f) => member[f]), ...former];
  return [...new Set(values.filter((v): v is string => v != null && v.trim() !== ''))].sort();
}
