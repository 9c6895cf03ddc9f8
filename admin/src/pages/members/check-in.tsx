import { graphql } from '../../gql';
import type { MemberCheckInFragment } from '../../gql/graphql';
import { useI18n } from '../../i18n';
import { Section } from '../../ui/Page';

/** What the member page reads for its check-in section (spread into MemberProfile). */
export const MemberCheckInFields = graphql(`
  fragment MemberCheckIn on Member {
    checkInStreak
    checkedInToday
  }
`);

/** The member's daily check-in: the streak going on (consecutive programme-local days; 0 after a missed day) and whether today's is done. */
export function CheckInSection({ member }: { member: MemberCheckInFragment }) {
  const { t, formatNumber } = useI18n();
  return (
    <Section title={t('members.checkIn.title')} id="check-in">
      <dl className="details" data-testid="check-in">
        <div><dt>{t('members.checkIn.streak')}</dt><dd data-testid="check-in-streak">{formatNumber(member.checkInStreak)}</dd></div>
        <div>
          <dt>{t('members.checkIn.today')}</dt>
          <dd data-testid="checked-in-today">{member.checkedInToday ? t('members.checkIn.done') : t('members.checkIn.notYet')}</dd>
        </div>
      </dl>
    </Section>
  );
}
