import { useQuery } from 'urql';
import { Link, navigate } from '../../app/router';
import { toOperationError } from '../../graphql/errors';
import { useI18n } from '../../i18n';
import { CAMPAIGN_STATUS_LABEL, CAMPAIGN_TRIGGER_LABEL } from '../../i18n/enums';
import { Empty, Page } from '../../ui/Page';
import { formatDay, formatLastDay } from './form';
import { CampaignsQuery } from './operations';
import './campaigns.css';
import { codeSegment } from '../../app/code-path';

/**
 * Campaigns: every campaign (the API's list is not paged: a programme has tens, not
 * thousands), newest window first, with its trigger, status, window, points given against its
 * budget and the share held out as the control group. One request.
 */
export default function CampaignsPage() {
  const { t, formatNumber, language } = useI18n();
  const [result, refetch] = useQuery({ query: CampaignsQuery });
  const zone = result.data?.program.timeZone ?? 'UTC';
  const formatDate = (iso: string | null | undefined) => formatDay(language, iso, zone);
  const campaigns = [...(result.data?.campaigns ?? [])].sort((a, b) => b.startsAt.localeCompare(a.startsAt) || a.code.localeCompare(b.code));
  return (
    <Page
      title={t('campaigns.title')}
      subtitle={t('campaigns.subtitle')}
      toolbar={<button type="button" className="primary" onClick={() => navigate('/campaigns/new')}>{t('campaigns.new')}</button>}
      loading={result.fetching && !result.data}
      error={toOperationError(result.error)}
      onRetry={() => refetch({ requestPolicy: 'network-only' })}
    >
      {result.data && campaigns.length === 0 ? <Empty>{t('campaigns.none')}</Empty> : null}
      {campaigns.length ? (
        <div className="table-wrap" role="region" tabIndex={0} aria-label={t('campaigns.title')}>
          <table className="table" data-testid="campaigns">
            <caption className="visually-hidden">{t('campaigns.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('campaigns.field.code')}</th>
                <th scope="col">{t('campaigns.field.name')}</th>
                <th scope="col">{t('campaigns.field.trigger')}</th>
                <th scope="col">{t('campaigns.field.status')}</th>
                <th scope="col">{t('campaigns.window')}</th>
                <th scope="col" className="num">{t('campaigns.pointsGiven')}</th>
                <th scope="col" className="num">{t('campaigns.budgetUsed')}</th>
                <th scope="col" className="num">{t('campaigns.field.controlPercent')}</th>
              </tr>
            </thead>
            <tbody>
              {campaigns.map((c) => (
                <tr key={c.id} data-code={c.code}>
                  <td><Link to={`/campaigns/${codeSegment(c.code)}`}>{c.code}</Link></td>
                  <td>{c.name}</td>
                  <td>{t(CAMPAIGN_TRIGGER_LABEL[c.trigger])}</td>
                  <td><span className={`badge campaign-${c.status}`}>{t(CAMPAIGN_STATUS_LABEL[c.status])}</span></td>
                  <td>{c.endsAt ? t('campaigns.windowRange', { from: formatDate(c.startsAt), to: formatLastDay(language, c.endsAt, zone) }) : t('campaigns.windowOpen', { from: formatDate(c.startsAt) })}</td>
                  <td className="num">{formatNumber(c.pointsGiven)}</td>
                  <td className="num">
                    {c.budgetPoints == null
                      ? t('campaigns.noBudget')
                      : t('campaigns.budgetOfTotal', { spent: formatNumber(c.budgetSpent), budget: formatNumber(c.budgetPoints) })}
                  </td>
                  <td className="num">{formatNumber(c.controlPercent / 100, { style: 'percent' })}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </Page>
  );
}
