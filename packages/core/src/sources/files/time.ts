/**
 * The time of a line, in SQL over the text of its time value (`2026-11-27T10:00:00Z`,
 * `1795773600000`; a JSON string unquoted, a number as written):
 * - ISO-8601 from a four-digit year (`YYYY-…`), as DuckDB reads a TIMESTAMPTZ: no offset means UTC
 *   (the session is in UTC), a date alone is its midnight, impossible dates such as February 30 are
 *   not times, and words DuckDB would read (`epoch`, `infinity`) are not either;
 * - otherwise a number: epoch milliseconds, or seconds with `timeUnit: 's'`. A number on the wrong
 *   side of 1e11 for the unit (ms: before 1973-03-03; s: after the year 5138) is refused as
 *   `time_unit`: it is almost surely the other unit, and reading it anyway would put every line in 1970.
 */

export const TS = '__windowed_ts';
export const BAD = '__windowed_bad';

/** Epoch ms beyond this either way is not a time (JavaScript's Date range). */
const MAX_MS = 8.64e15;
/** The line between epoch seconds and epoch milliseconds. */
const UNIT_SPLIT = 1e11;

/** `text` read as ISO-8601 (from a four-digit year), in epoch ms, or NULL. */
const isoMs = (text: string) =>
  `epoch_ms(case when substr(${text}, 5, 1) = '-' then try_cast(${text} as timestamptz) end)`;

/**
 * The rows of `raw` with `TS` (epoch ms, or NULL) and `BAD` (the malformed reason, or NULL), then
 * `fields`. `raw` has `__t` (the time value's text, or NULL), `__ok` (the line is a record) and
 * `__rejected` (why it is not, when known).
 */
export function withTime(raw: string, unit: 'ms' | 's', fields: readonly string[]): string {
  const unitOk = unit === 'ms' ? `abs(__num) >= ${UNIT_SPLIT}` : `abs(__num) < ${UNIT_SPLIT}`;
  const scale = unit === 'ms' ? '' : ' * 1000';
  const inRange = `__ms between ${-MAX_MS} and ${MAX_MS}`;
  return `select (case when ${inRange} then __ms::bigint end) as ${TS},
    (case when not __ok then coalesce(__rejected, 'not_json')
          when __t is null then 'no_time'
          when ${inRange} then null
          when __iso is null and __num is not null and not (${unitOk}) then 'time_unit'
          else 'bad_time' end) as ${BAD}${fields.map((f) => `, ${f}`).join('')}
  from (select *, coalesce(__iso::double, case when ${unitOk} then floor(__num${scale}) end) as __ms
    from (select *, ${isoMs('__t')} as __iso,
        case when substr(__t, 5, 1) <> '-' then try_cast(__t as double) end as __num
      from (${raw})))`;
}

/**
 * The text of the time field read out of a line that is not valid JSON (a truncated line, a line
 * too long to parse): such a line is still counted in its time's window.
 */
export function recoveredTime(lineColumn: string, timeField: string): string {
  const key = timeField.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&').replaceAll("'", "''");
  const match = `'"${key}"\\s*:\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|(-?[0-9][0-9.eE+-]*))'`;
  return `coalesce(nullif(regexp_extract(${lineColumn}, ${match}, 1), ''), nullif(regexp_extract(${lineColumn}, ${match}, 2), ''))`;
}

/** True where a JSON value reads as a time (ISO text, or an epoch number): fields to suggest. */
export function looksLikeTime(json: string): string {
  return `(${isoMs(`(case when left(${json}, 1) = '"' then ${json} ->> '$' end)`)} is not null or abs(try_cast(${json} as double)) >= 1e9)`;
}
