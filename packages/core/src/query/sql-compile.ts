import { type Dialect, quoteName, type SqlStatement } from '../db/client.js';
import type { UniformRun } from '../window/runs.js';
import type { Window } from '../window/types.js';
import type { DeclarativeQuery, Filter, FilterScalar, Metric } from './types.js';

/**
 * Compiles the declarative query to SQL for SQL engines (the `sql` source on SQLite, MySQL/MariaDB
 * and PostgreSQL; the file sources — `ndjson`, `csv`, `parquet` — on DuckDB) with `?` placeholders.
 * Every value is a bound parameter; every name is quoted for the dialect after the caller validated it.
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
 *
 * On DuckDB (`duckdb`), every field column holds the value's canonical JSON text (what DuckDB's JSON
 * reader writes: `"u1"`, `200`, `true`, `{"a":1}`), so a value keeps its JSON type:
 * - a number filter compares numerically with numbers (and `true`/`false` as 1/0), never with text:
 *   `"200"` is not `200`; a string filter compares with strings only;
 * - `countDistinct` counts distinct JSON values exactly (integers of any size; `"5"` and `5` are two);
 * - `sum`/`min`/`max` read numbers (`true`/`false` as 1/0) and skip other values;
 * - a group value is the string itself for strings, the JSON text for anything else.
 */

/** The dialects the compiler writes: the SQL clients' three, and DuckDB for the file sources. */
export type CompileDialect = Dialect | 'duckdb';

/** SQL text and the values its placeholders bind, in order. */
export interface Fragment {
  sql: string;
  params: unknown[];
}

/** How a query field reads in SQL: a quoted column, or an expression such as `NULL` (no placeholders). */
export type FieldRef = (field: string) => string;

/** The column windowed's multi-window queries put the window's index under. */
export const BUCKET_ALIAS = '__windowed_bucket';

export interface SelectParts {
  dialect: CompileDialect;
  /** The FROM clause's text (no placeholders). */
  from: string;
  /** Conditions ANDed before the query's filters. */
  where: readonly Fragment[];
  /** Selected as {@link BUCKET_ALIAS} and grouped by: the window a row belongs to. */
  bucket?: Fragment;
}

/** What differs between the engines in a compiled query. */
interface Flavour {
  quote(name: string): string;
  /** A group value as selected. */
  dimension(column: string): string;
  /** A value as `sum`, `min` and `max` read it. */
  number(column: string): string;
  filter(filter: Filter, ref: FieldRef): Fragment;
  /** What GROUP BY names for a groupBy field. */
  grouping(field: string, ref: FieldRef): string;
}

function sqlFlavour(dialect: Dialect): Flavour {
  const quote = (name: string) => quoteName(dialect, name);
  return {
    quote,
    dimension: (column) => column,
    number: (column) => column,
    filter: (f, ref) => filterSql(f, ref, dialect),
    // The output aliases keep one expression per field (PostgreSQL rejects a repeated
    // parameterized expression in GROUP BY as "not the same expression").
    grouping: (field) => quote(field),
  };
}

/** `SELECT <groupBy fields>, <metrics> FROM … WHERE … GROUP BY …` for the declarative query. */
export function compileSelect(query: DeclarativeQuery, ref: FieldRef, parts: SelectParts): SqlStatement {
  const flavour = parts.dialect === 'duckdb' ? JSON_FLAVOUR : sqlFlavour(parts.dialect);
  const q = flavour.quote;
  const groupBy = query.groupBy ?? [];
  const columns = groupBy.map((field) => `${flavour.dimension(ref(field))} as ${q(field)}`);
  for (const [name, metric] of Object.entries(query.metrics))
    columns.push(`${metricSql(metric, ref, flavour)} as ${q(name)}`);
  const params: unknown[] = [];
  if (parts.bucket) {
    columns.push(`${parts.bucket.sql} as ${q(BUCKET_ALIAS)}`);
    params.push(...parts.bucket.params);
  }
  const where = [...parts.where, ...(query.where ?? []).map((f) => flavour.filter(f, ref))];
  for (const condition of where) params.push(...condition.params);
  const grouping = groupBy.map((field) => flavour.grouping(field, ref));
  if (parts.bucket) grouping.push(q(BUCKET_ALIAS));
  let sql = `select ${columns.join(', ')} from ${parts.from}`;
  if (where.length > 0) sql += ` where ${where.map((c) => `(${c.sql})`).join(' and ')}`;
  if (grouping.length > 0) sql += ` group by ${grouping.join(', ')}`;
  return { sql, params };
}

function metricSql(metric: Metric, ref: FieldRef, flavour: Flavour): string {
  switch (metric.kind) {
    case 'count':
      return 'count(*)';
    case 'countDistinct':
      return `count(DISTINCT ${ref(metric.field)})`;
    case 'sum':
    case 'min':
    case 'max':
      return `${metric.kind}(${flavour.number(ref(metric.field))})`;
  }
}

function filterSql(filter: Filter, ref: FieldRef, dialect: Dialect): Fragment {
  const column = ref(filter.field);
  if (filter.op === 'in') {
    const all = filter.value as FilterScalar[];
    const values = all.filter((v) => v !== null).map((v) => bindable(v, dialect));
    const parts: string[] = [];
    if (values.length > 0) parts.push(`${column} in (${values.map(() => '?').join(', ')})`);
    if (all.includes(null)) parts.push(`${column} is null`);
    return { sql: parts.length > 0 ? parts.join(' or ') : '1 = 0', params: values };
  }
  const value = filter.value as FilterScalar;
  if (value === null) {
    if (filter.op === '=') return { sql: `${column} is null`, params: [] };
    if (filter.op === '!=') return { sql: `${column} is not null`, params: [] };
    return { sql: '1 = 0', params: [] };
  }
  const op = filter.op === '!=' ? '<>' : filter.op;
  return { sql: `${column} ${op} ?`, params: [bindable(value, dialect)] };
}

/** better-sqlite3 cannot bind booleans; JSON `true` is 1 there (what json_extract returns too). */
function bindable(value: Exclude<FilterScalar, null>, dialect: Dialect): string | number | boolean {
  return typeof value === 'boolean' && dialect === 'sqlite' ? Number(value) : value;
}

// ---------------------------------------------------------------------------------------------
// DuckDB over canonical JSON text: the file sources.

/** `"x"` → `x`; any other JSON text as it is. */
const jsonDimension = (column: string) =>
  `(case when left(${column}, 1) = '"' then ${column} ->> '$' else ${column} end)`;
/** The value as a number: JSON numbers, and `true`/`false` as 1/0; NULL for anything else. */
const jsonNumber = (column: string) =>
  `coalesce(try_cast(${column} as double), case ${column} when 'true' then 1.0 when 'false' then 0.0 end)`;
/** The value as text, for strings only. */
const jsonText = (column: string) => `(case when left(${column}, 1) = '"' then ${column} ->> '$' end)`;
/** A string parameter as the canonical JSON text DuckDB's reader writes for it. */
const JSON_PARAM = 'to_json(cast(? as varchar))::varchar';

/** DuckDB over canonical JSON text (see the file's header). */
const JSON_FLAVOUR: Flavour = {
  quote: (name) => `"${name.replaceAll('"', '""')}"`,
  dimension: jsonDimension,
  number: jsonNumber,
  filter: jsonFilterSql,
  // Grouped by the JSON text, not the output: "200" and 200 are two groups.
  grouping: (field, ref) => ref(field),
};

function jsonFilterSql(filter: Filter, ref: FieldRef): Fragment {
  const column = ref(filter.field);
  if (filter.op === 'in') {
    const all = filter.value as FilterScalar[];
    const numbers = all.filter((v) => typeof v === 'number' || typeof v === 'boolean').map(Number);
    const strings = all.filter((v): v is string => typeof v === 'string');
    const parts: string[] = [];
    if (numbers.length > 0) parts.push(`${jsonNumber(column)} in (${numbers.map(() => '?').join(', ')})`);
    if (strings.length > 0) parts.push(`${column} in (${strings.map(() => JSON_PARAM).join(', ')})`);
    if (all.includes(null)) parts.push(`${column} is null`);
    return { sql: parts.length > 0 ? parts.join(' or ') : '1 = 0', params: [...numbers, ...strings] };
  }
  const value = filter.value as FilterScalar;
  if (value === null) {
    if (filter.op === '=') return { sql: `${column} is null`, params: [] };
    if (filter.op === '!=') return { sql: `${column} is not null`, params: [] };
    return { sql: '1 = 0', params: [] };
  }
  const isString = typeof value === 'string';
  const param = isString ? value : Number(value);
  if (filter.op === '=' || filter.op === '!=') {
    const equal = isString ? `${column} = ${JSON_PARAM}` : `${jsonNumber(column)} = ?`;
    // `!=` matches every present value that is not equal, of any type, as on SQLite.
    const sql = filter.op === '=' ? equal : `${column} is not null and not coalesce(${equal}, false)`;
    return { sql, params: [param] };
  }
  const operand = isString ? jsonText(column) : jsonNumber(column);
  return { sql: `${operand} ${filter.op} ?`, params: [param] };
}

// ---------------------------------------------------------------------------------------------
// Tables with a time column: the `sql` source.

export type TimeType = 'datetime' | 'epoch_ms' | 'epoch_s';

export interface SqlLogTable {
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
): SqlStatement {
  return compileSelect(query, columnRef(target.dialect), {
    dialect: target.dialect,
    from: quoteName(target.dialect, target.table),
    where: [timeRange(target, window.start.getTime(), window.end.getTime())],
  });
}

/**
 * `compileWindowQuery` compiled once: the SQL text and the query's own values are the same for
 * every window, only the two time bounds (the first parameters) change.
 */
export function windowQueryTemplate(
  target: SqlLogTable,
  query: DeclarativeQuery,
): (window: Window) => SqlStatement {
  const { sql, params } = compileWindowQuery(target, query, {
    start: new Date(0),
    end: new Date(1),
  } as Window);
  const rest = params.slice(2);
  return (window) => ({
    sql,
    params: [...timeBounds(target, window.start.getTime(), window.end.getTime()), ...rest],
  });
}

/**
 * A run of contiguous equal-length windows in one statement: rows carry {@link BUCKET_ALIAS}, the
 * index of their window in `run.windows` (`floor((t - originMs) / sizeMs)`).
 */
export function compileRunQuery(target: SqlLogTable, query: DeclarativeQuery, run: UniformRun): SqlStatement {
  const endMs = run.originMs + run.windows.length * run.sizeMs;
  return compileSelect(query, columnRef(target.dialect), {
    dialect: target.dialect,
    from: quoteName(target.dialect, target.table),
    where: [timeRange(target, run.originMs, endMs)],
    bucket: bucketSql(target, run.originMs, run.sizeMs),
  });
}

function columnRef(dialect: Dialect): FieldRef {
  return (field) => quoteName(dialect, field);
}

/**
 * `[startMs, endMs)` on the time column. On MySQL and PostgreSQL the raw column is compared with
 * bound values, so an index on it is used. SQLite has no DATETIME type: the column holds text in
 * more than one spelling (`2026-11-27 10:00:00.123`, `2026-11-27T10:00:00.123Z`), so it is compared
 * as epoch milliseconds.
 */
export function timeRange(target: SqlLogTable, startMs: number, endMs: number): Fragment {
  const { dialect, timeType } = target;
  const column = quoteName(dialect, target.timeColumn);
  const value = timeType === 'datetime' && dialect === 'sqlite' ? sqliteDatetimeMs(column) : column;
  return { sql: `${value} >= ? and ${value} < ?`, params: timeBounds(target, startMs, endMs) };
}

/** The bounds `timeRange` binds: what the column is compared with on each engine. */
function timeBounds(target: SqlLogTable, startMs: number, endMs: number): unknown[] {
  if (target.timeType === 'epoch_ms') return [startMs, endMs];
  // Whole seconds: a window starting mid-second (never, for windowed's sizes) would round up.
  if (target.timeType === 'epoch_s') return [Math.ceil(startMs / 1000), Math.ceil(endMs / 1000)];
  switch (target.dialect) {
    case 'sqlite':
      return [startMs, endMs];
    case 'mysql':
      // mysql2 (timezone 'Z') sends a Date as 'YYYY-MM-DD HH:MM:SS.mmm' UTC; sessions run in UTC.
      return [new Date(startMs), new Date(endMs)];
    case 'postgres':
      // pg would send a Date in the process's local zone, which a `timestamp without time zone`
      // parameter silently drops; an explicit UTC string is right for timestamp and timestamptz.
      return [new Date(startMs).toISOString(), new Date(endMs).toISOString()];
  }
}

/**
 * The window index of a row: `floor((t - originMs) / sizeMs)`, exact to the millisecond. Integer
 * division throughout (t >= originMs, so truncation is floor): MySQL's decimal `/` rounds to 4
 * places, which would put the last millisecond of a window into the next one.
 */
function bucketSql(target: SqlLogTable, originMs: number, sizeMs: number): Fragment {
  const { dialect, timeType } = target;
  const named = quoteName(dialect, target.timeColumn);
  // Epoch seconds are bucketed as milliseconds: `t * 1000`.
  const column = timeType === 'epoch_s' ? `(${named} * 1000)` : named;
  if (timeType === 'epoch_ms' || timeType === 'epoch_s') {
    switch (dialect) {
      case 'sqlite':
        return {
          sql: `cast((${column} - cast(? as integer)) / cast(? as integer) as integer)`,
          params: [originMs, sizeMs],
        };
      case 'mysql':
        return { sql: `(${column} - ?) div ?`, params: [originMs, sizeMs] };
      case 'postgres':
        return { sql: `div((${column} - ?)::numeric, ?)`, params: [originMs, sizeMs] };
    }
  }
  switch (dialect) {
    case 'sqlite':
      return {
        sql: `cast((${sqliteDatetimeMs(column)} - cast(? as integer)) / cast(? as integer) as integer)`,
        params: [originMs, sizeMs],
      };
    case 'mysql':
      // Session time zone is UTC, so TIMESTAMP columns read as UTC too.
      return {
        sql: `timestampdiff(microsecond, ?, ${column}) div ?`,
        params: [new Date(originMs), sizeMs * 1000],
      };
    case 'postgres':
      // extract(epoch) of a `timestamp` is its UTC reading; round() guards float results on PG < 14.
      return {
        sql: `div(round(extract(epoch from ${column}) * 1000)::numeric - ?, ?)`,
        params: [originMs, sizeMs],
      };
  }
}

/**
 * A SQLite DATETIME value as integer epoch ms: text in any spelling SQLite's date functions read,
 * or a number, which is taken as epoch ms (what knex writes for a JS Date on better-sqlite3).
 */
function sqliteDatetimeMs(column: string): string {
  return `(case when typeof(${column}) in ('integer', 'real') then cast(${column} as integer) else cast(round((julianday(${column}) - 2440587.5) * 86400000) as integer) end)`;
}
