import type { Engine } from './engine.js';
import { sqlString } from './engine.js';
import { fieldColumn, NO_VALUE } from './fields.js';
import type { ResolvedFileOptions } from './options.js';
import type { SegmentWriter } from './segments.js';
import { looksLikeTime, withTime } from './time.js';

/** The header and delimiter of a CSV file: read from its start, kept for the parts appended later. */
export interface CsvDialect {
  header: string[];
  delimiter: string;
}

/** The header's names and the delimiter (the one given, or detected among `,` `;` tab `|`). */
export async function sniffCsv(
  engine: Engine,
  path: string,
  delimiter: string | undefined,
): Promise<CsvDialect> {
  // ignore_errors: a malformed row must not make the sniffer pick another dialect.
  const [sniffed] = await engine.all(
    `select Delimiter as d, to_json(Columns)::varchar as c from sniff_csv(${sqlString(path)}, header = true${
      delimiter ? `, delim = ${sqlString(delimiter)}` : ''
    }, all_varchar = true, ignore_errors = true)`,
  );
  const columns = JSON.parse(String(sniffed?.c ?? '[]')) as Array<{ name?: unknown }>;
  const header = columns.map((c) => String(c.name ?? ''));
  if (header.length === 0 || header.some((n) => n === ''))
    throw new Error(`cannot read the CSV header (${String(sniffed?.c).slice(0, 200)})`);
  return { header, delimiter: delimiter ?? String(sniffed?.d ?? ',') };
}

/**
 * Ingests CSV rows (`withHeader`: the part starts with the header line). CSV has no types: a value
 * written as a JSON number is a number, anything else is text, an empty field is null. Columns are
 * read by position, so header names may repeat (the first wins) or differ only in case.
 */
export async function ingestCsv(
  writer: SegmentWriter,
  options: ResolvedFileOptions,
  path: string,
  dialect: CsvDialect,
  withHeader: boolean,
  fields: readonly string[],
): Promise<void> {
  const { header, delimiter } = dialect;
  const position = positions(header);
  const columns = fields.map(fieldColumn);
  const value = (name: string) => (position.has(name) ? csvJson(`c${position.get(name)}`) : NO_VALUE);
  const rejects = writer.rejectsTable();
  const time = position.get(options.timeField);
  const raw = `select ${time === undefined ? NO_VALUE : `c${time}`} as __t, true as __ok, null::varchar as __rejected${fields
    .map((f, i) => `, ${value(f)} as ${columns[i]}`)
    .join('')}
    from read_csv(${sqlString(path)}, columns = {${header.map((_, i) => `'c${i}': 'VARCHAR'`).join(', ')}},
      header = ${withHeader}, delim = ${sqlString(delimiter)}, auto_detect = false, ignore_errors = true,
      max_line_size = ${options.maxLineBytes}, store_rejects = true, rejects_table = ${sqlString(rejects.table)},
      rejects_scan = ${sqlString(rejects.scan)})`;
  await writer.write(withTime(raw, options.timeUnit, columns));
  // A rejected row's time, read by position (a quoted delimiter before it defeats this: then it has none).
  const recovered =
    time === undefined
      ? NO_VALUE
      : `nullif(trim(string_split(csv_line, ${sqlString(delimiter)})[${time + 1}], ' "\r\n'), '')`;
  await writer.writeRejects(rejects, (table) =>
    withTime(
      `select ${recovered} as __t, false as __ok,
        case when too_long then 'too_long' else 'not_json' end as __rejected${columns.map((c) => `, ${NO_VALUE} as ${c}`).join('')}
      from ${table}`,
      options.timeUnit,
      columns,
    ),
  );
}

/** Header names of the first rows whose values read as times, most such values first. */
export async function csvTimeFields(engine: Engine, path: string, dialect: CsvDialect): Promise<string[]> {
  const position = positions(dialect.header);
  const names = [...position.keys()];
  if (names.length === 0) return [];
  const counts = names.map(
    (n, i) => `count(*) filter (where ${looksLikeTime(csvJson(`c${position.get(n)}`))}) as n${i}`,
  );
  const [row] = await engine.all(
    `select ${counts.join(', ')} from (select * from read_csv(${sqlString(path)}, columns = {${dialect.header
      .map((_, i) => `'c${i}': 'VARCHAR'`)
      .join(
        ', ',
      )}}, header = true, delim = ${sqlString(dialect.delimiter)}, auto_detect = false, ignore_errors = true) limit 1000)`,
  );
  return names
    .map((name, i) => ({ name, n: Number(row?.[`n${i}`] ?? 0) }))
    .filter((c) => c.n > 0)
    .sort((a, b) => b.n - a.n)
    .map((c) => c.name);
}

function positions(header: readonly string[]): Map<string, number> {
  const position = new Map<string, number>();
  header.forEach((h, i) => {
    if (!position.has(h)) position.set(h, i);
  });
  return position;
}

/** CSV has no types: a value written as a JSON number is a number, anything else text, empty is null. */
function csvJson(column: string): string {
  return `(case when ${column} is null then null
    when regexp_full_match(${column}, '-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?') then ${column}
    else to_json(${column})::varchar end)`;
}
