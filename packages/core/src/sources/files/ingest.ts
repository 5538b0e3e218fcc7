import { WindowedError } from '../../errors.js';
import { builtin } from '../../node-builtins.js';
import type { MalformedCounts } from '../malformed.js';
import { boundaryHashes, type CacheDir, type FileEntry } from './cache.js';
import { type CsvDialect, csvTimeFields, ingestCsv, sniffCsv } from './csv.js';
import type { Engine } from './engine.js';
import { fieldList } from './fields.js';
import type { InputFile } from './inputs.js';
import { ingestNdjson, ndjsonTimeFields } from './ndjson.js';
import type { ResolvedFileOptions } from './options.js';
import { ingestParquet, parquetTimeFields } from './parquet.js';
import { copyRange, type Scanned, scan } from './scan.js';
import { SegmentWriter } from './segments.js';

const fs = builtin('node:fs');

export interface Ingested {
  entry: FileEntry;
  /** Segments of the previous entry that this one no longer lists. */
  replaced: string[];
}

/**
 * Ingests one input file into Parquet segments, holding the time and `asked` fields (plus what the
 * previous entry held): only the lines appended since the last pass when the file grew in place,
 * everything otherwise.
 *
 * Exactly the bytes `[from, size)` of the file as it was listed are read, so a file that grows while
 * it is read is never counted twice: its complete lines `[from, cut)` are the ingested part, and an
 * unfinished last line (no newline yet) goes to a `tail` segment, read again with what follows it.
 * DuckDB reads the file itself when that is exactly the part (the whole file, ending with a newline,
 * unchanged after the read); otherwise it reads a copy of the part.
 */
export async function ingestFile(
  engine: Engine,
  cache: CacheDir,
  options: ResolvedFileOptions,
  file: InputFile,
  previous: FileEntry | undefined,
  asked: readonly string[],
): Promise<Ingested> {
  const fields = fieldList([...(previous?.fields ?? []), ...asked], options.timeField);
  const base =
    previous !== undefined &&
    options.format !== 'parquet' &&
    file.size >= previous.ingestedBytes &&
    fields.every((f) => previous.fields.includes(f)) &&
    matches(boundaryHashes(file.path, previous.ingestedBytes), previous)
      ? previous
      : undefined;
  const from = base?.ingestedBytes ?? 0;
  const scratch: string[] = [];
  const writer = new SegmentWriter(engine, cache);
  try {
    const scanned: Scanned =
      options.format === 'parquet'
        ? { cut: file.size, bom: false, tooLong: false }
        : scan(file.path, from, file.size, options.maxLineBytes);
    const temporary = (what: string) => {
      const path = cache.temporary(`${what}.${options.format}`);
      scratch.push(path);
      return path;
    };
    let dialect: CsvDialect | undefined = base?.header
      ? { header: base.header, delimiter: base.delimiter ?? ',' }
      : undefined;
    const read = async (path: string, part: 'lines' | 'tail', withHeader: boolean) => {
      if (options.format === 'ndjson')
        return ingestNdjson(writer, options, { path, ...scanned, bom: scanned.bom && withHeader }, fields);
      if (options.format === 'parquet') return ingestParquet(engine, writer, options, path, fields);
      if (!dialect) {
        if (!withHeader || part === 'tail') return; // an unfinished header: nothing to read yet
        dialect = await sniffCsv(engine, path, options.delimiter);
      }
      return ingestCsv(writer, options, path, dialect, withHeader, fields);
    };
    if (scanned.cut > from) {
      const whole = from === 0 && scanned.cut === file.size;
      if (whole) {
        await read(file.path, 'lines', true);
        // Grown or rewritten while DuckDB read it: read a copy of what was listed instead.
        if (changed(file)) {
          writer.discard();
          const copy = temporary('part');
          copyRange(file.path, 0, scanned.cut, copy);
          await read(copy, 'lines', true);
        }
      } else {
        const copy = temporary('part');
        copyRange(file.path, from, scanned.cut, copy);
        await read(copy, 'lines', from === 0);
      }
    }
    if (scanned.cut < file.size) {
      writer.tail = true;
      const copy = temporary('tail');
      copyRange(file.path, scanned.cut, file.size, copy);
      await read(copy, 'tail', scanned.cut === 0);
    }
    const kept = (base?.segments ?? []).filter((s) => !s.tail);
    const segments = [...kept, ...writer.segments];
    const unplaced: MalformedCounts = { ...(base?.unplaced ?? {}) };
    // The previous tail is read again: its unplaced lines are counted again below.
    for (const [reason, n] of Object.entries(base?.tailUnplaced ?? {}) as [keyof MalformedCounts, number][])
      unplaced[reason] = (unplaced[reason] ?? 0) - n;
    const tailUnplaced: MalformedCounts = {};
    for (const [reason, n] of writer.unplaced) unplaced[reason] = (unplaced[reason] ?? 0) + n;
    for (const [reason, n] of writer.tailUnplaced) tailUnplaced[reason] = n;
    for (const reason of Object.keys(unplaced) as (keyof MalformedCounts)[])
      if (!unplaced[reason]) delete unplaced[reason];
    const entry: FileEntry = {
      size: file.size,
      mtimeMs: file.mtimeMs,
      ...boundaryHashes(file.path, scanned.cut),
      ingestedBytes: scanned.cut,
      fields,
      ...(dialect ? { header: dialect.header, delimiter: dialect.delimiter } : {}),
      segments,
      unplaced,
      ...(Object.keys(tailUnplaced).length > 0 ? { tailUnplaced } : {}),
    };
    const lines = segments.reduce((n, s) => n + s.good + s.placed, 0) + total(unplaced);
    if (lines > 0 && segments.every((s) => s.good === 0)) {
      entry.timeCandidates = await timeFields(engine, options, file.path, dialect).catch(() => []);
    }
    writer.commit();
    const replaced = (base ? base.segments.filter((s) => s.tail) : (previous?.segments ?? [])).map(
      (s) => s.name,
    );
    return { entry, replaced };
  } catch (error) {
    writer.abandon();
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

function changed(file: InputFile): boolean {
  const now = fs.statSync(file.path, { throwIfNoEntry: false });
  return !now || now.size !== file.size || now.mtimeMs !== file.mtimeMs;
}

function total(counts: MalformedCounts): number {
  return Object.values(counts).reduce((n: number, v) => n + (v ?? 0), 0);
}

/** Fields of the input whose values read as times: the hint when no line has a usable time. */
function timeFields(
  engine: Engine,
  options: ResolvedFileOptions,
  path: string,
  dialect: CsvDialect | undefined,
): Promise<string[]> {
  switch (options.format) {
    case 'ndjson':
      return ndjsonTimeFields(engine, path, options.maxLineBytes);
    case 'csv':
      return dialect ? csvTimeFields(engine, path, dialect) : Promise.resolve([]);
    case 'parquet':
      return parquetTimeFields(engine, path);
  }
}
