import type { ColumnSet, ColumnType } from '../sinks/types.js';
import { isSealedQuery } from './sealed.js';
import type { DeclarativeQuery, Metric, Row } from './types.js';

export function metricColumnType(metric: Metric): ColumnType {
  return metric.kind === 'count' || metric.kind === 'countDistinct' ? 'integer' : 'number';
}

const columnsOfSealed = new WeakMap<DeclarativeQuery, ColumnSet>();

/** The sink columns a declarative query fills; the same object every time for a sealed (job's) query. */
export function columnsOfQuery(query: DeclarativeQuery): ColumnSet {
  const known = columnsOfSealed.get(query);
  if (known) return known;
  const columns = describeColumns(query);
  if (isSealedQuery(query)) {
    columns.metrics.forEach(Object.freeze);
    Object.freeze(columns.dimensions);
    Object.freeze(columns.metrics);
    columnsOfSealed.set(query, Object.freeze(columns));
  }
  return columns;
}

function describeColumns(query: DeclarativeQuery): ColumnSet {
  return {
    dimensions: [...(query.groupBy ?? [])],
    metrics: Object.entries(query.metrics).map(([name, metric]) => ({
      name,
      type: metricColumnType(metric),
    })),
  };
}

/**
 * Brings a source's rows to one shape: dimensions as strings (or null), counts as integers, other
 * metrics as numbers or null. Sources that answer in strings (SLS, Logs Insights) rely on this.
 * An ungrouped query that matched nothing yields one row of zero counts: an idle window is data.
 */
export function normalizeRows(query: DeclarativeQuery, rows: readonly Record<string, unknown>[]): Row[] {
  const groupBy = query.groupBy ?? [];
  const metrics = Object.entries(query.metrics);
  if (rows.length === 0 && groupBy.length === 0) rows = [{}];
  return rows.map((raw) => {
    const row: Row = {};
    for (const field of groupBy) row[field] = toDimension(raw[field]);
    for (const [name, metric] of metrics) {
      const value = toNumber(raw[name]);
      row[name] = metricColumnType(metric) === 'integer' ? Math.round(value ?? 0) : value;
    }
    return row;
  });
}

function toDimension(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function toNumber(value: unknown): number | null {
  if (value === null || value === undefined || value === '' || value === 'null') return null;
  const n =
    typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : Number(String(value));
  return Number.isFinite(n) ? n : null;
}

/**
 * Columns of a functional query's rows: string values are dimensions (part of the window's key),
 * numbers metrics. Columns are taken from every row, in first-seen order.
 */
export function columnsOfRows(rows: readonly Record<string, unknown>[]): ColumnSet {
  const dimensions: string[] = [];
  const metrics: ColumnSet['metrics'] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const [name, value] of Object.entries(row)) {
      if (seen.has(name) || value === null || value === undefined) continue;
      seen.add(name);
      if (typeof value === 'number' || typeof value === 'bigint') {
        metrics.push({ name, type: 'number' });
      } else dimensions.push(name);
    }
  }
  return { dimensions, metrics };
}

/**
 * The query as data, independent of how it was written: metrics by name, filters (an AND of
 * them) and `in` lists and group fields in a fixed order. Equal queries give equal JSON.
 */
export function canonicalQuery(query: DeclarativeQuery): unknown {
  // By UTF-16 code units, as Array#sort: localeCompare would order by the process locale (so a laptop
  // and a function could disagree on a job's fingerprint) and load ICU's collator on a cold start.
  const byJson = (a: unknown, b: unknown) => compareCodeUnits(JSON.stringify(a), JSON.stringify(b));
  return {
    metrics: Object.keys(query.metrics)
      .sort()
      .map((name) => {
        const m = query.metrics[name]!;
        return [name, m.kind, 'field' in m ? m.field : null, 'approximate' in m ? m.approximate : null];
      }),
    where: (query.where ?? [])
      .map((f) => [f.field, f.op, Array.isArray(f.value) ? [...f.value].sort(byJson) : f.value])
      .sort(byJson),
    groupBy: [...(query.groupBy ?? [])].sort(),
  };
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
