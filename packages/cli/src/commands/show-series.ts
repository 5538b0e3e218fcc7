import type { DeclarativeQuery, StoredRow, WindowSpec } from '@windowed/core';
import { windowsInRange } from '@windowed/core';
import { CliError, EXIT } from '../errors.js';

/** A group of a grouped job: its dimension values as the sink stores them. */
export type Group = Record<string, string | null>;

/**
 * Whether a metric's values of several groups add up to the window's value: counts and sums do;
 * distinct counts (a user in two groups), min and max do not, nor a functional query's numbers
 * (nothing says what they are).
 */
export function isAdditive(query: DeclarativeQuery | undefined, metric: string): boolean {
  const kind = query?.metrics[metric]?.kind;
  return kind === 'count' || kind === 'sum';
}

/** The group fields: the query's `groupBy`, or for a functional query the columns holding text. */
export function dimensionsOf(query: DeclarativeQuery | undefined, rows: readonly StoredRow[]): string[] {
  if (query) return [...(query.groupBy ?? [])];
  const dims = new Set<string>();
  for (const r of rows) for (const [k, v] of Object.entries(r.values)) if (typeof v === 'string') dims.add(k);
  return [...dims];
}

/** The metric columns: the query's metrics, or for a functional query every column that is not a group field. */
export function metricsOf(
  query: DeclarativeQuery | undefined,
  rows: readonly StoredRow[],
  dims: readonly string[],
): string[] {
  if (query) return Object.keys(query.metrics);
  return [...new Set(rows.flatMap((r) => Object.keys(r.values)))].filter((k) => !dims.includes(k));
}

export function groupOf(row: StoredRow, dims: readonly string[]): Group {
  const group: Group = {};
  for (const d of dims)
    group[d] = row.values[d] === null || row.values[d] === undefined ? null : String(row.values[d]);
  return group;
}

export function groupLabel(group: Group): string {
  return Object.entries(group)
    .map(([k, v]) => `${k}=${v ?? 'null'}`)
    .join(' ');
}

/**
 * `--group` as a group: `value` when the job groups by one field, else `field=value` for each of its
 * fields (the option repeated).
 */
export function parseGroup(
  values: readonly string[] | undefined,
  dims: readonly string[],
): Group | undefined {
  if (!values || values.length === 0) return undefined;
  if (dims.length === 0)
    throw new CliError('--group: the job has no groupBy; every window has one row.', EXIT.usage);
  const group: Group = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    const field =
      eq > 0 && dims.includes(value.slice(0, eq))
        ? value.slice(0, eq)
        : dims.length === 1
          ? dims[0]!
          : undefined;
    if (!field)
      throw new CliError(
        `--group ${JSON.stringify(value)}: name the field, as field=value (the job groups by ${dims.join(', ')}).`,
        EXIT.usage,
      );
    group[field] = field === value.slice(0, eq) ? value.slice(eq + 1) : value;
  }
  const unnamed = dims.filter((d) => !(d in group));
  if (unnamed.length > 0)
    throw new CliError(
      `--group names no value for ${unnamed.join(', ')}; pass one --group field=value for each of ${dims.join(', ')}.`,
      EXIT.usage,
    );
  return group;
}

export function inGroup(row: StoredRow, group: Group): boolean {
  return Object.entries(group).every(
    ([k, v]) => (row.values[k] === null ? null : String(row.values[k])) === v,
  );
}

/** One value per window of the span (the rows' values added up), null where a window has no rows. */
export function seriesByWindow(
  rows: readonly StoredRow[],
  spec: WindowSpec,
  metrics: readonly string[],
  span: readonly StoredRow[],
) {
  const byStart = new Map<number, StoredRow[]>();
  for (const r of rows) {
    const list = byStart.get(r.windowStart.getTime()) ?? [];
    list.push(r);
    byStart.set(r.windowStart.getTime(), list);
  }
  const windows = windowsInRange(span[0]!.windowStart, span[span.length - 1]!.windowEnd, spec);
  const values = new Map(metrics.map((m) => [m, [] as Array<number | null>]));
  let gaps = 0;
  for (const w of windows) {
    const here = byStart.get(w.start.getTime());
    if (!here) gaps++;
    for (const m of metrics) {
      const nums = (here ?? []).map((r) => r.values[m]).filter((v): v is number => typeof v === 'number');
      values.get(m)!.push(nums.length ? nums.reduce((a, b) => a + b, 0) : null);
    }
  }
  return { windows: windows.length, values, gaps };
}
