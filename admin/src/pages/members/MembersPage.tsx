import { useEffect, useState } from 'react';
import { useQuery } from 'urql';
import { Link, navigate, useSearchParams } from '../../app/router';
import type { MemberRowFragment } from '../../gql/graphql';
import { toOperationError } from '../../graphql/errors';
import { useI18n } from '../../i18n';
import { STAGE_LABEL } from '../../i18n/enums';
import { Empty, Page } from '../../ui/Page';
import { ConnectionPager, useAddressCursorPager } from '../../ui/Pager';
import { MemberListQuery, MemberSearchQuery } from './operations';
import { memberLabel } from './label';

const PAGE_SIZE = 20;

/**
 * Members: every member, paged, or those a search finds. One box for every kind of look-up:
 * searchMembers takes a member id, an external id, an email, a phone or a name prefix. The
 * search text and the page are in the URL (?q=…&pages=…, useAddressCursorPager), so a search or a
 * later page can be linked, and Back from a member's profile returns to the page it was opened from.
 */
export default function MembersPage() {
  const { t, formatNumber } = useI18n();
  const params = useSearchParams();
  const query = params.get('q')?.trim() ?? '';
  const [text, setText] = useState(query);
  const pager = useAddressCursorPager('/members', params);
  useEffect(() => {
    setText(query);
  }, [query]);

  const [list] = useQuery({ query: MemberListQuery, variables: { first: PAGE_SIZE, after: pager.after }, pause: query !== '' });
  const [search, refetchSearch] = useQuery({ query: MemberSearchQuery, variables: { query, first: PAGE_SIZE, after: pager.after }, pause: query === '' });
  const result = query ? search : list;
  const connection = query ? search.data?.searchMembers : list.data?.members;
  const error = toOperationError(result.error);
  // A cursor in the address the server cannot read (edited by hand, or from another list): the first page instead.
  const badCursor = Boolean(error?.fields.after);
  useEffect(() => {
    if (badCursor) navigate(query ? `/members?q=${encodeURIComponent(query)}` : '/members', { replace: true });
  }, [badCursor, query]);
  const rows: MemberRowFragment[] = connection?.edges.map((e) => e.node) ?? [];

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const q = text.trim();
    if (q === query) refetchSearch({ requestPolicy: 'network-only' });
    navigate(q ? `/members?q=${encodeURIComponent(q)}` : '/members');
  };

  return (
    <Page
      title={t('members.title')}
      subtitle={query ? t('members.searchResultsFor', { query }) : t('members.allMembers')}
      toolbar={
        <form className="search-form" role="search" onSubmit={submit} aria-label={t('members.searchForm')}>
          <label htmlFor="member-search" className="visually-hidden">{t('members.search')}</label>
          <input
            id="member-search"
            type="search"
            value={text}
            onChange={(e) => setText(e.target.value)}
            placeholder={t('members.searchPlaceholder')}
            aria-describedby="member-search-hint"
            data-testid="member-search"
          />
          <button type="submit" className="primary">{t('members.searchButton')}</button>
          <p id="member-search-hint" className="visually-hidden">{t('members.searchHint')}</p>
        </form>
      }
      loading={result.fetching && !connection}
      error={error}
      onRetry={() => (query ? refetchSearch({ requestPolicy: 'network-only' }) : undefined)}
    >
      {connection && rows.length === 0 ? <Empty>{query ? t('members.noMatch', { query }) : t('members.none')}</Empty> : null}
      {rows.length ? (
        <div className="table-wrap" aria-busy={result.fetching}>
          <table className="table" aria-label={t('members.title')}>
            <thead>
              <tr>
                <th scope="col">{t('members.col.name')}</th>
                <th scope="col">{t('members.col.externalId')}</th>
                <th scope="col">{t('members.col.email')}</th>
                <th scope="col">{t('members.col.phone')}</th>
                <th scope="col">{t('members.col.tier')}</th>
                <th scope="col" className="num">{t('members.col.balance')}</th>
                <th scope="col">{t('members.col.stage')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((m) => (
                <tr key={m.id}>
                  <td><Link to={`/members/${m.id}`}>{memberLabel(m)}</Link></td>
                  <td>{m.externalId ?? '—'}</td>
                  <td>{m.email ?? '—'}</td>
                  <td>{m.phone ?? '—'}</td>
                  <td>{m.tier.name}</td>
                  <td className="num">{formatNumber(m.pointsBalance)}</td>
                  <td><span className={`badge stage-${m.lifecycleStage}`}>{t(STAGE_LABEL[m.lifecycleStage])}</span></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <ConnectionPager label={t('members.title')} pager={pager} connection={connection} summary={connection && t('members.total', { count: formatNumber(connection.totalCount) })} busy={result.fetching} />
    </Page>
  );
}
