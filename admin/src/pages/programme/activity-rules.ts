import type { MessageKey } from '../../i18n';

/**
 * What the Programme page says about an activity rule, kept out of the components (and tested
 * through the page: test/browser/activity-rules.test.ts).
 */
export interface RuleFigures {
  points: number;
  qualifyingPoints: number;
  dailyCap: number | null;
  active: boolean;
  memberMayRecord: boolean;
}

/**
 * The kinds the programme's own settings replaced (README, upgrade notes): the daily check-in
 * (`checkInPoints`) and referrals (`referrerPoints`, `refereePoints`). The upgrade set their
 * rules inactive; the page shows such a rule as replaced, pointing at the section that now
 * gives those points, and offers no edit (and no new rule of such a kind).
 */
export const REPLACED_KINDS: Record<string, { section: string; label: MessageKey }> = {
  CHECK_IN: { section: 'check-in', label: 'programme.checkIn' },
  REFERRAL: { section: 'referrals', label: 'programme.referrals' },
};

/**
 * The settings section that replaced this kind, or null. A stored rule is replaced when its kind is
 * exactly CHECK_IN or REFERRAL (what the upgrade switched off; `check_in` is another kind to the
 * server); a new kind typed in another case (`anyCase`) is the same word to an operator.
 */
export function replacedBy(kind: string, anyCase = false): { section: string; label: MessageKey } | null {
  const key = anyCase ? kind.trim().toUpperCase() : kind;
  return Object.hasOwn(REPLACED_KINDS, key) ? REPLACED_KINDS[key] : null;
}

/**
 * Whether a member's app can give its member this rule's points (or qualifying points) as often as it
 * likes: the rule is on, members' apps may record it, and nothing caps what each activity earns. A
 * rule with points and no daily cap gives its points every time ('points'); a rule worth 0 points
 * has nothing to cap (decisions.md "Activities"), so each activity earns its qualifying points
 * whatever the cap ('qualifying'). Null when the rule is bounded (or earns nothing).
 */
export function earnedAtWill(r: RuleFigures): 'points' | 'qualifying' | null {
  if (!r.active || !r.memberMayRecord) return null;
  if (r.points > 0 && r.dailyCap == null) return 'points';
  if (r.points === 0 && r.qualifyingPoints > 0) return 'qualifying';
  return null;
}
