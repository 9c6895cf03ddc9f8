import type { MessageKey } from '../../i18n';

/** Where a rule with an on/off switch and a validity window stands now. Benefits and rewards have both. */
export type ScheduleStatus = 'inactive' | 'scheduled' | 'ended' | 'live';

export function scheduleStatus(rule: { active: boolean; validFrom?: string | null; validTo?: string | null }, now = Date.now()): ScheduleStatus {
  if (!rule.active) return 'inactive';
  if (rule.validFrom && new Date(rule.validFrom).getTime() > now) return 'scheduled';
  if (rule.validTo && new Date(rule.validTo).getTime() <= now) return 'ended';
  return 'live';
}

export const SCHEDULE_LABEL: Record<ScheduleStatus, MessageKey> = {
  inactive: 'schedule.inactive', scheduled: 'schedule.scheduled', ended: 'schedule.ended', live: 'schedule.live',
};

/** The badge's colour class (styles.css): live green, scheduled blue, ended and inactive red. */
export const SCHEDULE_CLASS: Record<ScheduleStatus, string> = {
  inactive: 'status-CANCELLED', scheduled: 'status-USED', ended: 'status-EXPIRED', live: 'status-ISSUED',
};
