import type { ReferralFiguresFragment } from '../../gql/graphql';
import type { ChartOption } from '../../ui/Chart';
import { COLOURS } from '../dashboard/charts';

export interface ReferralChartLabels { registered: string; completed: string; rejected: string; reversed: string; pointsGiven: string }

/** Referrals per month as bars, the net points given as a line on its own axis (pure: labels come translated). */
export function referralOption(months: string[], rows: ReferralFiguresFragment[], labels: ReferralChartLabels): ChartOption {
  const bar = (name: string, color: string, data: number[]) => ({ type: 'bar' as const, name, data, itemStyle: { color } });
  return {
    grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
    legend: { top: 0 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: months },
    yAxis: [{ type: 'value', minInterval: 1 }, { type: 'value', splitLine: { show: false } }],
    series: [
      bar(labels.registered, COLOURS.blue, rows.map((r) => r.registered)),
      bar(labels.completed, COLOURS.green, rows.map((r) => r.completed)),
      bar(labels.rejected, COLOURS.grey, rows.map((r) => r.rejected)),
      bar(labels.reversed, COLOURS.red, rows.map((r) => r.reversed)),
      { type: 'line', name: labels.pointsGiven, yAxisIndex: 1, data: rows.map((r) => r.pointsGiven), itemStyle: { color: COLOURS.purple } },
    ],
  };
}
