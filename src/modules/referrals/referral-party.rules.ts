/**
 * What one side of a referral may see of the other (issue 25, privacy): an id and a masked
 * name, never contact details or balances. Pure: the name and whether it was erased in, the
 * mask out.
 */

/** Han, kana, hangul and their compatibility forms: scripts written without spaces between given and family names. */
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The user-perceived characters of `text` (an emoji or an accented letter is one). */
function graphemes(text: string): string[] {
  return Array.from(segmenter.segment(text), (s) => s.segment);
}

/**
 * A display name as the other side of a referral sees it:
 * - erased, no name or only blanks: null (nothing to show);
 * - several words ("Zhang Wei", "Ada M. Lovelace"): the first word's initial, "***", the last
 *   word's initial ("Z*** W", "A*** L"); the middle words are dropped;
 * - one word written in a CJK script ("张伟", "欧阳娜娜"): its first character and one "*" per
 *   further character ("张*", "欧***"); a one-character name keeps its character and gets one "*";
 *   words that all begin in a CJK script ("王 芳", "欧阳 娜娜") are one such word ("王*", "欧***"):
 *   its two one-character words' initials would be the whole name;
 * - any other single word ("Zhang"): its initial and "***" ("Z***"), so the length is not told.
 */
export function maskDisplayName(name: string | null | undefined, erased: boolean): string | null {
  if (erased || name == null) return null;
  const words = name.trim().split(/\s+/u).filter((w) => w.length > 0);
  if (words.length === 0) return null;
  // A CJK name written with spaces ("王 芳") is one name: two initials would be all of it.
  if (words.length > 1 && words.every((w) => CJK.test(graphemes(w)[0]))) return maskOneWord(words.join(''));
  if (words.length > 1) return `${graphemes(words[0])[0]}*** ${graphemes(words[words.length - 1])[0]}`;
  return maskOneWord(words[0]);
}

function maskOneWord(word: string): string {
  const chars = graphemes(word);
  if (CJK.test(chars[0])) return chars[0] + '*'.repeat(Math.max(1, chars.length - 1));
  return `${chars[0]}***`;
}

/** A party as the API shows it. */
export interface ReferralPartyView { id: string; displayName: string | null }

/** The party for a member row (its id, its name, when it was erased). */
export function referralParty(id: string, name: string | null, erasedAt: Date | null): ReferralPartyView {
  return { id, displayName: maskDisplayName(name, erasedAt != null) };
}
