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

/** The member's fields that identify a person wherever they are quoted: looked for, as whole values, in what the erasure keeps. */
export const IDENTIFYING_FIELDS = ['externalId', 'displayName', 'email', 'phone', 'birthday'] as const;

type Identifying = { [K in (typeof IDENTIFYING_FIELDS)[number]]: string | null };

/**
 * The values an erasure scrubs from the audit log, stored webhook payloads and free-text
 * reasons: the member's identifying fields now, and what they held before (`former`, from the
 * audit log), and each word of a name of several ("Marta" of "Marta Kowalska": an operator's
 * "Marta called"), distinct, blanks left out. The SQL function `text_scrub` finds them in a
 * text whatever their case, as whole words, of 3 characters or more (2 beyond ASCII), a phone
 * in any grouping of its digits (migration scrub_by_shape). Categorical fields (gender, region,
 * channel) are not among them: they identify nobody, and as values they would match unrelated
 * text; they are nulled by key where they are fields of the member.
 */
export function personalValues(member: Identifying, former: readonly { key: string; value: string }[] = []): string[] {
  const formerNames = former.filter((f) => f.key === 'displayName').map((f) => f.value);
  const names = [member.displayName, ...formerNames].flatMap((n) => (n ? n.trim().split(/\s+/) : []));
  const values = [...IDENTIFYING_FIELDS.map((f) => member[f]), ...former.map((f) => f.value), ...(names.length > 1 ? names : [])];
  return [...new Set(values.filter((v): v is string => v != null && v.trim() !== ''))].sort();
}
