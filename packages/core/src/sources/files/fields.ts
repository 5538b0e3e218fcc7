import { IDENTIFIER } from '../../query/validate.js';

/**
 * A field's column in the segments: its name in hex, so that names differing only in case (DuckDB's
 * names are case-insensitive) are two columns, and no field can take a name windowed uses.
 */
export function fieldColumn(field: string): string {
  return `"f_${Buffer.from(field, 'utf8').toString('hex')}"`;
}

/** The fields a segment holds: the ones queries asked for, sorted, without the time field. */
export function fieldList(asked: readonly string[], timeField: string): string[] {
  return [...new Set(asked.filter((f) => f !== timeField && IDENTIFIER.test(f)))].sort();
}

/** `null` typed as text, for a field the input lacks. */
export const NO_VALUE = 'null::varchar';
