import { assertValidQuery, type DeclarativeQuery, type Filter, WindowedError } from '@windowed/core';

type FilterScalar = Extract<Filter['value'], string | number | boolean | null>;

/**
 * Compiles windowed's declarative query to the CloudWatch Logs Insights query language.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax.html
 *
 * One declarative query becomes one or more Insights queries over the same time range:
 * - a base query: `count(*)`, `sum`, `min`, `max` and approximate `count_distinct`, by the group-by fields;
 * - one query per field with an exact distinct count. `count_distinct` is documented as approximate
 *   at high cardinality, so exact counts group by the field first and count the groups in a second
 *   `stats` (at most two `stats` per query, and the second may only use fields the first defines).
 * Their rows are merged by group (and time bin).
 */

/** Result field holding the time bin in multi-window queries. */
export const BIN_FIELD = 'windowed_bin';
const STAGE_FIELD = 'windowed_n';
const EVENTS_FIELD = 'windowed_events';
const RESERVED = new Set([BIN_FIELD, STAGE_FIELD, EVENTS_FIELD]);

/** Words of the query language; a field with such a name is written in backticks. */
const KEYWORDS = new Set(
  'fields filter stats sort limit parse display dedup unnest lookup join pattern diff anomaly unmask filterindex source by as and or not in like asc desc bin true false null'.split(
    ' ',
  ),
);

export interface InsightsQuery {
  queryString: string;
  /** Metric names this query's rows carry. */
  metrics: string[];
}

export interface CompiledInsights {
  queries: InsightsQuery[];
  /**
   * StartQuery `startTime`/`endTime`: epoch seconds, both inclusive — but converted straight to
   * milliseconds, so `endTime` covers only `endTime * 1000`, not its whole second.
   */
  startTime: number;
  endTime: number;
  groupBy: string[];
  /** Set when rows are per time bin (`bin(...)`), in ms. */
  binMs?: number;
}

export interface CompileOptions {
  /** Group rows by `bin(binMs)` (aligned to the epoch): many windows of this length in one query. */
  binMs?: number;
}

/**
 * The Insights queries answering `query` over `[start, end)`. StartQuery takes epoch seconds and
 * scans `[startTime * 1000, endTime * 1000]` in ms (inclusive, but not of endTime's whole second:
 * https://github.com/aws/aws-sdk/issues/280), so the range is widened to `ceil(end / 1000)` and cut
 * back to exactly `[start, end)` by the first `filter`. `ceil(end / 1000) - 1` would never scan the
 * last second's `.001 … .999`.
 */
export function compileInsightsQuery(
  query: DeclarativeQuery,
  range: { start: Date; end: Date },
  options: CompileOptions = {},
): CompiledInsights {
  assertValidQuery(query);
  const groupBy = query.groupBy ?? [];
  for (const name of [...Object.keys(query.metrics), ...groupBy]) {
    if (RESERVED.has(name)) {
      throw new WindowedError(
        'INVALID_QUERY',
        `"${name}" is reserved by the CloudWatch source; rename the metric or field.`,
      );
    }
  }
  const startMs = range.start.getTime();
  const endMs = range.end.getTime();
  if (!(endMs > startMs))
    throw new WindowedError('INVALID_ARGUMENT', 'The query range must end after it starts.');

  const head = [
    `filter toMillis(@timestamp) >= ${startMs} and toMillis(@timestamp) < ${endMs}`,
    ...(query.where ?? []).map((f) => `filter ${compileFilter(f)}`),
  ];
  const bin =
    options.binMs === undefined ? undefined : `bin(${durationLiteral(options.binMs)}) as ${BIN_FIELD}`;
  const byFirst = [...groupBy.map(ref), ...(bin ? [bin] : [])];
  const bySecond = [...groupBy.map(ref), ...(bin ? [BIN_FIELD] : [])];
  const byClause = (by: string[]) => (by.length ? ` by ${by.join(', ')}` : '');

  const base: string[] = [];
  const baseMetrics: string[] = [];
  const exact = new Map<string, string[]>();
  for (const [name, metric] of Object.entries(query.metrics)) {
    switch (metric.kind) {
      case 'count':
        base.push(`count(*) as ${alias(name)}`);
        baseMetrics.push(name);
        break;
      case 'countDistinct':
        if (metric.approximate) {
          base.push(`count_distinct(${ref(metric.field)}) as ${alias(name)}`);
          baseMetrics.push(name);
        } else exact.set(metric.field, [...(exact.get(metric.field) ?? []), name]);
        break;
      default:
        base.push(`${metric.kind}(${ref(metric.field)}) as ${alias(name)}`);
        baseMetrics.push(name);
    }
  }
  // Grouped rows need every group, including groups whose events lack the distinct field.
  if (base.length === 0 && groupBy.length > 0) base.push(`count(*) as ${EVENTS_FIELD}`);

  const queries: InsightsQuery[] = [];
  if (base.length > 0) {
    queries.push({
      queryString: [...head, `stats ${base.join(', ')}${byClause(byFirst)}`].join('\n| '),
      metrics: baseMetrics,
    });
  }
  for (const [field, names] of exact) {
    const stage1 = `stats count(*) as ${STAGE_FIELD} by ${[ref(field), ...byFirst].join(', ')}`;
    const stage2 = `stats ${names.map((n) => `count(*) as ${alias(n)}`).join(', ')}${byClause(bySecond)}`;
    queries.push({
      queryString: [...head, `filter ispresent(${ref(field)})`, stage1, stage2].join('\n| '),
      metrics: names,
    });
  }
  return {
    queries,
    startTime: Math.floor(startMs / 1000),
    endTime: Math.ceil(endMs / 1000),
    groupBy,
    ...(options.binMs !== undefined ? { binMs: options.binMs } : {}),
  };
}

/** A field reference; names that are words of the language go in backticks. */
export function ref(field: string): string {
  return KEYWORDS.has(field.toLowerCase()) ? `\`${field}\`` : field;
}

const alias = ref;

function compileFilter(filter: Filter): string {
  const field = ref(filter.field);
  if (filter.op === 'in') {
    const values = filter.value as FilterScalar[];
    const present = values.filter((v) => v !== null);
    const parts = [
      ...(present.length ? [`${field} in [${present.map(literal).join(', ')}]`] : []),
      ...(present.length < values.length ? [`not ispresent(${field})`] : []),
    ];
    return parts.length > 1 ? `(${parts.join(' or ')})` : parts[0]!;
  }
  const value = filter.value as FilterScalar;
  if (value === null) {
    if (filter.op === '=') return `not ispresent(${field})`;
    if (filter.op === '!=') return `ispresent(${field})`;
    throw new WindowedError(
      'INVALID_QUERY',
      `where ${filter.field} ${filter.op} null: only = and != compare with null.`,
    );
  }
  return `${field} ${filter.op} ${literal(value)}`;
}

/** A literal: strings are double-quoted with `\` and `"` escaped, never spliced in raw. */
export function literal(value: Exclude<FilterScalar, null>): string {
  if (typeof value === 'number') {
    const text = String(value);
    if (!Number.isFinite(value) || /e/i.test(text)) {
      throw new WindowedError(
        'INVALID_QUERY',
        `The number ${text} cannot be written in a Logs Insights query; use a plain decimal.`,
      );
    }
    return text;
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return `"${value.replace(/[\\"\n\r\t]/g, (c: string) => ESCAPES[c]!)}"`;
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const UNITS: Array<[number, string]> = [
  [86_400_000, 'd'],
  [3_600_000, 'h'],
  [60_000, 'm'],
  [1_000, 's'],
  [1, 'ms'],
];

function durationLiteral(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms <= 0)
    throw new WindowedError('INVALID_ARGUMENT', `Invalid bin size ${ms} ms.`);
  const [size, unit] = UNITS.find(([size]) => ms % size === 0)!;
  return `${ms / size}${unit}`;
}
