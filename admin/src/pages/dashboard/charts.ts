import type { DashboardSeriesQuery, DashboardSummaryQuery, LifecycleStage } from '../../gql/graphql';
import type { ChartOption } from '../../ui/Chart';

/**
 * The dashboard's chart options, built from the queries' answers (pure: the page passes the
 * labels already translated). Colours are the console's palette, each at least 3:1 against
 * white so bars stay distinguishable.
 */
export const COLOURS = {
  blue: '#1d4ed8',
  green: '#067647',
  teal: '#0e7490',
  amber: '#b54708',
  red: '#b42318',
  purple: '#6941c6',
  grey: '#4d5868',
};

type Summary = DashboardSummaryQuery['programStats'];
type Series = DashboardSeriesQuery;

const grid = { left: 8, right: 16, top: 40, bottom: 8, containLabel: true };

export function tierOption(stats: Summary, countLabel: string): ChartOption {
  const rows = [...stats.byTier].sort((a, b) => a.tier.rank - b.tier.rank);
  return {
    grid: { ...grid, top: 16 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: rows.map((r) => r.tier.name) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [{ type: 'bar', name: countLabel, data: rows.map((r) => r.count), itemStyle: { color: COLOURS.blue }, label: { show: true, position: 'top' } }],
  };
}

export function stageOption(stats: Summary, stages: LifecycleStage[], stageName: (s: LifecycleStage) => string, countLabel: string): ChartOption {
  const counts = new Map(stats.byStage.map((s) => [s.stage, s.count]));
  return {
    grid: { ...grid, top: 16 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: stages.map(stageName), axisLabel: { interval: 0, rotate: 30 } },
    yAxis: { type: 'value', minInterval: 1 },
    series: [{ type: 'bar', name: countLabel, data: stages.map((s) => counts.get(s) ?? 0), itemStyle: { color: COLOURS.teal }, label: { show: true, position: 'top' } }],
  };
}

export interface FlowLabels { earned: string; redeemed: string; expired: string; reversed: string; rate: string }

export function flowOption(series: Series, months: string[], labels: FlowLabels, percent: (x: number) => string): ChartOption {
  const byMonth = new Map(series.pointsFlow.map((r) => [r.period, r]));
  const at = <K extends 'earned' | 'redeemed' | 'expired' | 'reversed'>(k: K) => months.map((m) => byMonth.get(m)?.[k] ?? 0);
  return {
    grid,
    legend: { top: 0 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: months },
    yAxis: [
      { type: 'value' },
      { type: 'value', min: 0, axisLabel: { formatter: (v: number) => percent(v) }, splitLine: { show: false } },
    ],
    series: [
      { type: 'bar', name: labels.earned, data: at('earned'), itemStyle: { color: COLOURS.green } },
      { type: 'bar', name: labels.redeemed, data: at('redeemed'), itemStyle: { color: COLOURS.blue } },
      { type: 'bar', name: labels.expired, data: at('expired'), itemStyle: { color: COLOURS.amber } },
      { type: 'bar', name: labels.reversed, data: at('reversed'), itemStyle: { color: COLOURS.red } },
      {
        type: 'line', name: labels.rate, yAxisIndex: 1, data: months.map((m) => byMonth.get(m)?.redemptionRate ?? null),
        itemStyle: { color: COLOURS.purple }, tooltip: { valueFormatter: (v) => (typeof v === 'number' ? percent(v) : '—') },
      },
    ],
  };
}

export interface GrowthLabels { active: string; new: string; retained: string; wonBack: string; churned: string }

/** new + retained + won back stacked up, churned stacked down (negative), active as a line. */
export function growthOption(series: Series, months: string[], labels: GrowthLabels): ChartOption {
  const byMonth = new Map(series.growth.map((r) => [r.period, r]));
  const at = (k: 'new' | 'retained' | 'wonBack' | 'churned' | 'active') => months.map((m) => byMonth.get(m)?.[k] ?? 0);
  return {
    grid,
    legend: { top: 0 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: months },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { type: 'bar', stack: 'members', name: labels.retained, data: at('retained'), itemStyle: { color: COLOURS.teal } },
      { type: 'bar', stack: 'members', name: labels.new, data: at('new'), itemStyle: { color: COLOURS.green } },
      { type: 'bar', stack: 'members', name: labels.wonBack, data: at('wonBack'), itemStyle: { color: COLOURS.purple } },
      { type: 'bar', stack: 'members', name: labels.churned, data: at('churned').map((n) => -n), itemStyle: { color: COLOURS.red } },
      { type: 'line', name: labels.active, data: at('active'), itemStyle: { color: COLOURS.grey } },
    ],
  };
}

/** Rows: where members came from (first classification first); columns: where they went. */
export function transitionsOption(series: Series, stages: LifecycleStage[], stageName: (s: LifecycleStage) => string, firstLabel: string, countLabel: string): ChartOption {
  const rows: (LifecycleStage | null)[] = [null, ...stages];
  const data = series.lifecycleTransitions.map((t) => [stages.indexOf(t.to), rows.indexOf(t.from ?? null), t.count]);
  const max = Math.max(1, ...series.lifecycleTransitions.map((t) => t.count));
  return {
    grid: { left: 8, right: 16, top: 8, bottom: 56, containLabel: true },
    tooltip: { position: 'top' },
    xAxis: { type: 'category', data: stages.map(stageName), axisLabel: { interval: 0, rotate: 30 }, splitArea: { show: true } },
    yAxis: { type: 'category', data: rows.map((s) => (s ? stageName(s) : firstLabel)), inverse: true, splitArea: { show: true } },
    visualMap: { min: 0, max, calculable: false, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 120, inRange: { color: ['#eff4ff', '#1d4ed8'] } },
    series: [{ type: 'heatmap', name: countLabel, data, label: { show: true }, emphasis: { itemStyle: { borderColor: '#1c2430', borderWidth: 1 } } }],
  };
}
