import { WindowedError } from '../../errors.js';
import { builtin } from '../../node-builtins.js';
import { BUCKET_ALIAS, compileSelect, type Fragment } from '../../query/sql-compile.js';
import type { DeclarativeQuery, Row } from '../../query/types.js';
import { assertValidQuery, fieldsOf } from '../../query/validate.js';
import { type UniformRun, uniformRuns } from '../../window/runs.js';
import type { Window } from '../../window/types.js';
import { addMalformed, describeMalformed, type MalformedCounts, totalMalformed } from '../malformed.js';
import type { MultiWindowResult, Source, SourceQueryOptions, SourceResult } from '../types.js';
import { CacheDir, type FileEntry, type Manifest, type Segment, sourceCacheDir } from './cache.js';
import { Engine, sqlString } from './engine.js';
import { fieldColumn } from './fields.js';
import { ingestFile } from './ingest.js';
import { type InputFile, listInputs } from './inputs.js';
import { FILE_DEFAULTS, type FileFormat, type ResolvedFileOptions } from './options.js';
import { BAD, TS } from './time.js';

const { join, resolve } = builtin('node:path');

export interface FileSourceOptions {
  path: string;
  timeField?: string;
  timeUnit?: 'ms' | 's';
  cacheDir?: string;
  maxMalformedRatio?: number;
  maxLineBytes?: number;
  memoryLimit?: string;
  threads?: number;
  delimiter?: string;
}

/**
 * Log files — NDJSON, CSV or Parquet — read with DuckDB.
 *
 * Each input file is ingested once into Parquet segments in the cache (`cacheDir`, one folder per
 * source): one column per top-level field holding the value's JSON text (so `"200"` stays a string
 * and `200` a number), the line's time in epoch ms, and for a malformed line its reason. A file that
 * grew in place is ingested from where the last pass stopped; a changed file is ingested again.
 * Queries read the segments that overlap their windows, through an in-memory DuckDB of this
 * process; window boundaries are core's (passed in as numbers), never DuckDB's own truncation.
 */
export function createFileSource(format: FileFormat, options: FileSourceOptions): Source {
  const resolved: ResolvedFileOptions = {
    format,
    path: resolve(options.path),
    timeField: options.timeField ?? FILE_DEFAULTS.timeField,
    timeUnit: options.timeUnit ?? FILE_DEFAULTS.timeUnit,
    cacheDir: resolve(options.cacheDir ?? join(process.cwd(), '.windowed', 'cache')),
    maxMalformedRatio: options.maxMalformedRatio ?? FILE_DEFAULTS.maxMalformedRatio,
    maxLineBytes: options.maxLineBytes ?? FILE_DEFAULTS.maxLineBytes,
    memoryLimit: options.memoryLimit ?? FILE_DEFAULTS.memoryLimit,
    threads: options.threads ?? defaultThreads(),
    ...(options.delimiter ? { delimiter: options.delimiter } : {}),
  };
  return new FileSource(resolved);
}

/**
 * DuckDB's worker threads unless given: the machine's CPUs, at most 4. `node:os` is loaded here
 * rather than at import: a function bundle that never opens a file source does not load it.
 */
function defaultThreads(): number {
  const { cpus } = builtin('node:os');
  return Math.max(1, Math.min(FILE_DEFAULTS.maxThreads, cpus().length));
}

interface Answer {
  rows: Map<string, Row[]>;
  malformed: number;
  malformedByWindow: Map<string, number>;
  malformedReasons: MalformedCounts;
  unplaced: MalformedCounts;
}

class FileSource implements Source {
  readonly type: FileFormat;
  private engine: Promise<Engine> | undefined;
  private readonly cache: CacheDir;

  constructor(private readonly options: ResolvedFileOptions) {
    this.type = options.format;
    this.cache = new CacheDir(
      sourceCacheDir(options.cacheDir, {
        format: options.format,
        path: options.path,
        timeField: options.timeField,
        timeUnit: options.timeUnit,
        maxLineBytes: options.maxLineBytes,
        delimiter: options.delimiter ?? null,
      }),
    );
  }

  describe(): string {
    return `${this.options.format} ${this.options.path}`;
  }

  async query(query: DeclarativeQuery, window: Window, opts: SourceQueryOptions): Promise<SourceResult> {
    const answer = await this.answer(query, [window], opts);
    return {
      rows: answer.rows.get(window.key) ?? [],
      malformed: answer.malformed,
      malformedReasons: answer.malformedReasons,
      unplaced: answer.unplaced,
    };
  }

  async queryMany(
    query: DeclarativeQuery,
    windows: readonly Window[],
    opts: SourceQueryOptions,
  ): Promise<MultiWindowResult> {
    const answer = await this.answer(query, windows, opts);
    return {
      rows: answer.rows,
      malformed: answer.malformed,
      malformedByWindow: answer.malformedByWindow,
      malformedReasons: answer.malformedReasons,
      unplaced: answer.unplaced,
    };
  }

  async close(): Promise<void> {
    const engine = this.engine;
    this.engine = undefined;
    if (engine) (await engine.catch(() => undefined))?.close();
  }

  private open(): Promise<Engine> {
    if (!this.engine) {
      this.engine = Engine.open({ ...this.options, tempDirectory: this.cache.spillDirectory() });
      this.engine.catch(() => {
        this.engine = undefined;
      });
    }
    return this.engine;
  }

  private async answer(
    query: DeclarativeQuery,
    windows: readonly Window[],
    opts: SourceQueryOptions,
  ): Promise<Answer> {
    assertValidQuery(query);
    if (opts.signal.aborted)
      throw new WindowedError('ABORTED', `${this.type} source: the query was aborted before it started.`);
    const fields = fieldsOf(query);
    if (fields.includes(this.options.timeField)) {
      throw new WindowedError(
        'INVALID_QUERY',
        `${this.type} source: the query reads the time field "${this.options.timeField}"; windows already select by time, query other fields.`,
      );
    }
    const engine = await this.open();
    const onAbort = () => engine.interrupt();
    opts.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const manifest = await this.sync(engine, fields, opts);
      return await this.compute(engine, manifest, query, windows);
    } catch (error) {
      if (opts.signal.aborted && !(error instanceof WindowedError))
        throw new WindowedError('ABORTED', `${this.type} source: the query was stopped.`, { cause: error });
      throw error;
    } finally {
      opts.signal.removeEventListener('abort', onAbort);
    }
  }

  /** The manifest after ingesting every input file that is new, changed, grew, or lacks a field. */
  private async sync(engine: Engine, fields: readonly string[], opts: SourceQueryOptions): Promise<Manifest> {
    const inputs = await listInputs(this.options.path, this.options.format, () => Promise.resolve(engine));
    const stale = (manifest: Manifest) =>
      inputs.filter((f) => needsIngest(manifest.files[f.path], f, fields));
    let manifest = this.cache.read();
    const forgotten = (m: Manifest) => Object.keys(m.files).some((p) => !inputs.some((f) => f.path === p));
    if (stale(manifest).length > 0 || forgotten(manifest)) {
      manifest = await this.cache.locked(
        async () => {
          const current = this.cache.read();
          const now = Date.now();
          for (const file of stale(current)) {
            if (opts.signal.aborted)
              throw new WindowedError('ABORTED', `${this.type} source: ingesting was aborted.`);
            const previous = current.files[file.path];
            const started = Date.now();
            const { entry, replaced } = await ingestFile(
              engine,
              this.cache,
              this.options,
              file,
              previous,
              fields,
            );
            current.files[file.path] = entry;
            for (const name of replaced) current.garbage.push({ name, at: now });
            // Written after each file: a long ingest that stops keeps what it finished.
            this.cache.write(current);
            this.logIngested(opts, file, entry, Date.now() - started);
          }
          for (const path of Object.keys(current.files)) {
            if (inputs.some((f) => f.path === path)) continue;
            for (const s of current.files[path]!.segments) current.garbage.push({ name: s.name, at: now });
            delete current.files[path];
          }
          this.cache.write(current);
          return current;
        },
        opts.signal,
        opts.deadline,
      );
    }
    // Only the inputs that exist now: a file removed since is no longer read.
    const files: Record<string, FileEntry> = {};
    for (const f of inputs) if (manifest.files[f.path]) files[f.path] = manifest.files[f.path]!;
    return { ...manifest, files };
  }

  private logIngested(opts: SourceQueryOptions, file: InputFile, entry: FileEntry, ms: number): void {
    const unplaced = totalMalformed(entry.unplaced);
    opts.logger.debug(`${this.type}: ingested`, { file: file.path, bytes: file.size, ms });
    if (unplaced > 0)
      opts.logger.warn(`${this.type}: lines without a usable time are skipped`, {
        file: file.path,
        lines: unplaced,
        why: describeMalformed(entry.unplaced),
      });
  }

  private async compute(
    engine: Engine,
    manifest: Manifest,
    query: DeclarativeQuery,
    windows: readonly Window[],
  ): Promise<Answer> {
    const answer: Answer = {
      rows: new Map(),
      malformed: 0,
      malformedByWindow: new Map(),
      malformedReasons: {},
      unplaced: {},
    };
    const entries = Object.entries(manifest.files);
    this.guardTimes(entries);
    if (windows.length === 0) return answer;
    const from = windows[0]!.start.getTime();
    const to = windows[windows.length - 1]!.end.getTime();
    const read = entries.filter(([, e]) => e.segments.some((s) => overlaps(s, from, to)));
    this.guardRatio(read);
    for (const [, e] of read) addMalformed(answer.unplaced, e.unplaced);
    const segments = read.flatMap(([, e]) => e.segments.filter((s) => overlaps(s, from, to)));
    if (segments.length === 0) return answer;
    const present = new Set(read.flatMap(([, e]) => e.fields));
    const ref = (field: string) => (present.has(field) ? fieldColumn(field) : 'null::varchar');
    // Segments of files ingested with other fields have other columns: matched by name then.
    const sameColumns = read.every(([, e]) => e.fields.join() === read[0]![1].fields.join());
    const relation = `read_parquet([${segments.map((s) => sqlString(this.cache.path(s.name))).join(', ')}]${
      sameColumns ? '' : ', union_by_name = true'
    })`;
    const withMalformed = segments.some((s) => s.placed > 0);
    for (const run of uniformRuns(windows).flatMap((r) => bounded(r, segments))) {
      const end = run.originMs + run.windows.length * run.sizeMs;
      const range: Fragment = { sql: `${TS} >= ? and ${TS} < ?`, params: [run.originMs, end] };
      // One window needs no bucket: an ungrouped query then answers its row of zeros too.
      const single = run.windows.length === 1;
      const statement = compileSelect(query, ref, {
        dialect: 'duckdb',
        from: relation,
        where: [{ sql: `${BAD} is null`, params: [] }, range],
        ...(single ? {} : { bucket: bucket(run) }),
      });
      for (const raw of await engine.all(statement.sql, statement.params)) {
        const window = run.windows[single ? 0 : Number(raw[BUCKET_ALIAS])];
        if (!window) continue;
        delete raw[BUCKET_ALIAS];
        const list = answer.rows.get(window.key);
        if (list) list.push(raw as Row);
        else answer.rows.set(window.key, [raw as Row]);
      }
      if (!withMalformed) continue;
      const b = bucket(run);
      const counted = await engine.all(
        `select ${b.sql} as b, ${BAD} as reason, count(*) as n from ${relation}
         where ${BAD} is not null and ${range.sql} group by all`,
        [...b.params, ...range.params],
      );
      for (const row of counted) {
        const window = run.windows[Number(row.b)];
        if (!window) continue;
        const n = Number(row.n);
        answer.malformed += n;
        answer.malformedByWindow.set(window.key, (answer.malformedByWindow.get(window.key) ?? 0) + n);
        addMalformed(answer.malformedReasons, { [String(row.reason)]: n });
      }
    }
    return answer;
  }

  /** Input that has lines but not one usable time: the time field is wrong, not the logs. */
  private guardTimes(entries: [string, FileEntry][]): void {
    for (const [path, e] of entries) {
      const unplaced = settled(e);
      const placed = e.segments.reduce((n, s) => n + (s.tail ? 0 : s.placed), 0);
      const bad = placed + totalMalformed(unplaced);
      if (bad === 0 || e.segments.some((s) => s.good > 0)) continue;
      const { timeField, timeUnit } = this.options;
      const candidates = (e.timeCandidates ?? []).map((c) => `"${c}"`);
      const hint =
        candidates.length > 0
          ? ` Fields that hold times: ${candidates.join(', ')} — did you mean ${candidates[0]}? Set timeField.`
          : ' No field of its lines holds times; check timeField and the file.';
      const unitHint =
        (unplaced.time_unit ?? 0) > 0
          ? ` Its numeric times look like epoch ${timeUnit === 'ms' ? "seconds: set timeUnit: 's'" : "milliseconds: set timeUnit: 'ms'"}.`
          : '';
      throw new WindowedError(
        'INVALID_CONFIG',
        `${this.type} source: none of the ${bad} line(s) of ${path} has a usable time in field "${timeField}" (${describeMalformed(
          addMalformed({ ...unplaced }, placed ? { not_json: placed } : {}),
        )}).${unitHint}${unitHint ? '' : hint}`,
      );
    }
  }

  /** Files whose share of malformed lines is above `maxMalformedRatio`: their numbers are not trusted. */
  private guardRatio(read: [string, FileEntry][]): void {
    let lines = 0;
    let bad = 0;
    const reasons: MalformedCounts = {};
    for (const [, e] of read) {
      for (const s of e.segments) {
        if (s.tail) continue;
        lines += s.good + s.placed;
        bad += s.placed;
      }
      const unplaced = settled(e);
      lines += totalMalformed(unplaced);
      bad += totalMalformed(unplaced);
      addMalformed(reasons, unplaced);
    }
    if (lines === 0 || bad / lines <= this.options.maxMalformedRatio) return;
    throw new WindowedError(
      'MALFORMED_INPUT',
      `${this.type} source: ${bad} of the ${lines} lines of the files read (${((100 * bad) / lines).toFixed(
        2,
      )}%) are malformed, above maxMalformedRatio ${this.options.maxMalformedRatio}` +
        `${totalMalformed(reasons) > 0 ? ` (without a usable time: ${describeMalformed(reasons)})` : ''}. ` +
        'Fix the input or the source options (timeField, timeUnit), or raise maxMalformedRatio.',
    );
  }
}

/**
 * A file's lines without a usable time, but for its unfinished last line: that one is still being
 * written, so it is reported and counted when complete, never taken as a sign of a broken input.
 */
function settled(e: FileEntry): MalformedCounts {
  const counts: MalformedCounts = { ...e.unplaced };
  for (const [reason, n] of Object.entries(e.tailUnplaced ?? {}) as [keyof MalformedCounts, number][]) {
    const left = (counts[reason] ?? 0) - n;
    if (left > 0) counts[reason] = left;
    else delete counts[reason];
  }
  return counts;
}

function needsIngest(entry: FileEntry | undefined, file: InputFile, fields: readonly string[]): boolean {
  return (
    !entry ||
    entry.size !== file.size ||
    entry.mtimeMs !== file.mtimeMs ||
    fields.some((f) => !entry.fields.includes(f))
  );
}

/**
 * Rows one query reads at most, as the segments' counts estimate them (rows spread evenly over each
 * segment's time range): a long backfill is answered a few hundred windows at a time, so the query's
 * hash tables (distinct values per window) stay small whatever the size of the input.
 */
const ROWS_PER_QUERY = 2_000_000;

function bounded(run: UniformRun, segments: readonly Segment[]): UniformRun[] {
  const from = run.originMs;
  const to = from + run.windows.length * run.sizeMs;
  let rows = 0;
  for (const s of segments) {
    if (s.minTs === null || s.maxTs === null) continue;
    const span = s.maxTs - s.minTs + 1;
    const inside = Math.min(to, s.maxTs + 1) - Math.max(from, s.minTs);
    if (inside > 0) rows += ((s.good + s.placed) * inside) / span;
  }
  const parts = Math.min(run.windows.length, Math.ceil(rows / ROWS_PER_QUERY));
  if (parts <= 1) return [run];
  const per = Math.ceil(run.windows.length / parts);
  const chunks: UniformRun[] = [];
  for (let i = 0; i < run.windows.length; i += per)
    chunks.push({
      originMs: from + i * run.sizeMs,
      sizeMs: run.sizeMs,
      windows: run.windows.slice(i, i + per),
    });
  return chunks;
}

function overlaps(segment: Segment, from: number, to: number): boolean {
  return segment.minTs !== null && segment.maxTs !== null && segment.minTs < to && segment.maxTs >= from;
}

/** The window index of a row: `(t - origin) // size`, with core's window origin and size. */
function bucket(run: UniformRun): Fragment {
  return { sql: `(${TS} - ?::bigint) // ?::bigint`, params: [run.originMs, run.sizeMs] };
}
