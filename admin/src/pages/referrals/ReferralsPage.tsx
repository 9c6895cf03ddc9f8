import { useMemo } from 'react';
import { useQuery } from 'urql';
import type { ReferralFiguresFragment } from '../../gql/graphql';
import { toOperationError } from '../../graphql/errors';
import { useI18n, type MessageKey } from '../../i18n';
import { Chart } from '../../ui/Chart';
import { ErrorState, Page, Section } from '../../ui/Page';
import { referralOption } from './chart';
import { ReferralMonthsQuery, ReferralTotalsQuery } from './operations';
import './referrals.css';

type Figure = Exclude<keyof ReferralFiguresFragment, '__typename'>;
const FIGURES: Figure[] = ['registered', 'completed', 'rejected', 'reversed', 'pointsGiven', 'referrers', 'referralsPerReferrer'];
const FIGURE_LABEL: Record<Figure, MessageKey> = {
  registered: 'referrals.registered', completed: 'referrals.completed', rejected: 'referrals.rejected', reversed: 'referrals.reversed',
  pointsGiven: 'referrals.pointsGiven', referrers: 'referrals.referrers', referralsPerReferrer: 'referrals.perReferrer',
};

/**
 * Referral statistics over time (issue 25): the last twelve programme-local months (one request,
 * ReferralMonths), a chart and a table of them, and the totals over the span (ReferralTotals,
 * the second: distinct referrers do not add up month by month).
 */
export default function ReferralsPage() {
  const { t, language, formatNumber } = useI18n();
  const [months, refetch] = useQuery({ query: ReferralMonthsQuery });
  const data = months.data?.referralStatsByMonth;
  const rows = useMemo(() => data ?? [], [data]);
  const span = rows.length ? { from: rows[0].from, to: rows[rows.length - 1].to } : null;
  const [totals, refetchTotals] = useQuery({ query: ReferralTotalsQuery, variables: span ?? { from: '', to: '' }, pause: !span });
  const timeZone = months.data?.program.timeZone ?? 'UTC';
  const labels = useMemo(() => {
    const format = new Intl.DateTimeFormat(language, { year: 'numeric', month: 'short', timeZone });
    return rows.map((r) => format.format(new Date(r.from)));
  }, [rows, language, timeZone]);
  const option = useMemo(() => referralOption(labels, rows.map((r) => r.stats), {
    registered: t('referrals.registered'), completed: t('referrals.completed'), rejected: t('referrals.rejected'),
    reversed: t('referrals.reversed'), pointsGiven: t('referrals.pointsGiven'),
  }), [labels, rows, t]);
  const show = (f: Figure, r: ReferralFiguresFragment) => {
    const v = r[f];
    return v == null ? '—' : formatNumber(v, f === 'referralsPerReferrer' ? { maximumFractionDigits: 2 } : undefined);
  };
  const total = totals.data?.referralStats;
  return (
    <Page title={t('referrals.title')} subtitle={t('referrals.subtitle', { zone: timeZone })} loading={months.fetching && !months.data}
      error={toOperationError(months.error)} onRetry={() => refetch({ requestPolicy: 'network-only' })}>
      {months.data ? (
        <>
          <Section title={t('referrals.totals')} id="totals">
            {totals.error ? <ErrorState error={toOperationError(totals.error)!} onRetry={() => refetchTotals({ requestPolicy: 'network-only' })} /> : null}
            <div className="cards referral-cards" data-testid="referral-totals">
              {FIGURES.map((f) => (
                <div className="card" key={f}>
                  <h3 className="card-label">{t(FIGURE_LABEL[f])}</h3>
                  <p className="card-value" data-testid={`total-${f}`}>{total ? show(f, total) : totals.error ? '—' : '…'}</p>
                </div>
              ))}
            </div>
          </Section>
          <Section title={t('referrals.byMonth')} id="by-month">
            <Chart option={option} label={t('referrals.chart')} testId="referral-chart" />
            <div className="table-wrap" role="region" tabIndex={0} aria-label={t('referrals.byMonth')}>
              <table className="table" data-testid="referral-months">
                <caption className="visually-hidden">{t('referrals.byMonth')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('referrals.month')}</th>
                    {FIGURES.map((f) => <th scope="col" className="num" key={f}>{t(FIGURE_LABEL[f])}</th>)}
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r, i) => (
                    <tr key={r.from}>
                      <th scope="row">{labels[i]}</th>
                      {FIGURES.map((f) => <td className="num" key={f}>{show(f, r.stats)}</td>)}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <p className="muted">{t('referrals.definitions')}</p>
          </Section>
        </>
      ) : null}
    </Page>
  );
}
