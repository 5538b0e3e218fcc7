import * as v from 'valibot';
import { WindowedError } from '../errors.js';
import { IDENTIFIER } from '../query/validate.js';
import { optionProblem, safeParse } from '../schema-issues.js';
import { passwordReferenceSchema } from '../secrets/reference.js';
import { csvSourceConfig, ndjsonSourceConfig, parquetSourceConfig } from './files/options.js';
import { createFileSource } from './files/source.js';
import type { SourceFactory } from './registry.js';
import { createSqlSource, TABLE_NAME } from './sql.js';

/**
 * The `sql` source: a log table in SQLite, MySQL/MariaDB or PostgreSQL.
 *
 * ```json
 * { "type": "sql", "url": "mysql://reader:pass@127.0.0.1:3306/logs", "table": "access_log",
 *   "timeColumn": "ts", "timeType": "datetime" }
 * ```
 */
const DATABASE_URL = 'expected a database URL (sqlite:<path>, mysql://…, postgres://…)';

export const sqlSourceConfig = v.strictObject({
  type: v.literal('sql'),
  url: v.pipe(v.string(DATABASE_URL), v.minLength(1, DATABASE_URL)),
  table: v.pipe(
    v.string('expected the log table name (string)'),
    v.regex(TABLE_NAME, 'expected "table" or "schema.table" made of letters, digits and _'),
  ),
  timeColumn: v.optional(
    v.pipe(
      v.string('expected the time column name (string)'),
      v.regex(IDENTIFIER, 'expected a column name made of letters, digits and _'),
    ),
  ),
  timeType: v.optional(
    v.picklist(['datetime', 'epoch_ms', 'epoch_s'], 'expected "datetime", "epoch_ms" or "epoch_s"'),
  ),
  password: v.optional(passwordReferenceSchema),
});

function parseConfig<const S extends v.GenericSchema>(
  schema: S,
  config: Record<string, unknown>,
  type: string,
  sample: string,
): v.InferOutput<S> {
  const result = safeParse(schema, config);
  if (result.success) return result.output;
  const problems = result.issues.map((issue) => optionProblem(issue, 'config'));
  throw new WindowedError(
    'INVALID_CONFIG',
    `Invalid ${type} source config: ${problems.join('; ')}. Example: ${sample}`,
  );
}

const FILE_SAMPLE = (type: string, path: string) =>
  `{ "type": "${type}", "path": "${path}", "timeField": "time", "timeUnit": "ms" }`;
const SQL_SAMPLE =
  '{ "type": "sql", "url": "mysql://user:pass@host:3306/logs", "table": "access_log", "timeColumn": "ts" }';

export const builtinSourceFactories: SourceFactory[] = [
  {
    type: 'ndjson',
    create: (config) =>
      createFileSource(
        'ndjson',
        parseConfig(ndjsonSourceConfig, config, 'ndjson', FILE_SAMPLE('ndjson', './logs')),
      ),
  },
  {
    type: 'csv',
    create: (config) =>
      createFileSource(
        'csv',
        parseConfig(csvSourceConfig, config, 'csv', FILE_SAMPLE('csv', './logs/*.csv')),
      ),
  },
  {
    type: 'parquet',
    create: (config) =>
      createFileSource(
        'parquet',
        parseConfig(parquetSourceConfig, config, 'parquet', FILE_SAMPLE('parquet', './logs/*.parquet')),
      ),
  },
  {
    type: 'sql',
    create: (config) => createSqlSource(parseConfig(sqlSourceConfig, config, 'sql', SQL_SAMPLE)),
  },
];
