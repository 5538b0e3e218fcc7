import * as z from 'zod/mini';
import { WindowedError } from '../errors.js';
import { IDENTIFIER } from '../query/validate.js';
import { passwordReferenceSchema } from '../secrets/reference.js';
import { zodMessages as messages } from '../zod-messages.js';
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
export const sqlSourceConfig = z.strictObject({
  type: z.literal('sql'),
  url: z
    .string({ error: 'expected a database URL (sqlite:<path>, mysql://…, postgres://…)' })
    .check(z.minLength(1, 'expected a database URL (sqlite:<path>, mysql://…, postgres://…)')),
  table: z
    .string({ error: 'expected the log table name (string)' })
    .check(z.regex(TABLE_NAME, 'expected "table" or "schema.table" made of letters, digits and _')),
  timeColumn: z.optional(
    z
      .string({ error: 'expected the time column name (string)' })
      .check(z.regex(IDENTIFIER, 'expected a column name made of letters, digits and _')),
  ),
  timeType: z.optional(
    z.enum(['datetime', 'epoch_ms', 'epoch_s'], { error: 'expected "datetime", "epoch_ms" or "epoch_s"' }),
  ),
  password: z.optional(passwordReferenceSchema),
});

function parseConfig<T>(
  schema: z.ZodMiniType<T>,
  config: Record<string, unknown>,
  type: string,
  sample: string,
): T {
  const result = schema.safeParse(config, messages);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return `unknown option${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    }
    const field = issue.path.length > 0 ? issue.path.join('.') : 'config';
    return `${field}: ${issue.message}`;
  });
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
