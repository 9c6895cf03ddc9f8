import { useMemo, useState } from 'react';
import { useQuery } from 'urql';
import { Link, navigate, useSearchParams } from '../../app/router';
import type { DashboardSeriesQuery, DashboardSummaryQuery, LifecycleStage, RfmSegment } from '../../gql/graphql';
import { toOperationError, type OperationError } from '../../graphql/errors';
import { useI18n } from '../../i18n';
import { churnMethodLabel, RFM_LABEL, STAGE_LABEL } from '../../i18n/enums';
import { Chart } from '../../ui/Chart';
import { Field, Form } from '../../ui/Form';
import { Empty, ErrorState, Loading, Page, Section } from '../../ui/Page';
import { flowOption, growthOption, stageOption, tierOption, transitionsOption } from './charts';
import { DashboardSeriesQuery as SeriesQuery, DashboardSummaryQuery as SummaryQuery } from './operations';
import { defaultRange, isMonth, monthsOf, rangeVariables, type MonthRange } from './range';
import './dashboard.css';
import { memberLabel } from '../members/label';

const STAGES = Object.keys(STAGE_LABEL) as LifecycleStage[];
const EXPIRING_WITHIN_DAYS = 30;
const WIN_BACK = 20;

/**
 * The Dashboard, in two requests (docs/console-api.md): DashboardSummary (members by tier and
 * stage, points liability, RFM cells, the churn model, the win-back list) and DashboardSeries
 * (points flow, growth, lifecycle transitions) over a range of months, in the address
 * (?from=YYYY-MM&to=YYYY-MM; the last 12 months by default).
 */
export default function DashboardPage() {
  const { t } = useI18n();
  const params = useSearchParams();
  const [summary, refetchSummary] = useQuery({ query: SummaryQuery, variables: { expiringWithinDays: EXPIRING_WITHIN_DAYS, winBack: WIN_BACK } });
  // The series' months are the programme's (its time zone): their bounds wait for it.
  const timeZone = summary.data?.program.timeZone ?? null;
  const range = useMemo<MonthRange>(() => {
    const fallback = defaultRange(timeZone ?? 'UTC');
    const from = params.get('from');
    const to = params.get('to');
    return { from: isMonth(from) ? from : fallback.from, to: isMonth(to) ? to : fallback.to };
  }, [params, timeZone]);
  const rangeValid = range.from <= range.to;
  const [series, refetchSeries] = useQuery({ query: SeriesQuery, variables: rangeVariables(range, timeZone ?? 'UTC'), pause: !rangeValid || !timeZone });
  const summaryError = toOperationError(summary.error);
  const seriesError = useMemo(() => toOperationError(series.error), [series.error]);
  const data = summary.data;
  return (
    <Page
      title={t('dashboard.title')}
      subtitle={t('dashboard.subtitle')}
      loading={summary.fetching && !data}
      error={summaryError}
      onRetry={() => refetchSummary({ requestPolicy: 'network-only' })}
    >
      {data ? (
        <>
          <Totals stats={data.programStats} />
          <div className="columns">
            <Section title={t('dashboard.byTier.title')} id="dashboard-by-tier">
              <Chart option={tierOption(data.programStats, t('dashboard.members'))} label={t('dashboard.byTier.chart')} height={240} testId="chart-by-tier" />
            </Section>
            <Section title={t('dashboard.byStage.title')} id="dashboard-by-stage">
              <Chart option={stageOption(data.programStats, STAGES, (s) => t(STAGE_LABEL[s]), t('dashboard.members'))} label={t('dashboard.byStage.chart')} height={240} testId="chart-by-stage" />
            </Section>
          </div>
        </>
      ) : null}
      <Section
        title={t('dashboard.series.title')}
        id="dashboard-series"
        actions={<RangeForm key={`${range.from}/${range.to}`} range={range} serverError={seriesError} />}
      >
        {seriesError && (seriesError.general.length || !Object.keys(seriesError.fields).length) ? <ErrorState error={{ ...seriesError, fields: {} }} onRetry={() => refetchSeries({ requestPolicy: 'network-only' })} /> : null}
        {series.fetching && !series.data ? <Loading /> : null}
        {series.data && rangeValid ? <SeriesCharts series={series.data} range={range} /> : null}
      </Section>
      {data ? (
        <>
          <div className="columns">
            <RfmCells stats={data.programStats} />
            <ChurnModel model={data.churnModel} />
          </div>
          <WinBack members={data.winBackCandidates} />
        </>
      ) : null}
    </Page>
  );
}

function Totals({ stats }: { stats: DashboardSummaryQuery['programStats'] }) {
  const { t, formatNumber } = useI18n();
  const cards: [string, number, string, string][] = [
    [t('dashboard.totals.members'), stats.members, t('dashboard.totals.membersNote'), 'total-members'],
    [t('dashboard.totals.outstanding'), stats.pointsLiability, t('dashboard.totals.outstandingNote'), 'points-outstanding'],
    [t('dashboard.totals.pending'), stats.pendingPoints, t('dashboard.totals.pendingNote'), 'points-pending'],
    [t('dashboard.totals.expiring'), stats.expiringPoints, t('dashboard.totals.expiringNote', { days: EXPIRING_WITHIN_DAYS }), 'points-expiring'],
  ];
  return (
    <section className="dashboard-totals" aria-label={t('dashboard.totals.label')}>
      {cards.map(([label, value, note, id]) => (
        <div className="card" key={id}>
          <div className="card-label">{label}</div>
          <div className="card-value" data-testid={id}>{formatNumber(value)}</div>
          <p className="card-note">{note}</p>
        </div>
      ))}
    </section>
  );
}

/** The months the series cover: a form (Apply), its range kept in the address. */
function RangeForm({ range, serverError }: { range: MonthRange; serverError: OperationError | null }) {
  const { t } = useI18n();
  const [from, setFrom] = useState(range.from);
  const [to, setTo] = useState(range.to);
  // A range from the address that ends before it starts (a link, a hand-edited URL) is not asked
  // for: the form says why, as it does when the operator applies one.
  const [localError, setLocalError] = useState<OperationError | null>(() => (
    range.to < range.from ? { code: 'BAD_USER_INPUT', fields: { to: t('dashboard.range.toBeforeFrom') }, general: [] } : null));
  const apply = () => {
    if (!isMonth(from)) return setLocalError({ code: 'BAD_USER_INPUT', fields: { from: t('dashboard.range.invalidMonth') }, general: [] });
    if (!isMonth(to)) return setLocalError({ code: 'BAD_USER_INPUT', fields: { to: t('dashboard.range.invalidMonth') }, general: [] });
    if (to < from) return setLocalError({ code: 'BAD_USER_INPUT', fields: { to: t('dashboard.range.toBeforeFrom') }, general: [] });
    setLocalError(null);
    navigate(`/dashboard?from=${from}&to=${to}`, { replace: true });
  };
  // The server's refusals that name `from` or `to` go next to them; the others are shown above the charts.
  const fieldError = serverError && Object.keys(serverError.fields).length ? { ...serverError, general: [] } : null;
  return (
    <Form onSubmit={apply} error={localError ?? fieldError} submitLabel={t('dashboard.range.apply')} label={t('dashboard.range.label')} className="range-form">
      <Field name="from" label={t('dashboard.range.from')}>
        {(p) => <input type="month" {...p} value={from} onChange={(e) => setFrom(e.target.value)} data-testid="range-from" />}
      </Field>
      <Field name="to" label={t('dashboard.range.to')}>
        {(p) => <input type="month" {...p} value={to} onChange={(e) => setTo(e.target.value)} data-testid="range-to" />}
      </Field>
    </Form>
  );
}

function SeriesCharts({ series, range }: { series: DashboardSeriesQuery; range: MonthRange }) {
  const { t, formatNumber } = useI18n();
  const months = monthsOf(range);
  const percent = (x: number) => formatNumber(x, { style: 'percent', maximumFractionDigits: 0 });
  const rangeText = { from: range.from, to: range.to };
  return (
    <div className="series-charts">
      <h3 id="flow-heading">{t('dashboard.flow.title')}</h3>
      <Chart
        option={flowOption(series, months, {
          earned: t('dashboard.flow.earned'), redeemed: t('dashboard.flow.redeemed'), expired: t('dashboard.flow.expired'),
          reversed: t('dashboard.flow.reversed'), rate: t('dashboard.flow.rate'),
        }, percent)}
        label={t('dashboard.flow.chart', rangeText)}
        height={300}
        testId="chart-points-flow"
      />
      <h3 id="growth-heading">{t('dashboard.growth.title')}</h3>
      <p className="muted chart-note">{t('dashboard.growth.note')}</p>
      <Chart
        option={growthOption(series, months, {
          active: t('dashboard.growth.active'), new: t('dashboard.growth.new'), retained: t('dashboard.growth.retained'),
          wonBack: t('dashboard.growth.wonBack'), churned: t('dashboard.growth.churned'),
        })}
        label={t('dashboard.growth.chart', rangeText)}
        height={300}
        testId="chart-growth"
      />
      <h3 id="transitions-heading">{t('dashboard.transitions.title')}</h3>
      <p className="muted chart-note">{t('dashboard.transitions.note')}</p>
      {series.lifecycleTransitions.length ? (
        <Chart
          option={transitionsOption(series, STAGES, (s) => t(STAGE_LABEL[s]), t('dashboard.transitions.first'), t('dashboard.members'))}
          label={t('dashboard.transitions.chart', rangeText)}
          height={360}
          testId="chart-transitions"
        />
      ) : (
        <Empty>{t('dashboard.transitions.none')}</Empty>
      )}
    </div>
  );
}

const RFM_ROWS: ['IMPORTANT' | 'GENERAL', 'dashboard.rfm.important' | 'dashboard.rfm.general'][] = [
  ['IMPORTANT', 'dashboard.rfm.important'], ['GENERAL', 'dashboard.rfm.general'],
];
const RFM_COLUMNS = [
  ['VALUE', 'dashboard.rfm.value'], ['DEVELOP', 'dashboard.rfm.develop'], ['RETAIN', 'dashboard.rfm.retain'], ['WINBACK', 'dashboard.rfm.winback'],
] as const;

/** The eight RFM cells as their 2 × 4 grid: important / general × value, develop, retain, win back. */
function RfmCells({ stats }: { stats: DashboardSummaryQuery['programStats'] }) {
  const { t, formatNumber } = useI18n();
  const cells = new Map(stats.byRfmSegment.map((c) => [c.segment, c]));
  const money = (x: number) => formatNumber(x, { maximumFractionDigits: 0 });
  return (
    <Section title={t('dashboard.rfm.title')} id="dashboard-rfm">
      <div className="table-wrap" role="region" tabIndex={0} aria-label={t('dashboard.rfm.caption')}>
        <table className="table rfm-table" data-testid="rfm-cells">
          <caption className="visually-hidden">{t('dashboard.rfm.caption')}</caption>
          <thead>
            <tr>
              <td />
              {RFM_COLUMNS.map(([key, label]) => <th scope="col" key={key}>{t(label)}</th>)}
            </tr>
          </thead>
          <tbody>
            {RFM_ROWS.map(([row, rowLabel]) => (
              <tr key={row}>
                <th scope="row">{t(rowLabel)}</th>
                {RFM_COLUMNS.map(([column]) => {
                  const segment = `${row}_${column}` as RfmSegment;
                  const cell = cells.get(segment);
                  return (
                    <td key={segment} className="rfm-cell" title={t(RFM_LABEL[segment])}>
                      <span className="rfm-count" data-testid={`rfm-${segment}`}>{formatNumber(cell?.count ?? 0)}</span>
                      <span className="rfm-money">{t('dashboard.rfm.spend', { money: money(cell?.monetary ?? 0) })}</span>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted chart-note">{t('dashboard.rfm.note')}</p>
    </Section>
  );
}

function ChurnModel({ model }: { model: DashboardSummaryQuery['churnModel'] }) {
  const { t, formatNumber, formatDateTime } = useI18n();
  const num = (x: number | null | undefined, digits = 3) => (x == null ? '—' : formatNumber(x, { maximumFractionDigits: digits }));
  return (
    <Section title={t('dashboard.churn.title')} id="dashboard-churn">
      {model ? (
        <>
          <div className="backtest" data-testid="churn-backtest">
            <div className="card">
              <div className="card-label">{t('dashboard.churn.ks')}</div>
              <div className="card-value" data-testid="churn-ks">{num(model.ks)}</div>
              <p className="card-note">{t('dashboard.churn.ksNote')}</p>
            </div>
            <div className="card">
              <div className="card-label">{t('dashboard.churn.gini')}</div>
              <div className="card-value" data-testid="churn-gini">{num(model.gini)}</div>
              <p className="card-note">{t('dashboard.churn.giniNote')}</p>
            </div>
          </div>
          <dl className="details">
            <div><dt>{t('dashboard.churn.model')}</dt><dd data-testid="churn-model-method">{churnMethodLabel(model.method) ? t(churnMethodLabel(model.method)!) : model.method}</dd></div>
            <div><dt>{t('dashboard.churn.params')}</dt><dd><code>{`r = ${num(model.r)}, α = ${num(model.alpha)}, a = ${num(model.a)}, b = ${num(model.b)}`}</code></dd></div>
            <div><dt>{t('dashboard.churn.customers')}</dt><dd>{formatNumber(model.customers)}</dd></div>
            <div><dt>{t('dashboard.churn.logLikelihood')}</dt><dd>{num(model.logLikelihood, 1)}</dd></div>
            <div><dt>{t('dashboard.churn.asOf')}</dt><dd>{formatDateTime(model.asOf)}</dd></div>
          </dl>
          <p><Link to="/churn-model">{t('dashboard.churn.compare')}</Link></p>
        </>
      ) : (
        <Empty>{t('dashboard.churn.none')}</Empty>
      )}
    </Section>
  );
}

function WinBack({ members }: { members: DashboardSummaryQuery['winBackCandidates'] }) {
  const { t, formatNumber } = useI18n();
  const percent = (x: number | null | undefined) => (x == null ? '—' : formatNumber(x, { style: 'percent', maximumFractionDigits: 0 }));
  return (
    <Section title={t('dashboard.winBack.title')} id="dashboard-win-back">
      <p className="muted chart-note">{t('dashboard.winBack.note', { count: WIN_BACK })}</p>
      {members.length === 0 ? <Empty>{t('dashboard.winBack.none')}</Empty> : (
        <div className="table-wrap">
          <table className="table" data-testid="win-back">
            <caption className="visually-hidden">{t('dashboard.winBack.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('dashboard.winBack.member')}</th>
                <th scope="col">{t('dashboard.winBack.tier')}</th>
                <th scope="col">{t('dashboard.winBack.stage')}</th>
                <th scope="col">{t('dashboard.winBack.segment')}</th>
                <th scope="col" className="num">{t('dashboard.winBack.spend')}</th>
                <th scope="col" className="num">{t('dashboard.winBack.recency')}</th>
                <th scope="col" className="num">{t('dashboard.winBack.churnRisk')}</th>
              </tr>
            </thead>
            <tbody>
              {members.map((m) => (
                <tr key={m.id}>
                  <td><Link to={`/members/${m.id}`}>{memberLabel(m)}</Link></td>
                  <td>{m.tier.name}</td>
                  <td><span className={`badge stage-${m.lifecycleStage}`}>{t(STAGE_LABEL[m.lifecycleStage])}</span></td>
                  <td>{m.rfm ? t(RFM_LABEL[m.rfm.segment]) : '—'}</td>
                  <td className="num">{m.rfm ? formatNumber(m.rfm.monetary, { maximumFractionDigits: 0 }) : '—'}</td>
                  <td className="num">{m.rfm ? formatNumber(m.rfm.recencyDays) : '—'}</td>
                  <td className="num">{percent(m.churnRisk)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}
