import * as z from 'zod/mini';

const nonEmpty = (what: string) =>
  z.string({ error: `expected ${what} (string)` }).check(z.minLength(1, `expected a non-empty ${what}`));

/** Options every file source takes: `ndjson`, `csv` and `parquet`. */
const fileOptions = {
  /** A file, a folder (its files of the type's extensions, recursively), or a glob (`logs/*.ndjson`). */
  path: nonEmpty('file, folder or glob'),
  /** The field (column) holding each line's time. Default `time`. */
  timeField: z.optional(nonEmpty('field name')),
  /** What a numeric time counts: `ms` (default) or `s`. */
  timeUnit: z.optional(z.enum(['ms', 's'], { error: 'expected "ms" or "s"' })),
  /** Where ingested data is kept. Default `.windowed/cache` under the working directory. */
  cacheDir: z.optional(nonEmpty('folder path')),
  /** Malformed lines above this share of a run's lines fail the run. Default 0.01. */
  maxMalformedRatio: z.optional(
    z
      .number({ error: 'expected a number from 0 to 1' })
      .check(z.gte(0, 'expected a number from 0 to 1'), z.lte(1, 'expected a number from 0 to 1')),
  ),
  /** A line longer than this many bytes is malformed (`too_long`). Default 1 MiB. */
  maxLineBytes: z.optional(
    z
      .int({ error: 'expected a whole number of bytes' })
      .check(z.gte(1024, 'expected at least 1024 bytes'), z.lte(1 << 30, 'expected at most 1 GiB')),
  ),
  /** DuckDB's `memory_limit` for this process. Default `'512MB'`. */
  memoryLimit: z.optional(
    z
      .string({ error: 'expected a size such as "512MB" or "2GB"' })
      .check(
        z.regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'expected a size such as "512MB" or "2GB"'),
      ),
  ),
  /** DuckDB's worker threads. Default: the machine's CPUs, at most 4. */
  threads: z.optional(
    z
      .int({ error: 'expected a whole number of threads' })
      .check(z.gte(1, 'expected at least 1'), z.lte(64, 'expected at most 64')),
  ),
};

export const ndjsonSourceConfig = z.strictObject({ type: z.literal('ndjson'), ...fileOptions });
export const csvSourceConfig = z.strictObject({
  type: z.literal('csv'),
  ...fileOptions,
  /** The field separator. Default: detected (`,`, `;`, tab, `|`). */
  delimiter: z.optional(
    z.string({ error: 'expected one character' }).check(z.length(1, 'expected one character')),
  ),
});
export const parquetSourceConfig = z.strictObject({ type: z.literal('parquet'), ...fileOptions });

export type NdjsonSourceOptions = Omit<z.infer<typeof ndjsonSourceConfig>, 'type'>;
export type CsvSourceOptions = Omit<z.infer<typeof csvSourceConfig>, 'type'>;
export type ParquetSourceOptions = Omit<z.infer<typeof parquetSourceConfig>, 'type'>;

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
