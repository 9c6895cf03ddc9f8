import { useQuery } from 'urql';
import { graphql } from '../../gql';
import type { MemberReferralsFragment, ReferralRowFragment } from '../../gql/graphql';
import { Link } from '../../app/router';
import { toOperationError } from '../../graphql/errors';
import { useI18n } from '../../i18n';
import { REFERRAL_STATUS_LABEL } from '../../i18n/enums';
import { reasonText } from '../../i18n/reasons';
import { Empty, ErrorState, Section } from '../../ui/Page';
import { ConnectionPager, useCursorPager } from '../../ui/Pager';

/** What the member profile (MemberProfile) asks about the member's referrals: one spread, no request of its own. */
export const MemberReferralsFragmentDoc = graphql(`
  fragment MemberReferrals on Member {
    referralCode
    referredBy {
      id
      displayName
    }
    referrals(first: 10) {
      ...ReferralPage
    }
  }
`);

/** A page of the member's referrals: the first (in MemberReferrals) and the later ones ask the same. */
export const ReferralPageFragmentDoc = graphql(`
  fragment ReferralPage on ReferralConnection {
      totalCount
      edges {
        node {
          ...ReferralRow
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
  }
`);

export const ReferralRowFragmentDoc = graphql(`
  fragment ReferralRow on Referral {
    id
    status
    reason
    createdAt
    completedAt
    referee {
      id
      displayName
    }
  }
`);

/** The referrals' later pages. */
export const MemberReferralsPageQuery = graphql(`
  query MemberReferralsPage($id: ID!, $first: Int!, $after: String) {
    member(id: $id) {
      id
      referrals(first: $first, after: $after) {
        ...ReferralPage
      }
    }
  }
`);

const PAGE_SIZE = 10;

/**
 * The member's referral code, its referrer and the members it referred, each shown as the
 * other side sees it (masked name: issue 25's privacy), paged; a referred member's page is a
 * link away.
 */
export function MemberReferrals({ member }: { member: MemberReferralsFragment & { id: string } }) {
  const { t, formatDate, formatNumber } = useI18n();
  const pager = useCursorPager();
  const [later] = useQuery({ query: MemberReferralsPageQuery, variables: { id: member.id, first: PAGE_SIZE, after: pager.after }, pause: pager.after === null });
  const connection = pager.after === null ? member.referrals : later.data?.member?.referrals;
  const rows: ReferralRowFragment[] = connection?.edges.map((e) => e.node) ?? [];
  const party = (p: { id: string; displayName?: string | null }) => (
    <Link to={`/members/${p.id}`}>{p.displayName ?? t('members.referrals.noName')}</Link>
  );
  return (
    <Section title={t('members.referrals.title')} id="referrals">
      <dl className="details" data-testid="referral-summary">
        <div><dt>{t('members.referrals.code')}</dt><dd><code data-testid="referral-code">{member.referralCode}</code></dd></div>
        <div><dt>{t('members.referrals.referredBy')}</dt><dd data-testid="referred-by">{member.referredBy ? party(member.referredBy) : '—'}</dd></div>
        <div><dt>{t('members.referrals.count')}</dt><dd>{formatNumber(member.referrals.totalCount)}</dd></div>
      </dl>
      {later.error ? <ErrorState error={toOperationError(later.error)!} /> : null}
      {connection && !rows.length ? <Empty>{t('members.referrals.none')}</Empty> : null}
      {rows.length ? (
        <div className="table-wrap" role="region" tabIndex={0} aria-label={t('members.referrals.title')} aria-busy={later.fetching}>
          <table className="table" data-testid="referrals">
            <caption className="visually-hidden">{t('members.referrals.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('members.referrals.referee')}</th>
                <th scope="col">{t('members.referrals.status')}</th>
                <th scope="col">{t('members.referrals.createdAt')}</th>
                <th scope="col">{t('members.referrals.completedAt')}</th>
                <th scope="col">{t('members.referrals.reason')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id}>
                  <td>{party(r.referee)}</td>
                  <td><span className={`badge referral-${r.status}`}>{t(REFERRAL_STATUS_LABEL[r.status])}</span></td>
                  <td>{formatDate(r.createdAt)}</td>
                  <td>{formatDate(r.completedAt)}</td>
                  <td>{r.reason != null ? reasonText(r.reason, t) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <ConnectionPager label={t('members.referrals.title')} pager={pager} connection={connection} summary={connection && t('members.referrals.total', { count: formatNumber(connection.totalCount) })} busy={later.fetching} />
    </Section>
  );
}
