import type { SegmentPreviewQuery } from '../../gql/graphql';
import type { ChartOption } from '../../ui/Chart';

/**
 * The TGI profile as a chart: for one dimension (tier, stage, RFM cell, region, channel,
 * gender, tag), each value's TGI (segment share ÷ population share × 100) as a horizontal bar,
 * blue where the segment over-indexes (≥ 100), amber where it under-indexes, and the line at
 * 100 (the population).
 */
export type ProfileRow = SegmentPreviewQuery['segmentPreview']['profile'][number];

export const DIMENSIONS = ['tier', 'stage', 'rfm', 'tag', 'region', 'channel', 'gender'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export const OVER = '#1d4ed8';
export const UNDER = '#b54708';

export interface TgiLabels { tgi: string; population: string; segmentShare: string; populationShare: string; members: string }

export function rowsOf(profile: readonly ProfileRow[], dimension: Dimension): ProfileRow[] {
  return profile.filter((r) => r.dimension === dimension);
}

export function tgiOption(
  rows: readonly ProfileRow[],
  valueLabel: (row: ProfileRow) => string,
  labels: TgiLabels,
  percent: (x: number) => string,
  number: (x: number) => string,
): ChartOption {
  const names = rows.map(valueLabel);
  const max = Math.max(200, ...rows.map((r) => r.tgi ?? 0));
  return {
    grid: { left: 8, right: 48, top: 28, bottom: 8, containLabel: true },
    legend: { top: 0, data: [labels.population] },
    tooltip: {
      trigger: 'item',
      formatter: (p) => {
        const item = Array.isArray(p) ? p[0] : p;
        const row = rows[item.dataIndex];
        if (!row || item.seriesType !== 'bar') return labels.population;
        return [
          `<strong>${escapeHtml(names[item.dataIndex])}</strong>`,
          `${labels.tgi}: ${row.tgi == null ? '—' : number(row.tgi)}`,
          `${labels.segmentShare}: ${percent(row.segmentShare)}`,
          `${labels.populationShare}: ${percent(row.populationShare)}`,
          `${labels.members}: ${number(row.segmentCount)}`,
        ].join('<br/>');
      },
    },
    xAxis: { type: 'value', min: 0, max: Math.ceil(max / 50) * 50, name: labels.tgi, nameLocation: 'end', nameGap: 8 },
    yAxis: { type: 'category', data: names, inverse: true, axisLabel: { width: 160, overflow: 'truncate' } },
    series: [
      {
        type: 'bar',
        name: labels.tgi,
        data: rows.map((r) => ({ value: r.tgi ?? 0, itemStyle: { color: (r.tgi ?? 0) >= 100 ? OVER : UNDER } })),
        label: { show: true, position: 'right', formatter: (p) => number(Number(p.value)) },
        barMaxWidth: 22,
      },
      {
        type: 'line',
        name: labels.population,
        data: rows.map(() => 100),
        symbol: 'none',
        lineStyle: { color: '#1c2430', type: 'dashed', width: 1.5 },
        itemStyle: { color: '#1c2430' },
        tooltip: { show: false },
      },
    ],
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
