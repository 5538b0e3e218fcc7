import type { Knex } from 'knex';
import type { Dialect } from '../db/connect.js';
import type { UniformRun } from '../window/runs.js';
import type { Window } from '../window/types.js';
import type { DeclarativeQuery, Filter, FilterScalar, Metric } from './types.js';

/**
 * Compiles the declarative query to knex for SQL engines (the `sql` source on SQLite, MySQL/MariaDB
 * and PostgreSQL; the `ndjson` source's SQLite cache). Every value is a bound parameter; every name
 * goes through knex's identifier quoting after the caller validated it.
 *
 * Semantics, the same on every engine:
 * - `count()` is `count(*)`; `countDistinct(f)` is `count(DISTINCT f)` — exact even when
 *   `approximate` is set (an exact answer is a valid approximation, and SQL engines have no shared
 *   sketch function). NULLs are not counted as a distinct value.
 * - `sum`/`min`/`max` are the SQL aggregates: meant for numeric fields, NULL when nothing matched.
 * - `= null` is `IS NULL`, `!= null` is `IS NOT NULL`.
 * - `!=` is SQL `<>`: rows where the field is NULL (or missing) do not match it.
 * - `in` with a `null` among its values also matches rows where the field is NULL.
 * - `<`, `<=`, `>`, `>=` against `null` match nothing.
 * - Values compare with the engine's rules for the column's type (and collation on MySQL).
 */

/** How a query field reads in SQL: a column reference, or an expression such as `NULL`. */
export type FieldRef = (field: string) => Knex.Ref<string, {}> | Knex.Raw;

/** The column windowed's multi-window queries put the window's index under. */
export const BUCKET_ALIAS = '__windowed_bucket';

/** Selects the group-by fields and the metrics, applies the filters and the grouping. */
export function applyQuery(
  knex: Knex,
  builder: Knex.QueryBuilder,
  query: DeclarativeQuery,
  ref: FieldRef,
  dialect: Dialect,
): Knex.QueryBuilder {
  const groupBy = query.groupBy ?? [];
  const columns: Knex.Raw[] = groupBy.map((field) => knex.raw('? as ??', [ref(field), field]));
  for (const [name, metric] of Object.entries(query.metrics))
    columns.push(metricSql(knex, metric, name, ref));
  builder.select(columns);
  for (const filter of query.where ?? []) builder.where(filterSql(knex, filter, ref, dialect));
  // Grouping by the output aliases keeps one expression per field (PostgreSQL rejects a repeated
  // parameterized expression in GROUP BY as "not the same expression").
  for (const field of groupBy) builder.groupBy(knex.raw('??', [field]));
  return builder;
}

function metricSql(knex: Knex, metric: Metric, name: string, ref: FieldRef): Knex.Raw {
  switch (metric.kind) {
    case 'count':
      return knex.raw('count(*) as ??', [name]);
    case 'countDistinct':
      return knex.raw('count(DISTINCT ?) as ??', [ref(metric.field), name]);
    case 'sum':
      return knex.raw('sum(?) as ??', [ref(metric.field), name]);
    case 'min':
      return knex.raw('min(?) as ??', [ref(metric.field), name]);
    case 'max':
      return knex.raw('max(?) as ??', [ref(metric.field), name]);
  }
}

function filterSql(knex: Knex, filter: Filter, ref: FieldRef, dialect: Dialect): Knex.Raw {
  const column = ref(filter.field);
  if (filter.op === 'in') {
    const values = (filter.value as FilterScalar[])
      .filter((v) => v !== null)
      .map((v) => bindable(v, dialect));
    const withNull = (filter.value as FilterScalar[]).includes(null);
    const parts: string[] = [];
    const bindings: unknown[] = [];
    if (values.length > 0) {
      parts.push(`? in (${values.map(() => '?').join(', ')})`);
      bindings.push(column, ...values);
    }
    if (withNull) {
      parts.push('? is null');
      bindings.push(column);
    }
    return knex.raw(`(${parts.join(' or ')})`, bindings as Knex.RawBinding[]);
  }
  const value = filter.value as FilterScalar;
  if (value === null) {
    if (filter.op === '=') return knex.raw('? is null', [column]);
    if (filter.op === '!=') return knex.raw('? is not null', [column]);
    return knex.raw('1 = 0');
  }
  const op = filter.op === '!=' ? '<>' : filter.op;
  return knex.raw(`? ${op} ?`, [column, bindable(value, dialect)]);
}

/** better-sqlite3 cannot bind booleans; JSON `true` is 1 there (what json_extract returns too). */
function bindable(value: Exclude<FilterScalar, null>, dialect: Dialect): string | number | boolean {
  return typeof value === 'boolean' && dialect === 'sqlite' ? Number(value) : value;
}

// ---------------------------------------------------------------------------------------------
// Tables with a time column: the `sql` source.

export type TimeType = 'datetime' | 'epoch_ms';

export interface SqlLogTable {
  knex: Knex;
  dialect: Dialect;
  /** `table` or `schema.table`, validated by the caller. */
  table: string;
  timeColumn: string;
  timeType: TimeType;
}

/** One window: `WHERE time >= start AND time < end`, plus the query. */
export function compileWindowQuery(
  target: SqlLogTable,
  query: DeclarativeQuery,
  window: Window,
): Knex.QueryBuilder {
  const { knex } = target;
  const builder = knex.from(target.table);
  builder.where(timeRange(target, window.start.getTime(), window.end.getTime()));
  return applyQuery(knex, builder, query, (field) => knex.ref(field), target.dialect);
}

/**
 * A run of contiguous equal-length windows in one statement: rows carry {@link BUCKET_ALIAS}, the
 * index of their window in `run.windows` (`floor((t - originMs) / sizeMs)`).
 */
export function compileRunQuery(
  target: SqlLogTable,
  query: DeclarativeQuery,
  run: UniformRun,
): Knex.QueryBuilder {
  const { knex } = target;
  const endMs = run.originMs + run.windows.length * run.sizeMs;
  const builder = knex.from(target.table);
  builder.where(timeRange(target, run.originMs, endMs));
  applyQuery(knex, builder, query, (field) => knex.ref(field), target.dialect);
  builder.select(knex.raw('? as ??', [bucketSql(target, run.originMs, run.sizeMs), BUCKET_ALIAS]));
  builder.groupBy(knex.raw('??', [BUCKET_ALIAS]));
  return builder;
}

/**
 * `[startMs, endMs)` on the time column. On MySQL and PostgreSQL the raw column is compared with
 * bound values, so an index on it is used. SQLite has no DATETIME type: the column holds text in
 * more than one spelling (`2026-11-27 10:00:00.123`, `2026-11-27T10:00:00.123Z`), so it is compared
 * as epoch milliseconds.
 */
export function timeRange(target: SqlLogTable, startMs: number, endMs: number): Knex.Raw {
  const { knex, dialect, timeColumn, timeType } = target;
  if (timeType === 'epoch_ms')
    return knex.raw('?? >= ? and ?? < ?', [timeColumn, startMs, timeColumn, endMs]);
  switch (dialect) {
    case 'sqlite': {
      const ms = sqliteDatetimeMs(knex, timeColumn);
      return knex.raw('? >= ? and ? < ?', [ms, startMs, ms, endMs]);
    }
    case 'mysql':
      // mysql2 (timezone 'Z') sends a Date as 'YYYY-MM-DD HH:MM:SS.mmm' UTC; sessions run in UTC.
      return knex.raw('?? >= ? and ?? < ?', [timeColumn, new Date(startMs), timeColumn, new Date(endMs)]);
    case 'postgres':
      // pg would send a Date in the process's local zone, which a `timestamp without time zone`
      // parameter silently drops; an explicit UTC string is right for timestamp and timestamptz.
      return knex.raw('?? >= ? and ?? < ?', [
        timeColumn,
        new Date(startMs).toISOString(),
        timeColumn,
        new Date(endMs).toISOString(),
      ]);
  }
}

/**
 * The window index of a row: `floor((t - originMs) / sizeMs)`, exact to the millisecond. Integer
 * division throughout (t >= originMs, so truncation is floor): MySQL's decimal `/` rounds to 4
 * places, which would put the last millisecond of a window into the next one.
 */
function bucketSql(target: SqlLogTable, originMs: number, sizeMs: number): Knex.Raw {
  const { knex, dialect, timeColumn, timeType } = target;
  if (timeType === 'epoch_ms') {
    switch (dialect) {
      case 'sqlite':
        return knex.raw('cast((?? - cast(? as integer)) / cast(? as integer) as integer)', [
          timeColumn,
          originMs,
          sizeMs,
        ]);
      case 'mysql':
        return knex.raw('(?? - ?) div ?', [timeColumn, originMs, sizeMs]);
      case 'postgres':
        return knex.raw('div((?? - ?)::numeric, ?)', [timeColumn, originMs, sizeMs]);
    }
  }
  switch (dialect) {
    case 'sqlite':
      return knex.raw('cast((? - cast(? as integer)) / cast(? as integer) as integer)', [
        sqliteDatetimeMs(knex, timeColumn),
        originMs,
        sizeMs,
      ]);
    case 'mysql':
      // Session time zone is UTC, so TIMESTAMP columns read as UTC too.
      return knex.raw('timestampdiff(microsecond, ?, ??) div ?', [
        new Date(originMs),
        timeColumn,
        sizeMs * 1000,
      ]);
    case 'postgres':
      // extract(epoch) of a `timestamp` is its UTC reading; round() guards float results on PG < 14.
      return knex.raw('div(round(extract(epoch from ??) * 1000)::numeric - ?, ?)', [
        timeColumn,
        originMs,
        sizeMs,
      ]);
  }
}

/**
 * A SQLite DATETIME value as integer epoch ms: text in any spelling SQLite's date functions read,
 * or a number, which is taken as epoch ms (what knex writes for a JS Date on better-sqlite3).
 */
function sqliteDatetimeMs(knex: Knex, column: string): Knex.Raw {
  return knex.raw(
    "(case when typeof(??) in ('integer', 'real') then cast(?? as integer) else cast(round((julianday(??) - 2440587.5) * 86400000) as integer) end)",
    [column, column, column],
  );
}
