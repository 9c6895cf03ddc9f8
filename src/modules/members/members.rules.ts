import { createHash } from 'node:crypto';
import { badInput } from '../../common/errors';
import { isUuidText } from '../../common/uuid.rules';
import type { Role } from '../actor';

/** Longest search text: an email address's limit (RFC 5321), the longest thing staff look up. */
export const MAX_SEARCH_LENGTH = 320;

/**
 * What one search text is looked up as. Exact: the member id (when it is a uuid), the
 * externalId, the email (case-insensitive; only a text with "@" can be one) and the phone (by
 * its key, SQL's member_phone_key; only a text with a digit has one). Otherwise a display-name
 * prefix, case-insensitive, with the user's LIKE wildcards taken literally.
 */
export interface SearchTerms {
  text: string;
  id: string | null;
  email: boolean;
  phone: boolean;
  /** A LIKE pattern (escape character `\`), to be case-folded by SQL as the indexed names are (member_search_fold). */
  namePrefix: string;
}


export function searchTerms(query: string): SearchTerms {
  const text = query.trim();
  if (text === '') throw badInput('query', 'query must not be empty');
  if (text.length > MAX_SEARCH_LENGTH) throw badInput('query', `query must be at most ${MAX_SEARCH_LENGTH} characters`);
  return {
    text,
    id: isUuidText(text) ? text.toLowerCase() : null,
    email: text.includes('@'),
    phone: /\d/.test(text),
    namePrefix: `${escapeLike(text)}%`,
  };
}

/** `text` matched literally by LIKE (escape character `\`, PostgreSQL's default): % and _ are no wildcards. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The profile fields of free text: read as an import reads a file's fields (trimmed; blank is none). */
export const TRIMMED_PROFILE_FIELDS = ['displayName', 'phone', 'gender', 'region', 'channel'] as const;

/**
 * `input` with each TRIMMED_PROFILE_FIELDS value it holds trimmed, and blank made null; an absent
 * field stays absent (a patch's "unchanged"). "North " and "North" are one region, as an
 * import of either would store it.
 */
export function trimmedProfile<T extends Partial<Record<(typeof TRIMMED_PROFILE_FIELDS)[number], string | null | undefined>>>(input: T): T {
  const out: T = { ...input };
  for (const f of TRIMMED_PROFILE_FIELDS) {
    const v = input[f];
    if (typeof v === 'string') out[f] = v.trim() || null;
  }
  return out;
}

/** The profile a member, a service or an admin may change with updateMember. */
export const PATCHABLE = ['displayName', 'email', 'phone', 'birthday', 'gender', 'region'] as const;
export type PatchableField = (typeof PATCHABLE)[number];
export type Profile = Record<PatchableField, string | null>;
/** An absent (undefined) field is unchanged; null clears it. */
export type ProfilePatch = Partial<Record<PatchableField, string | null | undefined>>;

/** The fields of `patch` that change `current`, with their new values; a patch that changes nothing gives {}. */
export function profileChanges(current: Profile, patch: ProfilePatch): Partial<Profile> {
  const changes: Partial<Profile> = {};
  for (const f of PATCHABLE) {
    const next = patch[f];
    if (next !== undefined && next !== current[f]) changes[f] = next;
  }
  return changes;
}

/**
 * Whether `role` may change a birthday that is `current` now: a member sets its own once (while
 * none is stored), services and admins change it at any time. Callers ask only for a real
 * change, so a member's retry that sends the birthday it has just set is no change and passes.
 */
export function mayChangeBirthday(role: Role, current: string | null): boolean {
  return role !== 'member' || current === null;
}

/** A real calendar date in YYYY-MM-DD (rejects 2025-02-30). */
export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/**
 * A birthday someone alive can have: a calendar date from 1900-01-01 to today (a day's slack
 * for time zones ahead of UTC). Year 0000 is valid to JavaScript but not to PostgreSQL.
 */
export function isBirthday(value: string, now: Date): boolean {
  const latest = new Date(now.getTime() + 86_400_000).toISOString().slice(0, 10);
  return isCalendarDate(value) && value >= '1900-01-01' && value <= latest;
}

/** The profile fields a registration gives (its key, externalId, among them), in the order its digest reads them. */
export const REGISTRATION_FIELDS = ['externalId', 'displayName', 'email', 'phone', 'birthday', 'gender', 'region', 'channel'] as const;

export type RegistrationProfile = { readonly [F in (typeof REGISTRATION_FIELDS)[number]]?: string | null };

/**
 * What a registration asked for, as the member row keeps it (`registration_digest`): sha256 of
 * its profile fields as given (absent = null). A retried registerMember is the same registration
 * when its digest is this one, whatever the profile became since (an updateMember, an import):
 * the first result, not a CONFLICT. A digest, not the values: nothing personal is kept twice.
 */
export function registrationDigest(input: RegistrationProfile): string {
  return createHash('sha256').update(JSON.stringify(REGISTRATION_FIELDS.map((f) => input[f] ?? null))).digest('hex');
}
