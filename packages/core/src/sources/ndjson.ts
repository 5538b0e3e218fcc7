import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import type { SqlStatement } from '../db/client.js';
import { WindowedError } from '../errors.js';
import type { Logger } from '../logger.js';
import { BUCKET_ALIAS, compileSelect, type FieldRef } from '../query/sql-compile.js';
import type { DeclarativeQuery, Row } from '../query/types.js';
import { assertValidQuery } from '../query/validate.js';
import type { Window } from '../window/types.js';
import type { MultiWindowResult, Source, SourceQueryOptions, SourceResult } from './types.js';

export interface NdjsonSourceOptions {
  /** A file, or a folder: every `*.ndjson`, `*.jsonl`, `*.json` and `*.log` file in it, recursively. */
  path: string;
  /** The field holding each line's time: ISO-8601 text or epoch milliseconds. Default `time`. */
  timeField?: string;
  /** Where the index lives. Default `.windowed/cache` under the working directory. */
  cacheDir?: string;
}

/**
 * Newline-delimited JSON logs, the embedded default source.
 *
 * The input is indexed once into a SQLite file in `cacheDir` (one per input path and time field):
 * each line becomes a row keyed by its time, with one column per top-level field. A file is
 * re-indexed only when its size or mtime changes, and a file that only grew is indexed from where
 * the last pass stopped. Queries then read just the windows' time range.
 *
 * - Time: ISO-8601 (`2026-11-27T10:00:00.123Z`, `2026-11-27 10:00:00+08:00`; no offset means UTC),
 *   or epoch milliseconds as a number or a numeric string.
 * - Malformed lines (not a JSON object, no time, a time that does not parse) are counted, logged
 *   once per indexing pass, and reported as `malformed` with every result: the number of such lines
 *   in the whole input (they have no time, so they belong to no window).
 * - Fields: top-level keys that are identifiers. Values keep their JSON type: `"200"` and `200` are
 *   different values; `true`/`false` compare as 1/0; objects and arrays are their JSON text. A field
 *   no line has reads as null. Filter semantics are those of the SQL sources (see sql-compile.ts).
 * - Several processes may share the cache: indexing happens in write transactions, and a process
 *   that finds another one indexing waits for it (up to two minutes), then reuses its work.
 */
export function createNdjsonSource(options: NdjsonSourceOptions): Source {
  const root = resolve(options.path);
  const timeField = options.timeField ?? 'time';
  const cacheDir = resolve(options.cacheDir ?? join(process.cwd(), '.windowed', 'cache'));
  const cacheFile = join(
    cacheDir,
    `ndjson-${createHash('sha256').update(`${root}\0${timeField}`).digest('hex').slice(0, 20)}.sqlite`,
  );
  let cache: NdjsonCache | undefined;

  async function open(): Promise<NdjsonCache> {
    cache ??= await NdjsonCache.open(cacheFile);
    return cache;
  }

  async function prepared(opts: SourceQueryOptions): Promise<{ cache: NdjsonCache; malformed: number }> {
    if (opts.signal.aborted)
      throw new WindowedError('ABORTED', 'ndjson source: the query was aborted before it started.');
    const c = await open();
    const inputs = listInputs(root);
    const malformed = await c.index(inputs, { timeField, logger: opts.logger, signal: opts.signal });
    return { cache: c, malformed };
  }

  return {
    type: 'ndjson',
    describe: () => `ndjson ${root}`,

    async query(query: DeclarativeQuery, window: Window, opts: SourceQueryOptions): Promise<SourceResult> {
      assertValidQuery(query);
      const { cache: c, malformed } = await prepared(opts);
      const rows = c.queryWindow(query, window, timeField);
      return { rows, malformed };
    },

    async queryMany(
      query: DeclarativeQuery,
      windows: readonly Window[],
      opts: SourceQueryOptions,
    ): Promise<MultiWindowResult> {
      assertValidQuery(query);
      const { cache: c, malformed } = await prepared(opts);
      return { rows: c.queryWindows(query, windows, timeField), malformed };
    },

    async close(): Promise<void> {
      const open = cache;
      cache = undefined;
      open?.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Input files

interface InputFile {
  path: string;
  size: number;
  mtimeMs: number;
}

const LOG_EXTENSIONS = new Set(['.ndjson', '.jsonl', '.json', '.log']);

/** The file itself, or the folder's log files (hidden folders and node_modules skipped), sorted. */
function listInputs(root: string): InputFile[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(root);
  } catch (cause) {
    throw new WindowedError(
      'SOURCE_FAILED',
      `ndjson source: ${root} does not exist or cannot be read; expected a file or a folder of NDJSON logs.`,
      {
        cause,
      },
    );
  }
  if (stat.isFile()) return [{ path: root, size: stat.size, mtimeMs: stat.mtimeMs }];
  const files: InputFile[] = [];
  const seen = new Set<string>();
  const walk = (dir: string): void => {
    const real = fs.realpathSync(dir);
    if (seen.has(real)) return;
    seen.add(real);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const target = fs.statSync(full, { throwIfNoEntry: false });
        isDir = target?.isDirectory() ?? false;
        isFile = target?.isFile() ?? false;
      }
      if (isDir && !entry.name.startsWith('.') && entry.name !== 'node_modules') walk(full);
      else if (isFile && LOG_EXTENSIONS.has(extname(entry.name).toLowerCase())) {
        const s = fs.statSync(full, { throwIfNoEntry: false });
        if (s) files.push({ path: full, size: s.size, mtimeMs: s.mtimeMs });
      }
    }
  };
  walk(root);
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// The cache

const SCHEMA_VERSION = 1;
/** Columns beyond this many distinct fields are not indexed; a query on such a field fails loudly. */
const MAX_FIELDS = 500;
/** Files at least this big are parsed on a worker thread while this thread writes SQLite. */
const WORKER_THRESHOLD_BYTES = 4 * 1024 * 1024;
/**
 * A batch of parsed lines is at most this many rows and this much line text: small enough that
 * neither its text nor its arrays are large objects, which V8 and malloc map fresh (and the
 * kernel zeroes) for every message, on both threads.
 */
const BATCH_ROWS = 1024;
const BATCH_CHARS = 96 * 1024;
/**
 * Values bound per INSERT. They are passed as arguments, not as one array: better-sqlite3 reads an
 * array element by element through V8's API, which cost as much as the insert itself. Kept well
 * under V8's limit on the arguments of one call (they go on the stack).
 */
const MAX_PARAMS = 8192;
/** Batches a worker may have in flight before it waits: bounds memory when SQLite is the slower side. */
const MAX_IN_FLIGHT = 32;
const HASH_BYTES = 4096;
const PAGE_SIZE = 16_384;
const BUSY_TIMEOUT_MS = 120_000;

interface FileRow {
  id: number;
  path: string;
  size: number;
  mtime_ms: number;
  indexed_bytes: number;
  lines: number;
  malformed: number;
  tail_ts: number | null;
  tail_malformed: number;
  head_hash: string;
  end_hash: string;
}

interface IndexOptions {
  timeField: string;
  logger: Logger;
  signal: AbortSignal;
}

/** One indexing pass per cache file at a time in this process (SQLite serializes processes). */
const processLocks = new Map<string, Promise<unknown>>();

function withProcessLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = processLocks.get(key) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  processLocks.set(key, settled);
  void settled.then(() => {
    if (processLocks.get(key) === settled) processLocks.delete(key);
  });
  return run;
}

type Db = BetterSqlite3.Database;

class NdjsonCache {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  private constructor(
    private readonly db: Db,
    private readonly file: string,
  ) {}

  static async open(file: string): Promise<NdjsonCache> {
    const Database = await loadDriver();
    fs.mkdirSync(resolve(file, '..'), { recursive: true });
    const connect = (): Db => {
      const db = new Database(file);
      try {
        db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
        // Before WAL mode creates the file; a cache that exists keeps its page size. Bigger pages
        // than the default 4 KiB: fewer b-tree splits while indexing and fewer WAL frames to
        // checkpoint (the index commits in one transaction, tens of MB at a time).
        db.pragma(`page_size = ${PAGE_SIZE}`);
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        db.pragma('temp_store = MEMORY');
        ensureSchema(db);
        return db;
      } catch (error) {
        db.close();
        throw error;
      }
    };
    try {
      return new NdjsonCache(connect(), file);
    } catch (error) {
      // A cache is disposable: one that is not a database (or is corrupt) is rebuilt from the logs.
      const code = (error as { code?: string }).code;
      if (code !== 'SQLITE_NOTADB' && code !== 'SQLITE_CORRUPT') throw cacheError(file, error);
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
      try {
        return new NdjsonCache(connect(), file);
      } catch (again) {
        throw cacheError(file, again);
      }
    }
  }

  close(): void {
    this.statements.clear();
    this.db.close();
  }

  /** Brings the cache up to date with `inputs`; returns the malformed lines in them. */
  index(inputs: InputFile[], options: IndexOptions): Promise<number> {
    return withProcessLock(this.file, async () => {
      const known = new Map(
        (this.db.prepare('SELECT * FROM files').all() as FileRow[]).map((row) => [row.path, row]),
      );
      const stale = inputs.filter((f) => {
        const row = known.get(f.path);
        return !row || row.size !== f.size || row.mtime_ms !== f.mtimeMs;
      });
      const current = new Set(inputs.map((f) => f.path));
      const gone = [...known.values()].filter((row) => !current.has(row.path));
      if (stale.length > 0 || gone.length > 0) {
        const parser = new ParserPool(options.logger);
        try {
          for (const file of stale) {
            if (options.signal.aborted)
              throw new WindowedError('ABORTED', 'ndjson source: indexing was aborted.');
            await this.indexFile(file.path, parser, options);
          }
        } finally {
          await parser.close();
        }
        if (gone.length > 0) {
          this.transaction(() => {
            for (const row of gone) {
              this.db.prepare('DELETE FROM events WHERE file = ?').run(row.id);
              this.db.prepare('DELETE FROM files WHERE id = ?').run(row.id);
            }
          });
        }
      }
      let malformed = 0;
      const byPath = new Map(
        (this.db.prepare('SELECT path, malformed FROM files').all() as FileRow[]).map((r) => [
          r.path,
          r.malformed,
        ]),
      );
      for (const path of current) malformed += byPath.get(path) ?? 0;
      return malformed;
    });
  }

  private transaction(fn: () => void): void {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      fn();
      this.db.exec('COMMIT');
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /** Indexes one file in one write transaction: all of it, or only what was appended. */
  private async indexFile(path: string, parser: ParserPool, options: IndexOptions): Promise<void> {
    const started = Date.now();
    this.db.exec('BEGIN IMMEDIATE');
    try {
      // Another process may have indexed the file while this one waited for the write lock.
      const stat = fs.statSync(path, { throwIfNoEntry: false });
      const row = this.db.prepare('SELECT * FROM files WHERE path = ?').get(path) as FileRow | undefined;
      if (!stat || (row && row.size === stat.size && row.mtime_ms === stat.mtimeMs)) {
        this.db.exec('COMMIT');
        return;
      }
      let fileId: number;
      let start = 0;
      let firstLine = 0;
      let malformedBefore = 0;
      if (row && stat.size > row.size && grewInPlace(path, row)) {
        fileId = row.id;
        start = row.indexed_bytes;
        firstLine = row.lines;
        malformedBefore = row.malformed - row.tail_malformed;
        // The unterminated last line of the previous pass is read again, now that it may be complete.
        if (row.tail_ts !== null)
          this.db
            .prepare('DELETE FROM events WHERE ts = ? AND file = ? AND line = ?')
            .run(row.tail_ts, row.id, row.lines);
      } else if (row) {
        fileId = row.id;
        this.db.prepare('DELETE FROM events WHERE file = ?').run(fileId);
      } else {
        fileId = Number(
          this.db
            .prepare(
              `INSERT INTO files (path, size, mtime_ms, indexed_bytes, lines, malformed, tail_ts, tail_malformed, head_hash, end_hash)
               VALUES (?, 0, 0, 0, 0, 0, NULL, 0, '', '')`,
            )
            .run(path).lastInsertRowid,
        );
      }

      const columns = (
        this.db.prepare('SELECT name FROM fields ORDER BY num').all() as { name: string }[]
      ).map((r) => r.name);
      const writer = new BatchWriter(this.db, fileId, columns);
      const job: ParseJob = {
        path,
        start,
        end: stat.size,
        firstLine,
        timeField: options.timeField,
        columns,
        maxColumns: MAX_FIELDS,
        batchRows: BATCH_ROWS,
        batchChars: BATCH_CHARS,
      };
      const summary = await parser.parse(
        job,
        stat.size - start >= WORKER_THRESHOLD_BYTES,
        (batch) => writer.write(batch),
        options.signal,
      );
      if (summary.droppedFields > 0) {
        this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('fields_overflow', '1')").run();
        options.logger.warn(
          `ndjson: more than ${MAX_FIELDS} distinct fields; further fields are not indexed`,
          {
            file: path,
            fields: summary.droppedFields,
          },
        );
      }
      const hashes = boundaryHashes(path, summary.indexedBytes);
      this.db
        .prepare(
          `UPDATE files SET size = ?, mtime_ms = ?, indexed_bytes = ?, lines = ?, malformed = ?, tail_ts = ?,
             tail_malformed = ?, head_hash = ?, end_hash = ? WHERE id = ?`,
        )
        .run(
          stat.size,
          stat.mtimeMs,
          summary.indexedBytes,
          summary.nextLine,
          malformedBefore + summary.malformed,
          summary.tailTs,
          summary.tailMalformed,
          hashes.head,
          hashes.end,
          fileId,
        );
      this.db.exec('COMMIT');
      if (summary.malformed > 0) {
        options.logger.warn('ndjson: malformed lines skipped (counted as malformed)', {
          file: path,
          malformed: summary.malformed,
          badJson: summary.badJson,
          missingTime: summary.missingTime,
          badTime: summary.badTime,
        });
      }
      options.logger.debug('ndjson: indexed', {
        file: path,
        rows: summary.rows,
        fromByte: start,
        toByte: stat.size,
        ms: Date.now() - started,
      });
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      if (error instanceof WindowedError) throw error;
      throw new WindowedError(
        'SOURCE_FAILED',
        `ndjson source: could not index ${path}: ${(error as Error)?.message ?? error}`,
        {
          cause: error,
        },
      );
    }
  }

  // -------------------------------------------------------------------------------------------
  // Queries

  private fieldRef(timeField: string): FieldRef {
    const columns = new Map(
      (this.db.prepare('SELECT name, num FROM fields').all() as { name: string; num: number }[]).map((r) => [
        r.name,
        `f${r.num}`,
      ]),
    );
    const overflow =
      this.db.prepare("SELECT value FROM meta WHERE key = 'fields_overflow'").get() !== undefined;
    return (field) => {
      if (field === timeField) return 'ts';
      const column = columns.get(field);
      if (column) return column;
      if (overflow) {
        throw new WindowedError(
          'SOURCE_FAILED',
          `ndjson source: field "${field}" is not indexed (the logs have more than ${MAX_FIELDS} distinct fields). Query fewer distinct fields or use the sql source.`,
        );
      }
      return 'NULL';
    };
  }

  queryWindow(query: DeclarativeQuery, window: Window, timeField: string): Row[] {
    const statement = compileSelect(query, this.fieldRef(timeField), {
      dialect: 'sqlite',
      from: 'events',
      where: [{ sql: 'ts >= ? and ts < ?', params: [window.start.getTime(), window.end.getTime()] }],
    });
    return this.all(statement).map(toRow);
  }

  /**
   * Every window in one statement: the windows go into a temporary table joined on the time range,
   * so each row is read once and no sort by window is needed (the join walks the windows in order).
   */
  queryWindows(query: DeclarativeQuery, windows: readonly Window[], timeField: string): Map<string, Row[]> {
    this.db.exec(
      'CREATE TEMP TABLE IF NOT EXISTS windowed_windows (idx INTEGER PRIMARY KEY, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL)',
    );
    const insert = this.db.prepare('INSERT INTO windowed_windows (idx, start_ms, end_ms) VALUES (?, ?, ?)');
    this.db.exec('DELETE FROM windowed_windows');
    this.db.transaction(() => {
      for (const [i, w] of windows.entries()) insert.run(i, w.start.getTime(), w.end.getTime());
    })();
    const statement = compileSelect(query, this.fieldRef(timeField), {
      dialect: 'sqlite',
      from: 'windowed_windows AS w CROSS JOIN events ON events.ts >= w.start_ms AND events.ts < w.end_ms',
      where: [],
      bucket: { sql: 'w.idx', params: [] },
    });
    const result = new Map<string, Row[]>();
    for (const raw of this.all(statement)) {
      const window = windows[Number(raw[BUCKET_ALIAS])];
      if (!window) continue;
      delete raw[BUCKET_ALIAS];
      const list = result.get(window.key);
      if (list) list.push(toRow(raw));
      else result.set(window.key, [toRow(raw)]);
    }
    this.db.exec('DELETE FROM windowed_windows');
    return result;
  }

  private all({ sql, params }: SqlStatement): Record<string, unknown>[] {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      if (this.statements.size > 100) this.statements.clear();
      this.statements.set(sql, statement);
    }
    try {
      return statement.all(...params) as Record<string, unknown>[];
    } catch (error) {
      throw new WindowedError(
        'SOURCE_FAILED',
        `ndjson source: query on the cache ${this.file} failed: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
}

function ensureSchema(db: Db): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version === SCHEMA_VERSION) return;
  db.exec('BEGIN IMMEDIATE');
  try {
    const now = db.pragma('user_version', { simple: true }) as number;
    if (now !== SCHEMA_VERSION) {
      for (const table of ['events', 'files', 'fields', 'meta']) db.exec(`DROP TABLE IF EXISTS ${table}`);
      db.exec(`
        CREATE TABLE files (
          id INTEGER PRIMARY KEY,
          path TEXT NOT NULL UNIQUE,
          size INTEGER NOT NULL,
          mtime_ms REAL NOT NULL,
          indexed_bytes INTEGER NOT NULL,  -- end of the last newline-terminated line indexed
          lines INTEGER NOT NULL,          -- newline-terminated lines indexed: the next line's number
          malformed INTEGER NOT NULL,
          tail_ts INTEGER,                 -- the row of an unterminated last line, re-read when the file grows
          tail_malformed INTEGER NOT NULL, -- 1 if that line was counted as malformed
          head_hash TEXT NOT NULL,
          end_hash TEXT NOT NULL
        );
        CREATE TABLE fields (name TEXT PRIMARY KEY, num INTEGER NOT NULL UNIQUE);
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE events (
          ts INTEGER NOT NULL,
          file INTEGER NOT NULL,
          line INTEGER NOT NULL,
          PRIMARY KEY (ts, file, line)
        ) WITHOUT ROWID;
      `);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

/** True when the bytes around the previous pass's end are unchanged: the file was appended to. */
function grewInPlace(path: string, row: FileRow): boolean {
  const now = boundaryHashes(path, row.indexed_bytes);
  return now.head === row.head_hash && now.end === row.end_hash;
}

function boundaryHashes(path: string, indexedBytes: number): { head: string; end: string } {
  return {
    head: hashRange(path, 0, Math.min(HASH_BYTES, indexedBytes)),
    end: hashRange(path, Math.max(0, indexedBytes - HASH_BYTES), indexedBytes),
  };
}

function hashRange(path: string, from: number, to: number): string {
  const buffer = Buffer.alloc(to - from);
  if (buffer.length > 0) {
    const fd = fs.openSync(path, 'r');
    try {
      let read = 0;
      while (read < buffer.length) {
        const n = fs.readSync(fd, buffer, read, buffer.length - read, from + read);
        if (n === 0) return 'short';
        read += n;
      }
    } finally {
      fs.closeSync(fd);
    }
  }
  return createHash('sha1').update(buffer).digest('hex');
}

async function loadDriver(): Promise<typeof BetterSqlite3> {
  try {
    const module = (await import('better-sqlite3')) as unknown as {
      default?: typeof BetterSqlite3;
    } & typeof BetterSqlite3;
    return module.default ?? module;
  } catch (cause) {
    throw new WindowedError(
      'MISSING_DEPENDENCY',
      'The ndjson source keeps its index in SQLite. Run: npm install better-sqlite3@12',
      { cause },
    );
  }
}

function cacheError(file: string, error: unknown): WindowedError {
  if (error instanceof WindowedError) return error;
  return new WindowedError(
    'SOURCE_FAILED',
    `ndjson source: cannot open the index ${file}: ${(error as Error)?.message ?? error}`,
    {
      cause: error,
    },
  );
}

function toRow(raw: Record<string, unknown>): Row {
  const row: Row = {};
  for (const [key, value] of Object.entries(raw)) {
    row[key] =
      value === undefined || value === null
        ? null
        : typeof value === 'bigint'
          ? Number(value)
          : (value as string | number);
  }
  return row;
}

// ---------------------------------------------------------------------------------------------
// Writing parsed batches

class BatchWriter {
  private readonly inserts = new Map<string, BetterSqlite3.Statement>();
  private params: unknown[] = [];

  constructor(
    private readonly db: Db,
    private readonly fileId: number,
    /** Field names in column order (`f1`, `f2`, …); grows as batches report new fields. */
    private readonly columns: string[],
  ) {}

  write(batch: ParsedBatch): void {
    for (const name of batch.newColumns) {
      const num = this.columns.length + 1;
      this.db.exec(`ALTER TABLE events ADD COLUMN f${num}`);
      this.db.prepare('INSERT INTO fields (name, num) VALUES (?, ?)').run(name, num);
      this.columns.push(name);
    }
    const { width, rows, tags, nums, lens, strs, extra } = batch;
    const fields = width - 2;
    const perRow = fields + 2;
    const perStatement = Math.max(1, Math.min(256, Math.floor(MAX_PARAMS / perRow)));
    const full = this.insert(fields, perStatement);
    const params = this.params;
    params.length = perStatement * perRow;
    let p = 0;
    let pending = 0;
    for (let r = 0; r < rows; r++) {
      const base = r * width;
      params[p++] = nums[base];
      params[p++] = nums[base + 1];
      for (let c = 2; c < width; c++) {
        const slot = base + c;
        const tag = tags[slot];
        if (tag === 0) params[p++] = null;
        else if (tag === 1) params[p++] = nums[slot];
        else {
          const from = nums[slot]!;
          params[p++] = (tag === 2 ? strs : extra).slice(from, from + lens[slot]!);
        }
      }
      if (++pending === perStatement) {
        full.run(...params);
        p = 0;
        pending = 0;
      }
    }
    if (pending > 0) this.insert(fields, pending).run(...params.slice(0, p));
  }

  private insert(fields: number, rows: number): BetterSqlite3.Statement {
    const key = `${fields}:${rows}`;
    let statement = this.inserts.get(key);
    if (!statement) {
      const names = ['ts', 'file', 'line'];
      for (let i = 1; i <= fields; i++) names.push(`f${i}`);
      // The file's id is the same for every row: an integer literal, not one more bound value per row.
      const tuple = `(?,${Math.trunc(this.fileId)},${names
        .slice(2)
        .map(() => '?')
        .join(',')})`;
      statement = this.db.prepare(
        `INSERT INTO events (${names.join(',')}) VALUES ${Array(rows).fill(tuple).join(',')}`,
      );
      this.inserts.set(key, statement);
    }
    return statement;
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing, in this thread or on a worker

interface ParseJob {
  path: string;
  /** Byte offset to start at: 0, or the end of the last newline-terminated line already indexed. */
  start: number;
  /** Byte offset to stop at: the size the file had when indexing began. */
  end: number;
  /** Number of the first line read (line numbers continue across appends). */
  firstLine: number;
  timeField: string;
  /** Fields that already have a column, in column order. */
  columns: string[];
  maxColumns: number;
  batchRows: number;
  /** Line text after which a batch is sent even if it has fewer rows. */
  batchChars: number;
}

/**
 * Rows of parsed lines, one after the other: slot 0 the time (epoch ms), slot 1 the line number,
 * then one slot per field. `tags`: 0 null, 1 number in `nums`, 2 text at
 * `strs.slice(nums, nums + lens)` (the lines themselves), 3 text at `extra.slice(nums, nums + lens)`.
 * Typed arrays and two strings cross threads cheaply.
 */
interface ParsedBatch {
  width: number;
  rows: number;
  tags: Uint8Array;
  nums: Float64Array;
  lens: Uint32Array;
  strs: string;
  extra: string;
  /** Fields first seen in this batch: they get the next columns, before its rows are written. */
  newColumns: string[];
}

interface ParseSummary {
  rows: number;
  malformed: number;
  badJson: number;
  missingTime: number;
  badTime: number;
  droppedFields: number;
  /** End of the last newline-terminated line read. */
  indexedBytes: number;
  /** Number the next newline-terminated line will get. */
  nextLine: number;
  /** The row of an unterminated last line (it may still be being written). */
  tailTs: number | null;
  tailMalformed: number;
}

interface ParserIo {
  openSync: typeof fs.openSync;
  readSync: typeof fs.readSync;
  closeSync: typeof fs.closeSync;
  /** `buffer.isAscii`: ASCII text decodes as Latin-1, several times faster than as UTF-8. */
  isAscii: (bytes: Uint8Array) => boolean;
}

const PARSER_IO: ParserIo = {
  openSync: fs.openSync,
  readSync: fs.readSync,
  closeSync: fs.closeSync,
  isAscii,
};

/**
 * Reads `[job.start, job.end)` of a file line by line. Self-contained (it references nothing
 * outside its body) because its source text is also what the worker thread runs.
 *
 * Most log lines are flat objects of strings, numbers, booleans and nulls without escapes: a
 * scanner reads those in place (string values become offsets into the line text, no objects are
 * built). Anything else — escapes, nested values, a field not seen before, invalid JSON — goes to
 * JSON.parse, which decides what the line holds and whether it is malformed.
 */
function parseNdjsonRange(io: ParserIo, job: ParseJob, emit: (batch: ParsedBatch) => void): ParseSummary {
  const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
  const ISO =
    /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?)?\s*(Z|z|[+-]\d\d(?::?\d\d)?)?$/;
  const NUMERIC = /^-?\d+(?:\.\d+)?$/;
  const MAX_TIME = 8.64e15;
  const timeField = job.timeField;
  const columns = new Map<string, number>();
  for (const name of job.columns) columns.set(name, columns.size);
  const ignored = new Set<string>();
  const summary: ParseSummary = {
    rows: 0,
    malformed: 0,
    badJson: 0,
    missingTime: 0,
    badTime: 0,
    droppedFields: 0,
    indexedBytes: job.start,
    nextLine: job.firstLine,
    tailTs: null,
    tailMalformed: 0,
  };

  // The batch being filled. String values are offsets into `text` (relative to `batchStart`) or,
  // for values JSON.parse produced, into `extra`.
  let width = 2 + columns.size;
  let tags = new Uint8Array(job.batchRows * width);
  let nums = new Float64Array(job.batchRows * width);
  let lens = new Uint32Array(job.batchRows * width);
  let extra = '';
  let rows = 0;
  let newColumns: string[] = [];
  let text = '';
  let batchStart = 0;

  const allocate = (): void => {
    tags = new Uint8Array(job.batchRows * width);
    nums = new Float64Array(job.batchRows * width);
    lens = new Uint32Array(job.batchRows * width);
  };

  /** Sends the rows so far; `upTo` is where the text they reference ends. */
  const flush = (upTo: number): void => {
    if (rows > 0 || newColumns.length > 0) {
      emit({
        width,
        rows,
        tags: tags.subarray(0, rows * width),
        nums: nums.subarray(0, rows * width),
        lens: lens.subarray(0, rows * width),
        strs: rows > 0 ? text.slice(batchStart, upTo) : '',
        extra,
        newColumns,
      });
      allocate();
    }
    extra = '';
    rows = 0;
    newColumns = [];
    batchStart = upTo;
  };

  const daysIn = (y: number, m: number): number =>
    m === 2
      ? y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)
        ? 29
        : 28
      : m === 4 || m === 6 || m === 9 || m === 11
        ? 30
        : 31;

  const utc = (
    y: number,
    mo: number,
    d: number,
    h: number,
    mi: number,
    s: number,
    ms: number,
    offsetMin: number,
  ): number => {
    if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 24 || mi > 59 || s > 59) return Number.NaN;
    if (h === 24 && (mi !== 0 || s !== 0 || ms !== 0)) return Number.NaN;
    // Date.UTC reads years 0-99 as 1900-1999: ask for the same day 400 years (146,097 days) later.
    const shift = y >= 0 && y <= 99 ? 400 : 0;
    return Date.UTC(y + shift, mo - 1, d, h, mi, s, ms) - shift * 31_556_952_000 - offsetMin * 60_000;
  };

  const digit = (s: string, i: number): number => {
    const c = s.charCodeAt(i) - 48;
    return c >= 0 && c <= 9 ? c : Number.NaN;
  };

  /**
   * Epoch ms of `2026-11-27T10:00:00.123Z` (what JSON loggers write) at `s[at, at + 24)`; NaN when
   * the text is not exactly that shape or not a valid date (then the general path decides).
   */
  const zuluAt = (s: string, at: number): number => {
    if (
      s.charCodeAt(at + 4) !== 45 ||
      s.charCodeAt(at + 7) !== 45 ||
      s.charCodeAt(at + 10) !== 84 ||
      s.charCodeAt(at + 13) !== 58 ||
      s.charCodeAt(at + 16) !== 58 ||
      s.charCodeAt(at + 19) !== 46 ||
      s.charCodeAt(at + 23) !== 90
    )
      return Number.NaN;
    const y = digit(s, at) * 1000 + digit(s, at + 1) * 100 + digit(s, at + 2) * 10 + digit(s, at + 3);
    const mo = digit(s, at + 5) * 10 + digit(s, at + 6);
    const d = digit(s, at + 8) * 10 + digit(s, at + 9);
    const h = digit(s, at + 11) * 10 + digit(s, at + 12);
    const mi = digit(s, at + 14) * 10 + digit(s, at + 15);
    const sec = digit(s, at + 17) * 10 + digit(s, at + 18);
    const ms = digit(s, at + 20) * 100 + digit(s, at + 21) * 10 + digit(s, at + 22);
    if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= daysIn(y, mo) && h <= 24 && mi <= 59 && sec <= 59))
      return Number.NaN;
    if (h === 24 && (mi !== 0 || sec !== 0 || ms !== 0)) return Number.NaN;
    // Days since 1970-01-01 of a proleptic Gregorian date, without a call into Date:
    // https://howardhinnant.github.io/date_algorithms.html#days_from_civil
    const yy = mo <= 2 ? y - 1 : y;
    const era = Math.floor(yy / 400);
    const yoe = yy - era * 400;
    const doy = Math.floor((153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5) + d - 1;
    const days = era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
    return days * 86_400_000 + h * 3_600_000 + mi * 60_000 + sec * 1000 + ms;
  };

  const isoMs = (s: string): number => {
    if (s.length === 24) {
      const v = zuluAt(s, 0);
      if (!Number.isNaN(v)) return v;
    }
    const m = ISO.exec(s.trim());
    if (!m) return Number.NaN;
    let offset = 0;
    const zone = m[8];
    if (zone && zone !== 'Z' && zone !== 'z') {
      const hh = Number(zone.slice(1, 3));
      const mm = zone.length > 3 ? Number(zone.slice(-2)) : 0;
      if (hh > 23 || mm > 59) return Number.NaN;
      offset = (zone[0] === '-' ? -1 : 1) * (hh * 60 + mm);
    }
    const fraction = m[7] ? Number(`${m[7]}00`.slice(0, 3)) : 0;
    return utc(
      Number(m[1]),
      Number(m[2]),
      Number(m[3]),
      Number(m[4] ?? 0),
      Number(m[5] ?? 0),
      Number(m[6] ?? 0),
      fraction,
      offset,
    );
  };

  /** Epoch ms of a time value, NaN if it is not one. */
  const timeOf = (value: unknown): number => {
    let ms = Number.NaN;
    if (typeof value === 'number') ms = Math.floor(value);
    else if (typeof value === 'string') {
      ms = isoMs(value);
      if (Number.isNaN(ms) && NUMERIC.test(value.trim())) ms = Math.floor(Number(value.trim()));
    }
    return ms >= -MAX_TIME && ms <= MAX_TIME ? ms : Number.NaN;
  };

  /** Classifies a line's time value; counts it when it is not usable. */
  const checkTime = (raw: unknown): number => {
    if (raw === undefined || raw === null || raw === '') {
      summary.missingTime++;
      return Number.NaN;
    }
    const ts = timeOf(raw);
    if (Number.isNaN(ts)) summary.badTime++;
    return ts;
  };

  // ------------------------------------------------------------------------------------------
  // The scanner. Keys repeat line after line in the same order: the key seen at each position is
  // remembered (with its closing quote), and a line whose key matches it skips reading the key.

  const keyText: string[] = [];
  const keyColumn: number[] = [];
  /** The time field's value as read; `scannedMs` instead when it was ISO-8601 UTC read in place. */
  let scannedTime: unknown;
  let scannedMs = Number.NaN;

  const skipSpace = (s: string, i: number): number => {
    let c = s.charCodeAt(i);
    while (c === 32 || c === 9 || c === 13) c = s.charCodeAt(++i);
    return i;
  };

  /** End of the string whose opening quote is at `i - 1`, or -1 if it has escapes or control characters. */
  const stringEnd = (s: string, i: number, end: number): number => {
    for (; i < end; i++) {
      const c = s.charCodeAt(i);
      if (c === 34) return i;
      if (c === 92 || c < 32) return -1;
    }
    return -1;
  };

  /** Column of the key at `[from, to)`: >= 0 a column, -1 ignored, -2 the time field, -3 unknown. */
  const columnOf = (s: string, from: number, to: number, position: number): number => {
    const key = s.slice(from, to);
    const column = key === timeField ? -2 : (columns.get(key) ?? (ignored.has(key) ? -1 : -3));
    if (column === -3) return column;
    keyText[position] = `${key}"`;
    keyColumn[position] = column;
    return column;
  };

  /** Reads the line at `[i, end)` into row slots at `base`; false hands it to JSON.parse. */
  const scan = (s: string, i: number, end: number, base: number): boolean => {
    scannedTime = undefined;
    scannedMs = Number.NaN;
    i = skipSpace(s, i);
    if (s.charCodeAt(i) !== 123) return false;
    i = skipSpace(s, i + 1);
    for (let position = 0; ; position++) {
      if (s.charCodeAt(i) !== 34) return false;
      let keyEnd: number;
      let column: number;
      const known = keyText[position];
      if (known !== undefined && s.startsWith(known, i + 1)) {
        keyEnd = i + known.length;
        column = keyColumn[position]!;
      } else {
        keyEnd = stringEnd(s, i + 1, end);
        if (keyEnd < 0) return false;
        column = columnOf(s, i + 1, keyEnd, position);
        if (column === -3) return false;
      }
      i = skipSpace(s, keyEnd + 1);
      if (s.charCodeAt(i) !== 58) return false;
      i = skipSpace(s, i + 1);
      const slot = base + 2 + column;
      const c = s.charCodeAt(i);
      if (c === 34) {
        const valueEnd = stringEnd(s, i + 1, end);
        if (valueEnd < 0) return false;
        if (column >= 0) {
          tags[slot] = 2;
          nums[slot] = i + 1 - batchStart;
          lens[slot] = valueEnd - i - 1;
        } else if (column === -2) {
          scannedMs = valueEnd - i - 1 === 24 ? zuluAt(s, i + 1) : Number.NaN;
          scannedTime = Number.isNaN(scannedMs) ? s.slice(i + 1, valueEnd) : undefined;
        }
        i = valueEnd + 1;
      } else if (c === 45 || (c >= 48 && c <= 57)) {
        // JSON number grammar: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?
        const from = i;
        let value = 0;
        let simple = true;
        if (c === 45) i++;
        let d = s.charCodeAt(i);
        if (d === 48) d = s.charCodeAt(++i);
        else if (d >= 49 && d <= 57) {
          do {
            value = value * 10 + (d - 48);
            d = s.charCodeAt(++i);
          } while (d >= 48 && d <= 57);
        } else return false;
        if (d === 46) {
          simple = false;
          d = s.charCodeAt(++i);
          if (!(d >= 48 && d <= 57)) return false;
          do d = s.charCodeAt(++i);
          while (d >= 48 && d <= 57);
        }
        if (d === 101 || d === 69) {
          simple = false;
          d = s.charCodeAt(++i);
          if (d === 43 || d === 45) d = s.charCodeAt(++i);
          if (!(d >= 48 && d <= 57)) return false;
          do d = s.charCodeAt(++i);
          while (d >= 48 && d <= 57);
        }
        if (!simple || i - from > 15) value = Number(s.slice(from, i));
        else if (c === 45) value = -value;
        if (column >= 0) {
          tags[slot] = 1;
          nums[slot] = value;
        } else if (column === -2) {
          scannedTime = value;
          scannedMs = Number.NaN;
        }
      } else if (c === 116 || c === 102) {
        const truth = c === 116;
        if (!s.startsWith(truth ? 'true' : 'false', i)) return false;
        i += truth ? 4 : 5;
        if (column >= 0) {
          tags[slot] = 1;
          nums[slot] = truth ? 1 : 0;
        } else if (column === -2) {
          scannedTime = truth;
          scannedMs = Number.NaN;
        }
      } else if (c === 110) {
        if (!s.startsWith('null', i)) return false;
        i += 4;
        if (column >= 0) tags[slot] = 0;
        else if (column === -2) {
          scannedTime = null;
          scannedMs = Number.NaN;
        }
      } else return false; // an object, an array, or not JSON
      i = skipSpace(s, i);
      const next = s.charCodeAt(i);
      if (next === 44) {
        i = skipSpace(s, i + 1);
        continue;
      }
      if (next !== 125) return false;
      return skipSpace(s, i + 1) >= end;
    }
  };

  // ------------------------------------------------------------------------------------------
  // The general path: JSON.parse.

  /** Writes a parsed object's fields into the row at `base`; false after registering a new field. */
  const writeObject = (object: Record<string, unknown>, base: number, upTo: number): boolean => {
    const extraMark = extra.length;
    for (const key in object) {
      if (key === timeField) continue;
      const column = columns.get(key);
      if (column === undefined) {
        if (ignored.has(key)) continue;
        if (!IDENTIFIER.test(key)) {
          ignored.add(key);
          continue;
        }
        if (columns.size >= job.maxColumns) {
          ignored.add(key);
          summary.droppedFields++;
          continue;
        }
        extra = extra.slice(0, extraMark);
        flush(upTo);
        columns.set(key, columns.size);
        newColumns.push(key);
        width++;
        allocate();
        return false;
      }
      const slot = base + 2 + column;
      const value = object[key];
      if (typeof value === 'string' || (typeof value === 'object' && value !== null)) {
        const textValue = typeof value === 'string' ? value : JSON.stringify(value);
        tags[slot] = 3;
        nums[slot] = extra.length;
        lens[slot] = textValue.length;
        extra += textValue;
      } else if (typeof value === 'number') {
        tags[slot] = 1;
        nums[slot] = value;
      } else if (typeof value === 'boolean') {
        tags[slot] = 1;
        nums[slot] = value ? 1 : 0;
      } else tags[slot] = 0;
    }
    return true;
  };

  let lastTs = 0;

  /** One line at `[from, to)` of `text`. */
  const handle = (from: number, to: number, line: number): 'row' | 'malformed' | 'blank' => {
    // The row's slots are zero (a new batch's arrays) and are cleared again whenever a line that
    // wrote into them is not kept, so that the next line starts from zero too.
    let base = rows * width;
    let ts: number;
    if (scan(text, from, to, base)) {
      ts = Number.isNaN(scannedMs) ? checkTime(scannedTime) : scannedMs;
      if (Number.isNaN(ts)) {
        tags.fill(0, base, base + width);
        return 'malformed';
      }
    } else {
      tags.fill(0, base, base + width);
      const lineText = text.slice(from, to);
      let object: unknown;
      try {
        object = JSON.parse(lineText);
      } catch {
        if (lineText.trim() === '') return 'blank';
        summary.badJson++;
        return 'malformed';
      }
      if (typeof object !== 'object' || object === null || Array.isArray(object)) {
        summary.badJson++;
        return 'malformed';
      }
      ts = checkTime((object as Record<string, unknown>)[timeField]);
      if (Number.isNaN(ts)) return 'malformed';
      while (!writeObject(object as Record<string, unknown>, base, from)) {
        base = rows * width;
        tags.fill(0, base, base + width);
      }
    }
    tags[base] = 1;
    nums[base] = ts;
    tags[base + 1] = 1;
    nums[base + 1] = line;
    rows++;
    summary.rows++;
    lastTs = ts;
    if (rows === job.batchRows || to - batchStart >= job.batchChars) flush(to);
    return 'row';
  };

  const fd = io.openSync(job.path, 'r');
  try {
    // Read 96 KiB at a time: the text decoded from a read stays below V8's large-object size
    // (128 KiB), which costs ten times as much to allocate and collect per byte — decoding a
    // 100 MB file in 4 MiB reads took ≈ 0.4 s, in 96 KiB reads ≈ 0.05 s. Longer lines still fit:
    // the buffer doubles.
    let chunk = Buffer.allocUnsafe(96 * 1024);
    /** Bytes at the start of `chunk` that the last read left: a line not complete yet. */
    let kept = 0;
    let position = job.start;
    let line = job.firstLine;
    let first = job.start === 0;
    while (position < job.end) {
      if (kept === chunk.length) {
        // A line longer than the buffer: make room for the rest of it.
        const bigger = Buffer.allocUnsafe(chunk.length * 2);
        chunk.copy(bigger, 0, 0, kept);
        chunk = bigger;
      }
      const n = io.readSync(fd, chunk, kept, Math.min(chunk.length - kept, job.end - position), position);
      if (n === 0) break;
      position += n;
      const length = kept + n;
      const cut = chunk.lastIndexOf(10, length - 1);
      if (cut < 0) {
        kept = length;
        continue;
      }
      // Bytes below 0x80 read the same in UTF-8 and Latin-1; Latin-1 needs no decoding.
      text = chunk.toString(io.isAscii(chunk.subarray(0, cut + 1)) ? 'latin1' : 'utf8', 0, cut + 1);
      kept = length - cut - 1;
      chunk.copy(chunk, 0, cut + 1, length);
      summary.indexedBytes = position - kept;
      let from = first && text.charCodeAt(0) === 0xfeff ? 1 : 0;
      first = false;
      batchStart = from;
      for (let newline = text.indexOf('\n', from); newline >= 0; newline = text.indexOf('\n', from)) {
        if (handle(from, newline, line++) === 'malformed') summary.malformed++;
        from = newline + 1;
      }
      flush(text.length);
    }
    summary.nextLine = line;
    if (kept > 0) {
      text = chunk.toString('utf8', 0, kept);
      const from = first && text.charCodeAt(0) === 0xfeff ? 1 : 0;
      batchStart = from;
      const result = handle(from, text.length, line);
      if (result === 'malformed') {
        summary.malformed++;
        summary.tailMalformed = 1;
      } else if (result === 'row') summary.tailTs = lastTs;
      flush(text.length);
    }
  } finally {
    io.closeSync(fd);
  }
  return summary;
}

/** The worker thread's program: the parser above plus a loop that waits for credit to send. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
// A bundler's keepNames helper, in case it decorated the parser's inner functions.
var __name = (target) => target;
const parse = (${parseNdjsonRange.toString()});
const io = { openSync: fs.openSync, readSync: fs.readSync, closeSync: fs.closeSync, isAscii: require('node:buffer').isAscii };
parentPort.on('message', (message) => {
  const credit = new Int32Array(message.credit);
  try {
    const summary = parse(io, message.job, (batch) => {
      for (;;) {
        const inFlight = Atomics.load(credit, 0);
        if (inFlight < ${MAX_IN_FLIGHT}) break;
        Atomics.wait(credit, 0, inFlight, 1000);
      }
      Atomics.add(credit, 0, 1);
      parentPort.postMessage({ type: 'batch', batch }, [batch.tags.buffer, batch.nums.buffer, batch.lens.buffer]);
    });
    parentPort.postMessage({ type: 'done', summary });
  } catch (error) {
    parentPort.postMessage({ type: 'error', message: String((error && error.message) || error) });
  }
});
`;

/** Parses files on one worker thread (started on first need) or, for small files, in this thread. */
class ParserPool {
  private worker: Worker | undefined;

  constructor(private readonly logger: Logger) {}

  private unavailable = false;

  async parse(
    job: ParseJob,
    onWorker: boolean,
    write: (batch: ParsedBatch) => void,
    signal: AbortSignal,
  ): Promise<ParseSummary> {
    if (!onWorker || this.unavailable) return parseNdjsonRange(PARSER_IO, job, write);
    let received = 0;
    try {
      return await this.parseOnWorker(
        job,
        (batch) => {
          received++;
          write(batch);
        },
        signal,
      );
    } catch (error) {
      // A worker that cannot run the parser (a sandbox without threads, code instrumented by a
      // tool) has written nothing yet: parse in this thread instead.
      if (received > 0 || error instanceof WindowedError) throw error;
      this.unavailable = true;
      this.logger.debug('ndjson: no parser thread, parsing in this thread', {
        reason: String((error as Error)?.message ?? error),
      });
      return parseNdjsonRange(PARSER_IO, job, write);
    }
  }

  private parseOnWorker(
    job: ParseJob,
    write: (batch: ParsedBatch) => void,
    signal: AbortSignal,
  ): Promise<ParseSummary> {
    this.worker ??= new Worker(WORKER_SOURCE, { eval: true });
    const worker = this.worker;
    const credit = new SharedArrayBuffer(4);
    const inFlight = new Int32Array(credit);
    return new Promise<ParseSummary>((resolvePromise, reject) => {
      const cleanup = (): void => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        signal.removeEventListener('abort', onAbort);
      };
      const fail = (error: unknown): void => {
        cleanup();
        this.worker = undefined;
        void worker.terminate();
        reject(error);
      };
      const onMessage = (message: {
        type: string;
        batch?: ParsedBatch;
        summary?: ParseSummary;
        message?: string;
      }): void => {
        try {
          if (message.type === 'batch') {
            write(message.batch!);
            Atomics.sub(inFlight, 0, 1);
            Atomics.notify(inFlight, 0);
          } else if (message.type === 'done') {
            cleanup();
            resolvePromise(message.summary!);
          } else fail(new Error(message.message));
        } catch (error) {
          fail(error);
        }
      };
      const onError = (error: Error): void => fail(error);
      const onExit = (code: number): void => fail(new Error(`the parser thread exited (code ${code})`));
      const onAbort = (): void => fail(new WindowedError('ABORTED', 'ndjson source: indexing was aborted.'));
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      signal.addEventListener('abort', onAbort, { once: true });
      worker.postMessage({ job, credit });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}
