import type { StoredRow } from '@windowed/core';
import type { Series } from '@windowed/dashboard/contract';

/** Bounds on a series response: points per line and lines (groups) per metric. */
export const MAX_POINTS = 300;
export const MAX_GROUPS = 8;

/**
 * The sink's rows over `windowStarts` (every window of the range, oldest first) as at most
 * MAX_POINTS points per group and metric.
 */
export function buildSeries(
  rows: readonly StoredRow[],
  windowStarts: readonly number[],
  metrics: readonly string[],
  groupBy: readonly string[],
): Series {
  const perPoint = Math.max(1, Math.ceil(windowStarts.length / MAX_POINTS));
  const points = Math.ceil(windowStarts.length / perPoint);
  const index = new Map<number, number>();
  windowStarts.forEach((start, i) => {
    index.set(start, Math.floor(i / perPoint));
  });
  const byGroup = new Map<string, StoredRow[]>();
  for (const r of rows) {
    const label = groupBy.length ? groupBy.map((d) => `${d}=${String(r.values[d] ?? '')}`).join(', ') : 'all';
    const list = byGroup.get(label);
    if (list) list.push(r);
    else byGroup.set(label, [r]);
  }
  const drawn = [...byGroup.entries()].sort((a, b) => b[1].length - a[1].length).slice(0, MAX_GROUPS);
  const groups = drawn.map(([label, groupRows]) => {
    const values: Record<string, Array<number | null>> = {};
    for (const m of metrics) {
      const sum = new Array<number>(points).fill(0);
      const n = new Array<number>(points).fill(0);
      for (const r of groupRows) {
        const p = index.get(r.windowStart.getTime());
        const v = r.values[m];
        if (p === undefined || typeof v !== 'number') continue;
        sum[p]! += v;
        n[p]!++;
      }
      values[m] = sum.map((s, p) => (n[p] ? s / n[p]! : null));
    }
    return { label, values };
  });
  return {
    metrics: [...metrics],
    groupBy: [...groupBy],
    windowsPerPoint: perPoint,
    t: Array.from({ length: points }, (_, p) => windowStarts[p * perPoint]!),
    groups,
    omittedGroups: byGroup.size - drawn.length,
  };
}

/** A functional query declares no metrics: numbers are metrics, everything else names a group. */
export function inferColumns(rows: readonly StoredRow[]): { metrics: string[]; groupBy: string[] } {
  const metrics = new Set<string>();
  const groupBy = new Set<string>();
  for (const r of rows.slice(0, 1000))
    for (const [k, v] of Object.entries(r.values)) (typeof v === 'number' ? metrics : groupBy).add(k);
  for (const k of groupBy) metrics.delete(k);
  return { metrics: [...metrics], groupBy: [...groupBy] };
}
