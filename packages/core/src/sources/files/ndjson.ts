import { type Engine, sqlName, sqlString } from './engine.js';
import { fieldColumn } from './fields.js';
import type { ResolvedFileOptions } from './options.js';
import type { RejectsTable, SegmentWriter } from './segments.js';
import { looksLikeTime, recoveredTime, withTime } from './time.js';

/** A line ending DuckDB's line reader never meets in valid JSON: a raw control character. */
const NO_DELIMITER = '\u0001';

/** How an NDJSON file may be read. */
export interface NdjsonRead {
  path: string;
  /** A line is longer than maxLineBytes: DuckDB's JSON reader would hold it whole. */
  tooLong: boolean;
  /** The file starts with a byte-order mark: DuckDB's JSON reader cannot read that first line. */
  bom: boolean;
}

/**
 * Ingests NDJSON into segments holding the time and `fields`.
 *
 * The fast path is DuckDB's JSON reader, one parse per line. A line it cannot read comes back as a
 * row of NULLs, which cannot be told from a line that lacks every field read (both are counted
 * `no_time` at first); when there are such rows, the lines that are not JSON objects are read again,
 * on their own, with their reason and the time they still say (`recoveredTime`), and taken out of
 * `no_time`. Lines too long, a byte-order mark, or field names DuckDB cannot tell apart (they differ
 * only in case) are read line by line instead, with DuckDB's line reader and JSON functions.
 */
export async function ingestNdjson(
  writer: SegmentWriter,
  options: ResolvedFileOptions,
  read: NdjsonRead,
  fields: readonly string[],
): Promise<void> {
  const keys = [options.timeField, ...fields];
  const caseClash = new Set(keys.map((k) => k.toLowerCase())).size < keys.length;
  const columns = fields.map(fieldColumn);
  if (!read.tooLong && !read.bom && !caseClash) {
    // The time as text (a string unquoted, a number as written); the fields as JSON text, typed.
    const types = keys.map((k, i) => `${sqlString(k)}: '${i === 0 ? 'VARCHAR' : 'JSON'}'`).join(', ');
    const raw = `select ${sqlName(options.timeField)} as __t, true as __ok, null::varchar as __rejected${fields
      .map((f, i) => `, ${sqlName(f)}::varchar as ${columns[i]}`)
      .join('')}
      from read_json(${sqlString(read.path)}, format = 'newline_delimited', columns = {${types}}, ignore_errors = true)`;
    const written = await writer.write(withTime(raw, options.timeUnit, columns));
    const suspects = written.unplaced.get('no_time') ?? 0;
    if (suspects === 0) return;
    const invalid = await writeInvalidLines(writer, options, read.path, fields);
    // The two readers agree on what is JSON (both are yyjson); if they ever did not, read line by line.
    if (invalid <= suspects) {
      writer.recount('no_time', invalid);
      return;
    }
    writer.discard();
  }
  await writeLines(writer, options, read.path, fields, 'all');
}

/** The lines that are not JSON objects, as malformed rows; answers how many. */
function writeInvalidLines(
  writer: SegmentWriter,
  options: ResolvedFileOptions,
  path: string,
  fields: readonly string[],
): Promise<number> {
  return writeLines(writer, options, path, fields, 'invalid');
}

async function writeLines(
  writer: SegmentWriter,
  options: ResolvedFileOptions,
  path: string,
  fields: readonly string[],
  which: 'all' | 'invalid',
): Promise<number> {
  const columns = fields.map(fieldColumn);
  const paths = [options.timeField, ...fields].map((k) => sqlString(`$.${JSON.stringify(k)}`)).join(', ');
  const rejects = writer.rejectsTable();
  const object = `json_valid(line) and json_type(line) = 'OBJECT'`;
  const raw =
    which === 'all'
      ? `select case when j is null then ${recoveredTime('line', options.timeField)} else j[1] ->> '$' end as __t,
          j is not null as __ok, null::varchar as __rejected${columns.map((c, i) => `, nullif(j[${i + 2}]::varchar, 'null') as ${c}`).join('')}
        from (select line, case when ${object} then json_extract(line, [${paths}]) end as j
          from ${linesOf(path, options.maxLineBytes, rejects)} where line is not null and trim(line) <> '')`
      : `select ${recoveredTime('line', options.timeField)} as __t, false as __ok, null::varchar as __rejected${columns
          .map((c) => `, null::varchar as ${c}`)
          .join('')}
        from (select line, case when ${object} then true else false end as ok
          from ${linesOf(path, options.maxLineBytes, rejects)} where line is not null and trim(line) <> '')
        where not ok`;
  const written = await writer.write(withTime(raw, options.timeUnit, columns));
  const rejected = await writer.writeRejects(
    rejects,
    (table) =>
      `${withTime(
        `select ${recoveredTime('csv_line', options.timeField)} as __t, false as __ok,
        case when too_long then 'too_long' else 'not_json' end as __rejected${columns.map((c) => `, null::varchar as ${c}`).join('')}
      from ${table}`,
        options.timeUnit,
        columns,
      )}`,
  );
  return written.rows + rejected;
}

/** The file's lines as one VARCHAR column `line`; lines over `maxLineBytes` go to the rejects table. */
function linesOf(path: string, maxLineBytes: number, rejects: RejectsTable): string {
  return `read_csv(${sqlString(path)}, columns = {'line': 'VARCHAR'}, header = false, delim = ${sqlString(NO_DELIMITER)},
      quote = '', escape = '', auto_detect = false, strict_mode = false, ignore_errors = true,
      max_line_size = ${maxLineBytes}, store_rejects = true, rejects_table = ${sqlString(rejects.table)},
      rejects_scan = ${sqlString(rejects.scan)})`;
}

/** Top-level keys of the first lines whose values read as times, most such values first. */
export async function ndjsonTimeFields(
  engine: Engine,
  path: string,
  maxLineBytes: number,
): Promise<string[]> {
  const rows = await engine.all(
    `select j.key as k, count(*) as n from (
       select line from read_csv(${sqlString(path)}, columns = {'line': 'VARCHAR'}, header = false,
         delim = ${sqlString(NO_DELIMITER)}, quote = '', escape = '', auto_detect = false, strict_mode = false,
         ignore_errors = true, max_line_size = ${maxLineBytes})
       where case when json_valid(line) and json_type(line) = 'OBJECT' then true else false end limit 1000) l,
       json_each(l.line) j
     where ${looksLikeTime('j.value::varchar')} group by all order by n desc, k`,
  );
  return rows.map((r) => String(r.k));
}
