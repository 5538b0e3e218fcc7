import {
  assertValidQuery,
  type DeclarativeQuery,
  type Filter,
  isIdentifier,
  type Metric,
  WindowedError,
} from '@windowed/core';

type FilterScalar = string | number | boolean | null;

/** The column the multi-window query groups by: seconds since the epoch of the window's start. */
export const WINDOW_START_COLUMN = 'window_start';

/**
 * SLS returns 100 rows of an analytic query unless told otherwise, and at most 1,000,000: "If you
 * use LIMIT x, the valid values of x are [0,1000000]". More rows are dropped without an error.
 * https://www.alibabacloud.com/help/en/sls/limit-clause
 */
export const SLS_MAX_ROWS = 1_000_000;

/**
 * Runs the analytic statement on Dedicated SQL: "If you add set session parallel_sql=true; to the
 * analytic statement in the query parameter, Dedicated SQL is used" (GetLogsV2, `query`).
 * https://www.alibabacloud.com/help/en/sls/developer-reference/api-sls-2020-12-30-getlogsv2
 */
const DEDICATED_SQL = 'set session parallel_sql=true; ';

export interface SlsCompileOptions {
  /** The search statement before `|`. Default `*`. */
  search?: string;
  /** A field holding epoch seconds that decides window membership instead of `__time__`. */
  timeField?: string;
  /** The `LIMIT` of a grouped statement. Default (and maximum) 1,000,000. */
  maxRows?: number;
  /** Prefix the SQL with `set session parallel_sql=true;`. */
  dedicatedSql?: boolean;
}

/** A query for one window: send `query` with `from`/`to` (epoch seconds, `[from, to)`). */
export interface SlsStatement {
  query: string;
  from: number;
  to: number;
}

/** `'it''s'`: SLS SQL string literals are single-quoted, a quote is written twice. */
export function slsString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** `"user_id"`: double quotes name a field. Only validated identifiers get here. */
export function slsField(name: string): string {
  if (!isIdentifier(name)) {
    throw new WindowedError(
      'INVALID_QUERY',
      `${JSON.stringify(name)} is not a valid field name; expected letters, digits and _ (not starting with a digit).`,
    );
  }
  return `"${name}"`;
}

/** Epoch seconds of a window edge. SLS log time has second precision; anything finer is refused. */
export function toSlsSeconds(date: Date, edge: string): number {
  const ms = date.getTime();
  if (!Number.isFinite(ms) || ms % 1000 !== 0) {
    throw new WindowedError(
      'INVALID_ARGUMENT',
      `The window ${edge} ${Number.isFinite(ms) ? date.toISOString() : String(date)} is not a whole second: ` +
        'SLS log time (__time__) has second precision, so an SLS source can only answer windows whose edges are whole seconds.',
    );
  }
  return ms / 1000;
}

/** The statement for one window `[start, end)`. */
export function compileSlsQuery(
  query: DeclarativeQuery,
  window: { start: Date; end: Date },
  options: SlsCompileOptions = {},
): SlsStatement {
  assertValidQuery(query);
  const from = toSlsSeconds(window.start, 'start');
  const to = toSlsSeconds(window.end, 'end');
  const groupBy = query.groupBy ?? [];
  const select = [...groupBy.map(slsField), ...metricList(query)];
  const where = whereClause(query, options, from, to);
  let sql = `SELECT ${select.join(', ')}${where}`;
  if (groupBy.length > 0) sql += ` GROUP BY ${groupBy.map(slsField).join(', ')} LIMIT ${rowLimit(options)}`;
  return { query: statement(options, sql), from, to };
}

/**
 * One statement for windows of one size laid end to end from `originSec`: logs are bucketed by
 * `t - (t - origin) % size`, the start of the window they fall in. The result has a
 * `window_start` column (epoch seconds) besides the group-by fields and metrics.
 */
export function compileSlsMultiQuery(
  query: DeclarativeQuery,
  run: { originSec: number; sizeSec: number; from: number; to: number },
  options: SlsCompileOptions = {},
): SlsStatement {
  assertValidQuery(query);
  const { originSec, sizeSec, from, to } = run;
  for (const [name, value] of Object.entries({ originSec, sizeSec, from, to })) {
    if (!Number.isSafeInteger(value)) {
      throw new WindowedError(
        'INVALID_ARGUMENT',
        `SLS multi-window query: ${name} must be whole seconds, got ${value}.`,
      );
    }
  }
  if (sizeSec <= 0)
    throw new WindowedError(
      'INVALID_ARGUMENT',
      `SLS multi-window query: the window size must be positive, got ${sizeSec}s.`,
    );
  const t = timeExpression(options);
  const bucket = `${t} - (${t} - ${originSec}) % ${sizeSec}`;
  const groupBy = query.groupBy ?? [];
  const select = [`${bucket} AS ${WINDOW_START_COLUMN}`, ...groupBy.map(slsField), ...metricList(query)];
  const where = whereClause(query, options, from, to);
  const keys = [WINDOW_START_COLUMN, ...groupBy.map(slsField)];
  const sql = `SELECT ${select.join(', ')}${where} GROUP BY ${keys.join(', ')} LIMIT ${rowLimit(options)}`;
  return { query: statement(options, sql), from, to };
}

/** `search | [set session parallel_sql=true; ]SELECT …` */
function statement(options: SlsCompileOptions, sql: string): string {
  return `${searchPart(options)} | ${options.dedicatedSql ? DEDICATED_SQL : ''}${sql}`;
}

function rowLimit(options: SlsCompileOptions): number {
  const limit = options.maxRows ?? SLS_MAX_ROWS;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > SLS_MAX_ROWS) {
    throw new WindowedError(
      'INVALID_ARGUMENT',
      `SLS maxRows must be a whole number from 1 to ${SLS_MAX_ROWS} (SLS's largest LIMIT), got ${limit}.`,
    );
  }
  return limit;
}

function searchPart(options: SlsCompileOptions): string {
  const search = (options.search ?? '*').trim() || '*';
  if (search.includes('|')) {
    throw new WindowedError(
      'INVALID_CONFIG',
      'The SLS source\'s `query` is the search statement only (the part before "|", e.g. `*` or `status: 200`); windowed writes the SQL part from the job\'s query.',
    );
  }
  return search;
}

function timeExpression(options: SlsCompileOptions): string {
  return options.timeField ? `try_cast(${slsField(options.timeField)} AS bigint)` : '__time__';
}

function metricList(query: DeclarativeQuery): string[] {
  return Object.entries(query.metrics).map(
    ([name, metric]) => `${metricExpression(metric)} AS ${slsField(name)}`,
  );
}

function metricExpression(metric: Metric): string {
  switch (metric.kind) {
    case 'count':
      return 'count(*)';
    case 'countDistinct':
      // approx_distinct has ~2.3% standard error; count(DISTINCT) is exact and costs more.
      return metric.approximate
        ? `approx_distinct(${slsField(metric.field)})`
        : `count(DISTINCT ${slsField(metric.field)})`;
    case 'sum':
    case 'min':
    case 'max':
      // Fields are text unless indexed as long/double; try_cast reads both and skips junk as null.
      return `${metric.kind}(${numeric(metric.field)})`;
  }
}

function numeric(field: string): string {
  return `try_cast(${slsField(field)} AS double)`;
}

function whereClause(query: DeclarativeQuery, options: SlsCompileOptions, from: number, to: number): string {
  const conditions = (query.where ?? []).map(filterExpression);
  if (options.timeField) {
    // The API's from/to range still applies to __time__; this keeps the field's own window exact.
    const t = timeExpression(options);
    conditions.unshift(`${t} >= ${from} AND ${t} < ${to}`);
  }
  return conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';
}

function filterExpression(filter: Filter): string {
  const field = filter.field;
  if (filter.op === 'in') {
    const values = filter.value as FilterScalar[];
    const parts: string[] = [];
    const strings = values.filter(
      (v): v is string | boolean => typeof v === 'string' || typeof v === 'boolean',
    );
    const numbers = values.filter((v): v is number => typeof v === 'number');
    if (strings.length)
      parts.push(`${slsField(field)} IN (${strings.map((v) => slsString(String(v))).join(', ')})`);
    if (numbers.length)
      parts.push(`${numeric(field)} IN (${numbers.map((v) => numberLiteral(v, field)).join(', ')})`);
    if (values.includes(null)) parts.push(`${slsField(field)} IS NULL`);
    return parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
  }
  const value = filter.value as FilterScalar;
  if (value === null) {
    if (filter.op === '=') return `${slsField(field)} IS NULL`;
    if (filter.op === '!=') return `${slsField(field)} IS NOT NULL`;
    throw new WindowedError(
      'INVALID_QUERY',
      `where ${field} ${filter.op} null: only = and != can compare with null.`,
    );
  }
  const op = filter.op === '!=' ? '<>' : filter.op;
  if (typeof value === 'number') return `${numeric(field)} ${op} ${numberLiteral(value, field)}`;
  return `${slsField(field)} ${op} ${slsString(String(value))}`;
}

function numberLiteral(value: number, field: string): string {
  if (!Number.isFinite(value)) {
    throw new WindowedError('INVALID_QUERY', `where ${field}: ${value} is not a finite number.`);
  }
  // A bare integer would be a bigint; comparing with a double needs no cast either way.
  return Number.isInteger(value) && Math.abs(value) < 1e15 ? String(value) : value.toExponential();
}
