import { useMemo } from 'react';
import { useQuery } from 'urql';
import type { CampaignArmFieldsFragment, CampaignReportQuery as ReportData } from '../../gql/graphql';
import { toOperationError } from '../../graphql/errors';
import { useI18n } from '../../i18n';
import { Chart, type ChartOption } from '../../ui/Chart';
import { ErrorState, Loading, Section } from '../../ui/Page';
import { formatDay, formatLastDay } from './form';
import { CampaignReportQuery } from './operations';

/** The interval's colour, the estimate's and the zero line's. */
export const INTERVAL = '#1d4ed8';
export const ESTIMATE = '#b54708';
export const ZERO = '#4d5868';

type Report = ReportData['campaignReport'];

/** What the ARPU interval says, in words: no estimate, includes zero, above or below it. */
export function upliftReading(r: Pick<Report, 'upliftArpu' | 'upliftArpuLow' | 'upliftArpuHigh'>): 'none' | 'includesZero' | 'positive' | 'negative' {
  if (r.upliftArpu == null || r.upliftArpuLow == null || r.upliftArpuHigh == null) return 'none';
  if (r.upliftArpuLow > 0) return 'positive';
  if (r.upliftArpuHigh < 0) return 'negative';
  return 'includesZero';
}

/**
 * The ARPU uplift as a point with its 95% interval as a horizontal error bar, and a dashed
 * line at zero (an interval that crosses it is no evidence of an effect). Line series on two
 * value axes; the vertical axis only places the marks.
 */
export function intervalOption(r: Report, labels: { uplift: string; interval: string; zero: string; axis: string }, money: (x: number) => string): ChartOption {
  const low = r.upliftArpuLow!;
  const high = r.upliftArpuHigh!;
  const span = Math.max(high - low, Math.abs(low), Math.abs(high), 1e-9);
  const min = Math.min(0, low) - span * 0.15;
  const max = Math.max(0, high) + span * 0.15;
  return {
    grid: { left: 24, right: 24, top: 36, bottom: 48, containLabel: true },
    legend: { top: 0, data: [labels.uplift, labels.interval, labels.zero] },
    tooltip: { trigger: 'item', valueFormatter: (v) => (Array.isArray(v) && typeof v[0] === 'number' ? money(v[0]) : '') },
    xAxis: { type: 'value', min, max, name: labels.axis, nameLocation: 'middle', nameGap: 30, axisLabel: { showMinLabel: false, showMaxLabel: false, formatter: (v: number) => money(v) } },
    yAxis: { type: 'value', min: -1, max: 1, show: false },
    series: [
      { name: labels.zero, type: 'line', data: [[0, -1], [0, 1]], symbol: 'none', silent: true, lineStyle: { color: ZERO, type: 'dashed', width: 2 }, itemStyle: { color: ZERO } },
      { name: labels.interval, type: 'line', data: [[low, 0], [high, 0]], symbol: 'rect', symbolSize: [4, 28], lineStyle: { color: INTERVAL, width: 4 }, itemStyle: { color: INTERVAL } },
      { name: labels.uplift, type: 'line', data: [[r.upliftArpu!, 0]], symbol: 'circle', symbolSize: 16, itemStyle: { color: ESTIMATE }, z: 5 },
    ],
  };
}

/**
 * The campaign's report (campaignReport, one request): both arms side by side, the ARPU
 * uplift with its 95% interval drawn (Welch's t on per-member spend, the server's), the
 * purchase-rate uplift, incremental GMV, cost and ROI, with honest words when the interval
 * includes zero or an arm is too small for an estimate.
 */
export function CampaignReportSection({ code }: { code: string }) {
  const { t, formatNumber, language } = useI18n();
  const [result, refetch] = useQuery({ query: CampaignReportQuery, variables: { code } });
  const report = result.data?.campaignReport;
  const zone = result.data?.program.timeZone ?? 'UTC';
  const money = (x: number | null | undefined) => (x == null ? '—' : formatNumber(x, { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
  const percent = (x: number | null | undefined, digits = 1) => (x == null ? '—' : formatNumber(x, { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits }));
  const points = (x: number | null | undefined) => (x == null ? '—' : formatNumber(x * 100, { maximumFractionDigits: 2 }));
  const option = useMemo(
    () => (report && upliftReading(report) !== 'none'
      ? intervalOption(report, { uplift: t('campaigns.report.upliftPoint'), interval: t('campaigns.report.interval'), zero: t('campaigns.report.zero'), axis: t('campaigns.report.upliftAxis') }, (x) => money(x))
      : null),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [report, t, formatNumber],
  );
  const error = toOperationError(result.error);
  const reading = report ? upliftReading(report) : 'none';
  const rows: [string, (a: CampaignArmFieldsFragment) => string, string][] = [
    [t('campaigns.report.members'), (a) => formatNumber(a.members), 'members'],
    [t('campaigns.report.buyers'), (a) => formatNumber(a.buyers), 'buyers'],
    [t('campaigns.report.purchases'), (a) => formatNumber(a.purchases), 'purchases'],
    [t('campaigns.report.gmv'), (a) => money(a.gmv), 'gmv'],
    [t('campaigns.report.arpu'), (a) => money(a.arpu), 'arpu'],
    [t('campaigns.report.purchaseRate'), (a) => percent(a.purchaseRate), 'purchaseRate'],
  ];
  return (
    <Section title={t('campaigns.report.title')} id="campaign-report">
      {error ? <ErrorState error={error} onRetry={() => refetch({ requestPolicy: 'network-only' })} /> : null}
      {result.fetching && !report ? <Loading /> : null}
      {report ? (
        <>
          <p className="muted">{t('campaigns.report.period', { from: formatDay(language, report.from, zone), to: formatLastDay(language, report.to, zone) })} {t('campaigns.report.method')}</p>
          <div className="campaign-report">
            <div className="table-wrap" role="region" tabIndex={0} aria-label={t('campaigns.report.arms')}>
              <table className="table" data-testid="campaign-arms">
                <caption className="visually-hidden">{t('campaigns.report.arms')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('campaigns.report.measure')}</th>
                    <th scope="col" className="num">{t('campaigns.report.treatment')}</th>
                    <th scope="col" className="num">{t('campaigns.report.control')}</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map(([label, value, id]) => (
                    <tr key={id} data-testid={`arm-${id}`}>
                      <th scope="row">{label}</th>
                      <td className="num">{value(report.treatment)}</td>
                      <td className="num">{value(report.control)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div>
              <div className="campaign-cards">
                <div className="card">
                  <div className="card-label">{t('campaigns.report.upliftArpu')}</div>
                  <div className="card-value" data-testid="uplift-arpu">{money(report.upliftArpu)}</div>
                  <p className="card-note" data-testid="uplift-interval">
                    {reading === 'none' ? t('campaigns.report.noInterval') : t('campaigns.report.intervalValue', { low: money(report.upliftArpuLow), high: money(report.upliftArpuHigh) })}
                  </p>
                </div>
                <div className="card">
                  <div className="card-label">{t('campaigns.report.upliftRate')}</div>
                  <div className="card-value" data-testid="uplift-rate">{report.upliftPurchaseRate == null ? '—' : t('campaigns.report.pointsUnit', { value: points(report.upliftPurchaseRate) })}</div>
                </div>
                <div className="card">
                  <div className="card-label">{t('campaigns.report.incrementalGmv')}</div>
                  <div className="card-value" data-testid="incremental-gmv">{money(report.incrementalGmv)}</div>
                </div>
                <div className="card">
                  <div className="card-label">{t('campaigns.report.cost')}</div>
                  <div className="card-value" data-testid="campaign-cost">{money(report.cost)}</div>
                  <p className="card-note">{t('campaigns.report.costNote')}</p>
                </div>
                <div className="card">
                  <div className="card-label">{t('campaigns.report.roi')}</div>
                  <div className="card-value" data-testid="campaign-roi">{percent(report.roi, 0)}</div>
                  <p className="card-note">{report.roi == null ? t('campaigns.report.roiNone') : t('campaigns.report.roiNote')}</p>
                </div>
              </div>
            </div>
          </div>
          <p className={`uplift-reading reading-${reading}`} data-testid="uplift-reading">{t(`campaigns.report.reading.${reading}`)}</p>
          {option ? <Chart option={option} label={t('campaigns.report.chart', { low: money(report.upliftArpuLow), high: money(report.upliftArpuHigh), uplift: money(report.upliftArpu) })} height={200} testId="chart-uplift" /> : null}
        </>
      ) : null}
    </Section>
  );
}
