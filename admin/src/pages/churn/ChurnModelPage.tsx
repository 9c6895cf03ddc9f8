import { useMemo } from 'react';
import { useQuery } from 'urql';
import { Link } from '../../app/router';
import type { ChurnModelPageQuery as PageData } from '../../gql/graphql';
import { toOperationError } from '../../graphql/errors';
import { useI18n } from '../../i18n';
import { churnMethodLabel } from '../../i18n/enums';
import { Chart, type ChartOption } from '../../ui/Chart';
import { Empty, Page, Section } from '../../ui/Page';
import { ChurnModelPageQuery } from './operations';
import './churn.css';

/** Our score's colour and the naive baseline's (the bars and the table's swatches). */
export const OURS = '#1d4ed8';
export const NAIVE = '#8a94a3';

type Model = NonNullable<PageData['churnModel']>;

/** Whether our score ranks at least as well as the naive one on both measures (null: not comparable). */
export function verdict(m: Pick<Model, 'ks' | 'gini' | 'recencyKs' | 'recencyGini'>): 'better' | 'mixed' | 'worse' | null {
  if (m.ks == null || m.gini == null || m.recencyKs == null || m.recencyGini == null) return null;
  const ks = Math.sign(m.ks - m.recencyKs);
  const gini = Math.sign(m.gini - m.recencyGini);
  if (ks >= 0 && gini >= 0) return ks + gini > 0 ? 'better' : 'mixed';
  if (ks <= 0 && gini <= 0) return 'worse';
  return 'mixed';
}

/**
 * The churn model: which score `churnRisk` holds (BG/NBD's formula or the supervised
 * classifier, whichever the backtest prefers) and its backtest against the naive ranking by
 * days since the last purchase, on the same holdout: K-S and Gini side by side (a bar chart and
 * a table), with what the numbers mean. One request.
 */
export default function ChurnModelPage() {
  const { t, formatNumber, formatDateTime } = useI18n();
  const [result, refetch] = useQuery({ query: ChurnModelPageQuery });
  const data = result.data;
  const model = data?.churnModel ?? null;
  const horizon = data?.program.churnHorizonDays ?? 0;
  const num = (x: number | null | undefined, digits = 3) => (x == null ? '—' : formatNumber(x, { maximumFractionDigits: digits }));
  const option = useMemo<ChartOption | null>(() => {
    if (!model) return null;
    const round = (x: number | null | undefined) => (x == null ? null : Math.round(x * 1000) / 1000);
    return {
      grid: { left: 48, right: 16, top: 40, bottom: 32 },
      legend: { top: 0 },
      tooltip: { trigger: 'axis', valueFormatter: (v) => (typeof v === 'number' ? formatNumber(v, { maximumFractionDigits: 3 }) : '—') },
      xAxis: { type: 'category', data: [t('churn.ks'), t('churn.gini')] },
      yAxis: { type: 'value', min: 0, max: 1 },
      series: [
        { name: t('churn.ours'), type: 'bar', data: [round(model.ks), round(model.gini)], itemStyle: { color: OURS }, barMaxWidth: 56 },
        { name: t('churn.naive'), type: 'bar', data: [round(model.recencyKs), round(model.recencyGini)], itemStyle: { color: NAIVE }, barMaxWidth: 56 },
      ],
    };
  }, [model, t, formatNumber]);
  const methodName = (m: string) => {
    const key = churnMethodLabel(m);
    return key ? t(key) : m;
  };
  const v = model ? verdict(model) : null;
  return (
    <Page
      title={t('churn.title')}
      subtitle={t('churn.subtitle')}
      loading={result.fetching && !data}
      error={toOperationError(result.error)}
      onRetry={() => refetch({ requestPolicy: 'network-only' })}
    >
      {data && !model ? <Empty>{t('churn.none')}</Empty> : null}
      {model ? (
        <>
          <Section title={t('churn.score.title')} id="churn-score">
            <p className="churn-method" data-testid="churn-method">
              {t('churn.score.holds', { method: methodName(model.method) })}
            </p>
            <p className="muted">{t(model.method === 'BG_NBD' ? 'churn.score.whyBgNbd' : model.method === 'RECENCY' ? 'churn.score.whyRecency' : 'churn.score.whySupervised')}</p>
            <dl className="details">
              <div><dt>{t('churn.horizon')}</dt><dd>{t('churn.horizonDays', { days: formatNumber(horizon) })}</dd></div>
              <div><dt>{t('churn.customers')}</dt><dd>{formatNumber(model.customers)}</dd></div>
              <div><dt>{t('churn.asOf')}</dt><dd>{formatDateTime(model.asOf)}</dd></div>
              <div><dt>{t('churn.params')}</dt><dd><code>{`r = ${num(model.r)}, α = ${num(model.alpha)}, a = ${num(model.a)}, b = ${num(model.b)}`}</code></dd></div>
            </dl>
          </Section>
          <Section title={t('churn.backtest.title')} id="churn-backtest">
            <p className="muted">{t('churn.backtest.how', { days: formatNumber(horizon) })}</p>
            {model.ks == null && model.recencyKs == null ? <Empty>{t('churn.backtest.none')}</Empty> : (
              <div className="churn-backtest">
                {option ? <Chart option={option} label={t('churn.backtest.chart')} height={260} testId="chart-churn-backtest" /> : null}
                <div className="table-wrap" role="region" tabIndex={0} aria-label={t('churn.backtest.title')}>
                  <table className="table" data-testid="churn-backtest-table">
                    <caption className="visually-hidden">{t('churn.backtest.title')}</caption>
                    <thead>
                      <tr>
                        <th scope="col">{t('churn.ranking')}</th>
                        <th scope="col" className="num">{t('churn.ks')}</th>
                        <th scope="col" className="num">{t('churn.gini')}</th>
                      </tr>
                    </thead>
                    <tbody>
                      <tr data-testid="churn-ours">
                        <th scope="row"><span className="swatch" style={{ background: OURS }} aria-hidden="true" />{t('churn.oursNamed', { method: methodName(model.method) })}</th>
                        <td className="num">{num(model.ks)}</td>
                        <td className="num">{num(model.gini)}</td>
                      </tr>
                      <tr data-testid="churn-naive">
                        <th scope="row"><span className="swatch" style={{ background: NAIVE }} aria-hidden="true" />{t('churn.naive')}</th>
                        <td className="num">{num(model.recencyKs)}</td>
                        <td className="num">{num(model.recencyGini)}</td>
                      </tr>
                    </tbody>
                  </table>
                </div>
              </div>
            )}
            {v ? <p className={`churn-verdict verdict-${v}`} data-testid="churn-verdict">{t(`churn.verdict.${v}`)}</p> : null}
          </Section>
          <Section title={t('churn.meaning.title')} id="churn-meaning">
            <dl className="churn-meaning">
              <dt>{t('churn.ks')}</dt><dd>{t('churn.meaning.ks')}</dd>
              <dt>{t('churn.gini')}</dt><dd>{t('churn.meaning.gini')}</dd>
              <dt>{t('churn.naive')}</dt><dd>{t('churn.meaning.naive')}</dd>
            </dl>
            <p className="muted">{t('churn.meaning.use')} <Link to="/dashboard">{t('churn.meaning.dashboard')}</Link></p>
          </Section>
        </>
      ) : null}
    </Page>
  );
}
