import { WindowedError } from '../errors.js';
import type { DeclarativeQuery, Filter, Metric } from './types.js';

/** Field names and result columns: letters, digits and `_`, not starting with a digit. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Columns every sink table has; a metric or group-by field cannot take these names. */
export const RESERVED_COLUMNS = ['job', 'window_start', 'window_end', 'computed_at', 'group_key'] as const;

export const FILTER_OPS = ['=', '!=', '<', '<=', '>', '>=', 'in'] as const;

export function isIdentifier(name: unknown): name is string {
  return typeof name === 'string' && IDENTIFIER.test(name);
}

export function assertIdentifier(name: unknown, where: string): asserts name is string {
  if (!isIdentifier(name)) {
    throw new WindowedError(
      'INVALID_QUERY',
      `${where}: ${JSON.stringify(name)} is not a valid field name; expected letters, digits and _ (not starting with a digit, at most 64 characters).`,
    );
  }
}

/** Fields the query reads from the logs (metric fields, filters, group-by), deduplicated. */
export function fieldsOf(query: DeclarativeQuery): string[] {
  const fields = new Set<string>();
  for (const metric of Object.values(query.metrics)) if ('field' in metric) fields.add(metric.field);
  for (const filter of query.where ?? []) fields.add(filter.field);
  for (const field of query.groupBy ?? []) fields.add(field);
  return [...fields];
}

/** Re-checks a declarative query at the point a source compiles it (defense in depth). */
export function assertValidQuery(query: DeclarativeQuery): void {
  for (const [name, metric] of Object.entries(query.metrics)) {
    assertIdentifier(name, 'metric name');
    assertMetric(metric, name);
  }
  for (const filter of query.where ?? []) assertFilter(filter);
  for (const field of query.groupBy ?? []) assertIdentifier(field, 'groupBy');
}

function assertMetric(metric: Metric, name: string): void {
  if ('field' in metric) assertIdentifier(metric.field, `metric "${name}"`);
}

function assertFilter(filter: Filter): void {
  assertIdentifier(filter.field, 'where');
  if (!(FILTER_OPS as readonly string[]).includes(filter.op)) {
    throw new WindowedError(
      'INVALID_QUERY',
      `where: unknown operator ${JSON.stringify(filter.op)}; expected one of ${FILTER_OPS.join(' ')}.`,
    );
  }
  const values = filter.op === 'in' ? filter.value : [filter.value];
  if (!Array.isArray(values) || (filter.op === 'in' && values.length === 0)) {
    throw new WindowedError(
      'INVALID_QUERY',
      `where ${filter.field} in: expected a non-empty array of values.`,
    );
  }
  for (const value of values) {
    if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
      throw new WindowedError(
        'INVALID_QUERY',
        `where ${filter.field}: values must be strings, numbers, booleans or null.`,
      );
    }
  }
}
