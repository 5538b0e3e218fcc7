import * as v from 'valibot';

const nonEmpty = (what: string) =>
  v.pipe(v.string(`expected ${what} (string)`), v.minLength(1, `expected a non-empty ${what}`));

/** Options every file source takes: `ndjson`, `csv` and `parquet`. */
const fileOptions = {
  /** A file, a folder (its files of the type's extensions, recursively), or a glob (`logs/*.ndjson`). */
  path: nonEmpty('file, folder or glob'),
  /** The field (column) holding each line's time. Default `time`. */
  timeField: v.optional(nonEmpty('field name')),
  /** What a numeric time counts: `ms` (default) or `s`. */
  timeUnit: v.optional(v.picklist(['ms', 's'], 'expected "ms" or "s"')),
  /** Where ingested data is kept. Default `.windowed/cache` under the working directory. */
  cacheDir: v.optional(nonEmpty('folder path')),
  /** Malformed lines above this share of a run's lines fail the run. Default 0.01. */
  maxMalformedRatio: v.optional(
    v.pipe(
      v.number('expected a number from 0 to 1'),
      v.minValue(0, 'expected a number from 0 to 1'),
      v.maxValue(1, 'expected a number from 0 to 1'),
    ),
  ),
  /** A line longer than this many bytes is malformed (`too_long`). Default 1 MiB. */
  maxLineBytes: v.optional(
    v.pipe(
      v.number('expected a whole number of bytes'),
      v.integer('expected a whole number of bytes'),
      v.minValue(1024, 'expected at least 1024 bytes'),
      v.maxValue(1 << 30, 'expected at most 1 GiB'),
    ),
  ),
  /** DuckDB's `memory_limit` for this process. Default `'512MB'`. */
  memoryLimit: v.optional(
    v.pipe(
      v.string('expected a size such as "512MB" or "2GB"'),
      v.regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'expected a size such as "512MB" or "2GB"'),
    ),
  ),
  /** DuckDB's worker threads. Default: the machine's CPUs, at most 4. */
  threads: v.optional(
    v.pipe(
      v.number('expected a whole number of threads'),
      v.integer('expected a whole number of threads'),
      v.minValue(1, 'expected at least 1'),
      v.maxValue(64, 'expected at most 64'),
    ),
  ),
};

export const ndjsonSourceConfig = v.strictObject({ type: v.literal('ndjson'), ...fileOptions });
export const csvSourceConfig = v.strictObject({
  type: v.literal('csv'),
  ...fileOptions,
  /** The field separator. Default: detected (`,`, `;`, tab, `|`). */
  delimiter: v.optional(v.pipe(v.string('expected one character'), v.length(1, 'expected one character'))),
});
export const parquetSourceConfig = v.strictObject({ type: v.literal('parquet'), ...fileOptions });

export type NdjsonSourceOptions = Omit<v.InferOutput<typeof ndjsonSourceConfig>, 'type'>;
export type CsvSourceOptions = Omit<v.InferOutput<typeof csvSourceConfig>, 'type'>;
export type ParquetSourceOptions = Omit<v.InferOutput<typeof parquetSourceConfig>, 'type'>;

export type FileFormat = 'ndjson' | 'csv' | 'parquet';

/** A file source's options with every default filled in. */
export interface ResolvedFileOptions {
  format: FileFormat;
  path: string;
  timeField: string;
  timeUnit: 'ms' | 's';
  cacheDir: string;
  maxMalformedRatio: number;
  maxLineBytes: number;
  memoryLimit: string;
  threads: number;
  delimiter?: string;
}

export const FILE_DEFAULTS = {
  timeField: 'time',
  timeUnit: 'ms',
  maxMalformedRatio: 0.01,
  maxLineBytes: 1 << 20,
  memoryLimit: '512MB',
  maxThreads: 4,
} as const;

/** Extensions a folder is searched for, per format. */
export const EXTENSIONS: Record<FileFormat, readonly string[]> = {
  ndjson: ['.ndjson', '.jsonl', '.json', '.log'],
  csv: ['.csv', '.tsv'],
  parquet: ['.parquet'],
};
