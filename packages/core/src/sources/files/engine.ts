import { createRequire } from 'node:module';
import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { WindowedError } from '../../errors.js';
import { builtin } from '../../node-builtins.js';

const fs = builtin('node:fs');

type DuckDBModule = typeof import('@duckdb/node-api');

/**
 * The versions tested (core's peer range). DuckDB publishes every version as a prerelease
 * (`1.5.6-r.1`), which a semver range matches only within its own x.y.z.
 */
const DUCKDB_RANGE = '^1.5.6-r.1';

/** How much of the machine one process's DuckDB may use. */
export interface EngineLimits {
  /** DuckDB's `memory_limit`, e.g. `'512MB'`, `'2GB'`. */
  memoryLimit: string;
  threads: number;
  /** Where DuckDB spills what does not fit in `memoryLimit`; this process's own, removed on close. */
  tempDirectory: string;
}

export type EngineRow = Record<string, string | number | boolean | null>;

/** One column of a Parquet file as `RETURN_STATS` reports it; `min`/`max` are NULL when every value is. */
export interface ColumnStats {
  nulls: number;
  min: string | null;
  max: string | null;
}

export interface CopyStats {
  rows: number;
  columns: Map<string, ColumnStats>;
}

/** DuckDB's MAP values as `getRowObjectsJS` gives them. */
type StatsMap = { key: string; value: { key: string; value: string }[] }[];

/**
 * An in-memory DuckDB of this process: it reads the cache's Parquet segments and the input files,
 * and holds no database file, so any number of processes can share one cache (a DuckDB database
 * file can be opened by one process at a time, even read-only).
 */
export class Engine {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly tempDirectory: string,
  ) {}

  static async open(limits: EngineLimits): Promise<Engine> {
    const duckdb = loadDuckDB();
    let instance: DuckDBInstance | undefined;
    try {
      instance = await duckdb.DuckDBInstance.create(':memory:', {
        memory_limit: limits.memoryLimit,
        threads: String(limits.threads),
        // Not DuckDB's default (`.tmp` in the working directory).
        temp_directory: limits.tempDirectory,
        // Nothing is installed or loaded at run time: JSON, Parquet and ICU are built in.
        autoinstall_known_extensions: 'false',
        autoload_known_extensions: 'false',
      });
      const connection = await instance.connect();
      // Times without an offset are UTC, never the host's zone.
      await connection.run("SET TimeZone = 'UTC'");
      // Segments are read by many queries of a warm process: keep their footers.
      await connection.run('SET parquet_metadata_cache = true');
      // Rows need no order (every query aggregates): segments are written by all threads at once.
      await connection.run('SET preserve_insertion_order = false');
      return new Engine(instance, connection, limits.tempDirectory);
    } catch (cause) {
      instance?.closeSync();
      if (cause instanceof WindowedError) throw cause;
      throw new WindowedError(
        'INVALID_CONFIG',
        `The file source could not start DuckDB (memoryLimit ${JSON.stringify(limits.memoryLimit)}, threads ${limits.threads}): ${(cause as Error).message}`,
        { cause },
      );
    }
  }

  /** Rows of one statement; statements run one at a time on the process's connection. */
  all(sql: string, params: readonly unknown[] = []): Promise<EngineRow[]> {
    return this.inTurn(async () => {
      const reader = await this.connection.runAndReadAll(sql, params as DuckDBValue[]);
      return reader.getRowObjectsJS().map(toRow);
    });
  }

  /**
   * `COPY (select) TO target` as Parquet, answering what DuckDB's `RETURN_STATS` reports of the file
   * written: its rows, and per column its NULLs, least and greatest value (as text)
   * (https://duckdb.org/docs/stable/sql/statements/copy#copy--to-options).
   */
  copyToParquet(select: string, target: string, options: string): Promise<CopyStats> {
    return this.inTurn(async () => {
      const reader = await this.connection.runAndReadAll(
        `copy (${select}) to ${sqlString(target)} (format parquet, ${options}, return_stats true)`,
      );
      const [row] = reader.getRowObjectsJS() as { count: bigint; column_statistics: StatsMap }[];
      const columns = new Map<string, ColumnStats>();
      for (const { key, value } of row?.column_statistics ?? []) {
        const stat = new Map(value.map((e) => [e.key, e.value]));
        columns.set(key.replace(/^"(.*)"$/, '$1').replaceAll('""', '"'), {
          nulls: Number(stat.get('null_count') ?? Number.NaN),
          min: stat.get('min') ?? null,
          max: stat.get('max') ?? null,
        });
      }
      return { rows: Number(row?.count ?? 0), columns };
    });
  }

  /** Stops the statement running now (a deadline passed); it rejects. */
  interrupt(): void {
    this.connection.interrupt();
  }

  /** Runs `work` after every statement queued before it: one statement at a time on the connection. */
  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
    fs.rmSync(this.tempDirectory, { recursive: true, force: true });
  }
}

function toRow(raw: Record<string, unknown>): EngineRow {
  const row: EngineRow = {};
  for (const key in raw) {
    const value = raw[key];
    if (value === null || value === undefined) row[key] = null;
    else if (typeof value === 'bigint') row[key] = Number(value);
    else if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean')
      row[key] = value;
    else row[key] = String(value);
  }
  return row;
}

/**
 * `@duckdb/node-api`, loaded when a file source first opens: an optional peer dependency, never
 * bundled into a function (a native addon; `require` finds it beside the program or via NODE_PATH).
 */
function loadDuckDB(): DuckDBModule {
  try {
    return createRequire(import.meta.url)('@duckdb/node-api') as DuckDBModule;
  } catch (cause) {
    throw new WindowedError(
      'MISSING_DEPENDENCY',
      `The ndjson, csv and parquet sources run on DuckDB, which could not be loaded (${firstLine(cause)}). Run: npm install "@duckdb/node-api@${DUCKDB_RANGE}"`,
      { cause },
    );
  }
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0]!;
}

/** A SQL string literal (paths, JSON structures): single quotes doubled. */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** A quoted DuckDB identifier. */
export function sqlName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
