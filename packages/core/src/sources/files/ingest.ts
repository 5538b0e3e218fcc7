import * as fs from 'node:fs';
import { WindowedError } from '../../errors.js';
import { IDENTIFIER } from '../../query/validate.js';
import type { MalformedCounts, MalformedReason } from '../malformed.js';
import { boundaryHashes, type CacheDir, type FileEntry, type Segment } from './cache.js';
import { type Engine, sqlName, sqlString } from './engine.js';
import type { InputFile } from './inputs.js';
import type { ResolvedFileOptions } from './options.js';
import { BAD, looksLikeTime, recoveredTime, TS, withTime } from './time.js';

/** Lines read to find an NDJSON file's fields (more are added when a query asks for them). */
const SAMPLE_LINES = 20_000;
/** A line ending DuckDB's line reader never meets in valid JSON: a raw control character. */
const NO_DELIMITER = '\u0001';

export interface Ingested {
  entry: FileEntry;
  /** Segments of the previous entry that this one no longer lists. */
  replaced: string[];
}

/**
 * Ingests one input file into Parquet segments: only what was appended when the file grew in place,
 * everything otherwise. `fields` are fields queries asked for, added to the ones the file has.
 */
export async function ingestFile(
  engine: Engine,
  cache: CacheDir,
  options: ResolvedFileOptions,
  file: InputFile,
  previous: FileEntry | undefined,
  fields: readonly string[],
): Promise<Ingested> {
  const appendable =
    previous !== undefined &&
    options.format !== 'parquet' &&
    previous.endsWithNewline &&
    file.size > previous.ingestedBytes &&
    fields.every((f) => previous.fields.includes(f)) &&
    matches(boundaryHashes(file.path, previous.ingestedBytes), previous);
  const from = appendable ? previous.ingestedBytes : 0;
  const scratch: string[] = [];
  try {
    let path = file.path;
    let scan: Prescan | undefined;
    if (options.format !== 'parquet') {
      if (from > 0) {
        path = cache.temporary(`part.${options.format}`);
        scratch.push(path);
      }
      scan = prescan(file.path, from, file.size, options.maxLineBytes, from > 0 ? path : undefined);
    }
    const reader = new SegmentWriter(engine, cache, scratch);
    const base = appendable ? previous : undefined;
    let written: { fields: string[]; header?: string[]; delimiter?: string };
    switch (options.format) {
      case 'ndjson':
        written = await ingestNdjson(engine, reader, options, path, scan!, base, fields);
        break;
      case 'csv':
        written = await ingestCsv(engine, reader, options, path, from > 0, base, fields);
        break;
      case 'parquet':
        written = await ingestParquet(engine, reader, options, path, fields);
        break;
    }
    const segments = [...(base?.segments ?? []), ...reader.segments];
    const unplaced: MalformedCounts = { ...(base?.unplaced ?? {}) };
    for (const [reason, n] of reader.unplaced) unplaced[reason] = (unplaced[reason] ?? 0) + n;
    const entry: FileEntry = {
      size: file.size,
      mtimeMs: file.mtimeMs,
      ...boundaryHashes(file.path, file.size),
      ingestedBytes: file.size,
      endsWithNewline: scan?.endsWithNewline ?? false,
      fields: written.fields,
      ...(written.header ? { header: written.header } : {}),
      ...(written.delimiter ? { delimiter: written.delimiter } : {}),
      segments,
      unplaced,
    };
    if (
      segments.every((s) => s.good === 0) &&
      reader.unplacedTotal() + segments.reduce((n, s) => n + s.placed, 0) > 0
    )
      entry.timeCandidates = await timeCandidates(
        engine,
        // The new segments are still under their temporary names until `commit`.
        [...(base?.segments ?? []).map((s) => cache.path(s.name)), ...reader.writtenPaths()],
        written.fields,
      );
    reader.commit();
    const replaced = appendable ? [] : (previous?.segments ?? []).map((s) => s.name);
    return { entry, replaced };
  } catch (error) {
    if (error instanceof WindowedError) throw error;
    throw new WindowedError(
      'SOURCE_FAILED',
      `${options.format} source: could not read ${file.path}: ${(error as Error)?.message ?? error}`,
      { cause: error },
    );
  } finally {
    for (const path of scratch) fs.rmSync(path, { force: true });
  }
}

function matches(hashes: { headHash: string; endHash: string }, entry: FileEntry): boolean {
  return hashes.headHash === entry.headHash && hashes.endHash === entry.endHash;
}

// ---------------------------------------------------------------------------------------------
// Formats

async function ingestNdjson(
  engine: Engine,
  writer: SegmentWriter,
  options: ResolvedFileOptions,
  path: string,
  scan: Prescan,
  base: FileEntry | undefined,
  asked: readonly string[],
): Promise<{ fields: string[] }> {
  const keys = base ? base.fields : await sampleKeys(engine, path, options.maxLineBytes);
  const fields = fieldList(keys, asked, options.timeField);
  // The fast path, DuckDB's JSON reader, when no line is too long and there is no byte-order mark
  // (the reader would fail on that first line): a line it cannot read comes back as a row of NULLs,
  // which cannot be told from `{}`, so a file with such rows is read again line by line.
  // DuckDB's names are case-insensitive: keys that differ only in case (`Path`, `path`) cannot be
  // columns of one read, so such files are read line by line.
  const keysOfRead = [options.timeField, ...fields];
  const caseClash = new Set(keysOfRead.map((k) => k.toLowerCase())).size < keysOfRead.length;
  if (!scan.tooLong && !scan.bom && !caseClash) {
    const columns = keysOfRead.map((k) => `${sqlString(k)}: 'JSON'`).join(', ');
    const allNull = keysOfRead.map((k) => `${sqlName(k)} is null`).join(' and ');
    const raw = `select ${sqlName(options.timeField)}::varchar as __t, not (${allNull}) as __ok,
        null::varchar as __rejected${fields.map((f) => `, ${sqlName(f)}::varchar as ${fieldColumn(f)}`).join('')}
      from read_json(${sqlString(path)}, format = 'newline_delimited', columns = {${columns}}, ignore_errors = true)`;
    const summary = await writer.write(withTime(raw, options.timeUnit, fields.map(fieldColumn)));
    if (summary.notJson === 0) return { fields };
    writer.discardLast();
  }
  const paths = keysOfRead.map((k) => sqlString(`$.${JSON.stringify(k)}`)).join(', ');
  const rejects = writer.rejectsTable();
  const raw = `select case when j is null then ${recoveredTime('line', options.timeField)} else nullif(j[1]::varchar, 'null') end as __t,
      j is not null as __ok, null::varchar as __rejected${fields.map((f, i) => `, nullif(j[${i + 2}]::varchar, 'null') as ${fieldColumn(f)}`).join('')}
    from (select line, case when json_valid(line) and json_type(line) = 'OBJECT'
            then json_extract(line, [${paths}]) end as j
          from ${linesOf(path, options.maxLineBytes, rejects)}
          where line is not null and trim(line) <> '')`;
  await writer.write(withTime(raw, options.timeUnit, fields.map(fieldColumn)));
  await writer.writeRejects(rejects, recoveredTime('csv_line', options.timeField), options, fields);
  return { fields };
}

/** The file's lines as one VARCHAR column `line`; lines over `maxLineBytes` go to the rejects table. */
function linesOf(path: string, maxLineBytes: number, rejects: RejectsTable): string {
  return `read_csv(${sqlString(path)}, columns = {'line': 'VARCHAR'}, header = false, delim = ${sqlString(NO_DELIMITER)},
      quote = '', escape = '', auto_detect = false, strict_mode = false, ignore_errors = true,
      max_line_size = ${maxLineBytes}, store_rejects = true, rejects_table = ${sqlString(rejects.table)},
      rejects_scan = ${sqlString(rejects.scan)})`;
}

async function sampleKeys(engine: Engine, path: string, maxLineBytes: number): Promise<string[]> {
  const rows = await engine.all(
    `select distinct unnest(json_keys(line)) as k from (
       select line from read_csv(${sqlString(path)}, columns = {'line': 'VARCHAR'}, header = false,
         delim = ${sqlString(NO_DELIMITER)}, quote = '', escape = '', auto_detect = false, strict_mode = false,
         ignore_errors = true, max_line_size = ${maxLineBytes})
       where json_valid(line) and json_type(line) = 'OBJECT' limit ${SAMPLE_LINES})`,
  );
  return rows.map((r) => String(r.k));
}

async function ingestCsv(
  engine: Engine,
  writer: SegmentWriter,
  options: ResolvedFileOptions,
  path: string,
  appended: boolean,
  base: FileEntry | undefined,
  asked: readonly string[],
): Promise<{ fields: string[]; header: string[]; delimiter: string }> {
  let header = base?.header;
  // An appended part has no header line: the delimiter and header are the ones read before.
  let delimiter = base?.delimiter ?? options.delimiter;
  if (!header) {
    // ignore_errors: a malformed row must not make the sniffer pick another dialect.
    const sniffed = await engine.all(
      `select Delimiter as d, to_json(Columns)::varchar as c from sniff_csv(${sqlString(path)}, header = true${
        delimiter ? `, delim = ${sqlString(delimiter)}` : ''
      }, all_varchar = true, ignore_errors = true)`,
    );
    delimiter ??= String(sniffed[0]?.d ?? ',');
    header = parseSniffedColumns(sniffed[0]?.c);
  }
  delimiter ??= ',';
  // Columns by position (c0, c1, …): header names may differ only in case, or repeat (the first wins).
  const position = new Map<string, number>();
  header.forEach((h, i) => {
    if (!position.has(h)) position.set(h, i);
  });
  const fields = fieldList(
    header.filter((h) => IDENTIFIER.test(h)),
    asked,
    options.timeField,
  );
  const columns = header.map((_, i) => `'c${i}': 'VARCHAR'`).join(', ');
  const rejects = writer.rejectsTable();
  const value = (h: string) => (position.has(h) ? csvJson(`c${position.get(h)}`) : 'null::varchar');
  const raw = `select ${value(options.timeField)} as __t, true as __ok, null::varchar as __rejected${fields
    .map((f) => `, ${value(f)} as ${fieldColumn(f)}`)
    .join('')}
    from read_csv(${sqlString(path)}, columns = {${columns}}, header = ${!appended}, delim = ${sqlString(delimiter)},
      auto_detect = false, ignore_errors = true, max_line_size = ${options.maxLineBytes}, store_rejects = true,
      rejects_table = ${sqlString(rejects.table)}, rejects_scan = ${sqlString(rejects.scan)})`;
  await writer.write(withTime(raw, options.timeUnit, fields.map(fieldColumn)));
  // A rejected row's time, read by position (a quoted delimiter before it defeats this: then it has none).
  const at = position.get(options.timeField);
  const recovered =
    at === undefined
      ? 'null::varchar'
      : csvJson(`nullif(trim(string_split(csv_line, ${sqlString(delimiter)})[${at + 1}], ' "\r\n'), '')`);
  await writer.writeRejects(rejects, recovered, options, fields);
  return { fields, header, delimiter };
}

/** `sniff_csv`'s Columns as JSON: `[{"name": …, "type": …}, …]`. */
function parseSniffedColumns(value: unknown): string[] {
  const columns = JSON.parse(String(value ?? '[]')) as Array<{ name?: unknown }>;
  const names = columns.map((c) => String(c.name ?? ''));
  if (names.length === 0 || names.some((n) => n === ''))
    throw new Error(`cannot read the CSV header (${String(value).slice(0, 200)})`);
  return names;
}

/** CSV has no types: a value written as a JSON number is a number, anything else text, empty is null. */
function csvJson(column: string): string {
  return `(case when ${column} is null then null
    when regexp_full_match(${column}, '-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?') then ${column}
    else to_json(${column})::varchar end)`;
}

async function ingestParquet(
  engine: Engine,
  writer: SegmentWriter,
  options: ResolvedFileOptions,
  path: string,
  asked: readonly string[],
): Promise<{ fields: string[] }> {
  const described = await engine.all(`describe select * from read_parquet(${sqlString(path)})`);
  const names = described.map((r) => String(r.column_name));
  const present = new Set(names);
  const fields = fieldList(
    names.filter((n) => IDENTIFIER.test(n)),
    asked,
    options.timeField,
  );
  const value = (n: string) => (present.has(n) ? `to_json(${sqlName(n)})::varchar` : 'null::varchar');
  const raw = `select ${value(options.timeField)} as __t, true as __ok, null::varchar as __rejected${fields
    .map((f) => `, ${value(f)} as ${fieldColumn(f)}`)
    .join('')} from read_parquet(${sqlString(path)})`;
  await writer.write(withTime(raw, options.timeUnit, fields.map(fieldColumn)));
  return { fields };
}

/**
 * A field's column in the segments: its name in hex, so that names differing only in case (DuckDB's
 * names are case-insensitive) are two columns, and no field can take a name windowed uses.
 */
export function fieldColumn(field: string): string {
  return `"f_${Buffer.from(field, 'utf8').toString('hex')}"`;
}

/** The file's queryable fields, the ones queries asked for, without the time field. */
function fieldList(keys: readonly string[], asked: readonly string[], timeField: string): string[] {
  const fields = new Set<string>();
  for (const k of [...keys, ...asked]) if (k !== timeField && IDENTIFIER.test(k)) fields.add(k);
  return [...fields].sort();
}

/** The fields of the segment files whose values read as times, most such values first. */
async function timeCandidates(
  engine: Engine,
  files: readonly string[],
  fields: readonly string[],
): Promise<string[]> {
  if (fields.length === 0 || files.length === 0) return [];
  const counts = fields.map((f, i) => `count(*) filter (where ${looksLikeTime(fieldColumn(f))}) as c${i}`);
  const list = files.map(sqlString).join(', ');
  const [row] = await engine.all(
    `select ${counts.join(', ')} from read_parquet([${list}], union_by_name = true)`,
  );
  return fields
    .map((f, i) => ({ f, n: Number(row?.[`c${i}`] ?? 0) }))
    .filter((c) => c.n > 0)
    .sort((a, b) => b.n - a.n)
    .map((c) => c.f);
}

// ---------------------------------------------------------------------------------------------
// Writing segments

interface RejectsTable {
  table: string;
  scan: string;
}

let rejectsCounter = 0;

/** Writes segments under temporary names; `commit` renames them into place. */
class SegmentWriter {
  readonly segments: Segment[] = [];
  readonly unplaced = new Map<MalformedReason, number>();
  private readonly pending: { temporary: string; name: string; unplaced: Map<MalformedReason, number> }[] =
    [];

  constructor(
    private readonly engine: Engine,
    private readonly cache: CacheDir,
    private readonly scratch: string[],
  ) {}

  rejectsTable(): RejectsTable {
    rejectsCounter++;
    return { table: `windowed_rejects_${rejectsCounter}`, scan: `windowed_rejects_scan_${rejectsCounter}` };
  }

  /** `COPY (select) TO` a new segment; answers how many of its lines are `not_json`. */
  async write(select: string): Promise<{ notJson: number }> {
    const name = this.cache.segmentName();
    const temporary = this.cache.temporary(name);
    this.scratch.push(temporary);
    await this.engine.all(`copy (${select}) to ${sqlString(temporary)} (format parquet, compression snappy)`);
    const rows = await this.engine.all(
      `select ${BAD} as bad, ${TS} is null as unplaced, count(*) as n, min(${TS}) as lo, max(${TS}) as hi
       from read_parquet(${sqlString(temporary)}) group by all`,
    );
    const segment: Segment = { name, good: 0, placed: 0, minTs: null, maxTs: null };
    const unplaced = new Map<MalformedReason, number>();
    let notJson = 0;
    for (const row of rows) {
      const n = Number(row.n);
      if (row.bad === 'not_json') notJson += n;
      if (row.unplaced) {
        const reason = String(row.bad) as MalformedReason;
        unplaced.set(reason, (unplaced.get(reason) ?? 0) + n);
        continue;
      }
      if (row.bad === null) segment.good += n;
      else segment.placed += n;
      const lo = Number(row.lo);
      const hi = Number(row.hi);
      segment.minTs = segment.minTs === null ? lo : Math.min(segment.minTs, lo);
      segment.maxTs = segment.maxTs === null ? hi : Math.max(segment.maxTs, hi);
    }
    this.segments.push(segment);
    this.pending.push({ temporary, name, unplaced });
    for (const [reason, n] of unplaced) this.unplaced.set(reason, (this.unplaced.get(reason) ?? 0) + n);
    return { notJson };
  }

  /** Forgets the last segment written (the file is read again another way). */
  discardLast(): void {
    const last = this.pending.pop();
    this.segments.pop();
    if (!last) return;
    for (const [reason, n] of last.unplaced) this.unplaced.set(reason, (this.unplaced.get(reason) ?? 0) - n);
    fs.rmSync(last.temporary, { force: true });
  }

  /** Lines DuckDB's reader rejected (too long, not a row): a segment of malformed lines, if any. */
  async writeRejects(
    rejects: RejectsTable,
    recovered: string,
    options: ResolvedFileOptions,
    fields: readonly string[],
  ): Promise<void> {
    try {
      const [count] = await this.engine.all(`select count(*) as n from ${sqlName(rejects.table)}`);
      if (Number(count?.n ?? 0) === 0) return;
      // One row per rejected line (a line with several errors is listed once per error).
      const raw = `select ${recovered} as __t, false as __ok,
          case when too_long then 'too_long' else 'not_json' end as __rejected${fields
            .map((f) => `, null::varchar as ${fieldColumn(f)}`)
            .join('')}
        from (select any_value(csv_line) as csv_line, bool_or(error_type = 'LINE SIZE OVER MAXIMUM') as too_long
          from ${sqlName(rejects.table)} group by scan_id, file_id, line)`;
      await this.write(withTime(raw, options.timeUnit, fields.map(fieldColumn)));
    } finally {
      await this.engine.all(`drop table if exists ${sqlName(rejects.table)}`);
      await this.engine.all(`drop table if exists ${sqlName(rejects.scan)}`);
    }
  }


  /** The files of the segments written and not yet committed. */
  writtenPaths(): string[] {
    return this.pending.map((p) => p.temporary);
  }

  unplacedTotal(): number {
    let n = 0;
    for (const v of this.unplaced.values()) n += v;
    return n;
  }

  commit(): void {
    for (const { temporary, name } of this.pending) fs.renameSync(temporary, this.cache.path(name));
    this.pending.length = 0;
  }
}

// ---------------------------------------------------------------------------------------------
// A pass over the bytes before DuckDB reads them

interface Prescan {
  /** A line longer than `maxLineBytes`: DuckDB's JSON reader would hold it whole. */
  tooLong: boolean;
  /** A UTF-8 byte-order mark at the start. */
  bom: boolean;
  endsWithNewline: boolean;
}

const CHUNK = 1 << 20;

/**
 * Reads `[from, to)` once: line lengths, a byte-order mark, the last byte; with `copyTo`, also
 * copies the range there (an appended part, read by DuckDB as a file of its own).
 */
function prescan(path: string, from: number, to: number, maxLineBytes: number, copyTo?: string): Prescan {
  const result: Prescan = { tooLong: false, bom: false, endsWithNewline: to === from };
  const fd = fs.openSync(path, 'r');
  const out = copyTo ? fs.openSync(copyTo, 'w') : undefined;
  try {
    const buffer = Buffer.allocUnsafe(CHUNK);
    let lineLength = 0;
    let position = from;
    let last = -1;
    while (position < to) {
      const n = fs.readSync(fd, buffer, 0, Math.min(CHUNK, to - position), position);
      if (n === 0) break;
      if (out !== undefined) fs.writeSync(out, buffer, 0, n);
      if (position === 0 && n >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf)
        result.bom = true;
      let start = 0;
      for (let nl = buffer.indexOf(10, 0); nl >= 0 && nl < n; nl = buffer.indexOf(10, start)) {
        if (lineLength + nl - start > maxLineBytes) result.tooLong = true;
        lineLength = 0;
        start = nl + 1;
      }
      lineLength += n - start;
      if (lineLength > maxLineBytes) result.tooLong = true;
      last = buffer[n - 1]!;
      position += n;
    }
    if (last >= 0) result.endsWithNewline = last === 10;
  } finally {
    fs.closeSync(fd);
    if (out !== undefined) fs.closeSync(out);
  }
  return result;
}
