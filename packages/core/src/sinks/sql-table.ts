import { type Dialect, quoteName, type SqlClient } from '../db/client.js';
import {
  type ColumnDef,
  type ColumnInfo,
  columnSql,
  createTableSql,
  describeTable,
  hasTable,
  type SendAlongside,
} from '../db/schema.js';
import { WindowedError } from '../errors.js';
import { builtin } from '../node-builtins.js';
import { RESERVED_COLUMNS } from '../query/validate.js';
import { MAX_GROUP_CHARS } from './group-values.js';
import type { ColumnSet } from './types.js';

const { createHash } = builtin('node:crypto');

/** The column of a grouped table's key: SHA-256 (hex) of the row's group values. */
export const GROUP_KEY_COLUMN = 'group_key';

/** What a write needs to know of the sink table, learnt once per process. */
export interface TableShape {
  /**
   * MySQL, and a unique key on exactly (job, window_start): a window has at most one row, and an
   * `INSERT … ON DUPLICATE KEY UPDATE` replaces it. (Other dialects always delete, then insert.)
   */
  keyIsWindow: boolean;
  /**
   * The table is unique on (job, window_start, group_key): what windowed creates for grouped results.
   * Tables created by windowed 0.1 are unique on the group columns themselves.
   */
  groupKey: boolean;
  /** The longest value each group column stores, in characters. */
  maxChars: Map<string, number>;
  /**
   * In a table keyed on its group columns (windowed 0.1 created them in the database's default
   * collation, e.g. utf8mb4_general_ci), the MySQL columns that do not compare byte by byte: name →
   * collation. Two groups that differ only in case, accents or trailing spaces collide in the key; the
   * write of that window fails and says how to fix the table.
   */
  inexact: Map<string, string>;
  /** The collation that would fix them (see exactCollation), when there are any. */
  exactCollation: string | undefined;
}

/**
 * Creates the sink table if missing — group columns of up to {@link MAX_GROUP_CHARS} characters compared
 * byte by byte, unique on a hash of them — or checks and extends an existing one (new metric columns).
 * `alongside` may carry the first look at the table with another message (a ledger's claim).
 */
export async function prepareTable(
  db: SqlClient,
  table: string,
  columns: ColumnSet,
  alongside?: SendAlongside,
): Promise<TableShape> {
  for (const name of [...columns.dimensions, ...columns.metrics.map((m) => m.name)]) {
    if ((RESERVED_COLUMNS as readonly string[]).includes(name)) {
      throw new WindowedError(
        'SINK_FAILED',
        `Column "${name}" is reserved in sink tables; rename the metric or field.`,
      );
    }
  }
  // The warm path asks once (one round trip): a table that shows no column does not exist yet.
  const uniqueKeys = db.dialect === 'mysql' && columns.dimensions.length === 0;
  let found = await describeTable(db, table, { uniqueKeys, alongside });
  if (found.columns.size === 0) {
    try {
      await db.query(await createStatement(db, table, columns));
      return {
        keyIsWindow: uniqueKeys,
        groupKey: columns.dimensions.length > 0,
        maxChars: new Map(columns.dimensions.map((d) => [d, MAX_GROUP_CHARS])),
        inexact: new Map(),
        exactCollation: undefined,
      };
    } catch (error) {
      // Another process created it between our look and our CREATE.
      if (!(await hasTable(db, table))) throw error;
      found = await describeTable(db, table, { uniqueKeys });
    }
  }
  const existing = found.columns;
  await extendTable(db, table, columns, existing);
  const groupKey = existing.has(GROUP_KEY_COLUMN);
  const inexact = new Map<string, string>();
  if (db.dialect === 'mysql' && !groupKey) {
    for (const d of columns.dimensions) {
      const collation = existing.get(d.toLowerCase())?.collation;
      if (collation && !isExactCollation(collation)) inexact.set(d, collation);
    }
  }
  return {
    keyIsWindow: uniqueKeys && found.uniqueKeys.some((key) => key.join(',') === 'job,window_start'),
    groupKey,
    maxChars: new Map(columns.dimensions.map((d) => [d, storedChars(db, existing.get(d.toLowerCase()))])),
    inexact,
    exactCollation: inexact.size > 0 ? await exactCollation(db) : undefined,
  };
}

async function createStatement(db: SqlClient, table: string, columns: ColumnSet): Promise<string> {
  const grouped = columns.dimensions.length > 0;
  // Byte-exact group columns on MySQL/MariaDB; a NO PAD collation also tells "a" from "a ".
  const collate = grouped && db.dialect === 'mysql' ? await exactCollation(db) : undefined;
  return createTableSql(db.dialect, table, {
    columns: [
      { name: 'job', type: { varchar: 64 }, notNull: true },
      { name: 'window_start', type: 'datetime', notNull: true },
      { name: 'window_end', type: 'datetime', notNull: true },
      ...columns.dimensions.map(
        (d): ColumnDef => ({ name: d, type: { varchar: MAX_GROUP_CHARS }, ...(collate ? { collate } : {}) }),
      ),
      ...columns.metrics.map((m) => metricColumn(m.name, m.type)),
      { name: 'computed_at', type: 'datetime' },
      ...(grouped
        ? [
            {
              name: GROUP_KEY_COLUMN,
              type: { varchar: 64 },
              notNull: true,
              collate: 'ascii_bin',
            } as ColumnDef,
          ]
        : []),
    ],
    // 1,024 characters of 4 bytes do not fit a key (InnoDB: 3,072 bytes,
    // https://dev.mysql.com/doc/refman/8.0/en/innodb-limits.html; PostgreSQL: a third of a page,
    // ≈ 2,700 bytes, https://www.postgresql.org/docs/current/btree-implementation.html): a grouped table
    // is unique on a hash of its group values instead.
    unique: {
      name: indexName(table),
      columns: grouped ? ['job', 'window_start', GROUP_KEY_COLUMN] : ['job', 'window_start'],
    },
  });
}

/**
 * The server's binary utf8mb4 collation without trailing-space padding: `utf8mb4_0900_bin` on MySQL 8
 * (https://dev.mysql.com/worklog/task/?id=13054), `utf8mb4_nopad_bin` on MariaDB
 * (https://mariadb.com/kb/en/information-schema-collations-table), else `utf8mb4_bin` (which ignores
 * trailing spaces in comparisons; the hash key still tells such values apart).
 */
async function exactCollation(db: SqlClient): Promise<string> {
  const rows = await db.query(
    "select collation_name as name from information_schema.collations where collation_name in ('utf8mb4_0900_bin', 'utf8mb4_nopad_bin')",
  );
  const names = new Set(rows.map((r) => String(r.name)));
  return names.has('utf8mb4_0900_bin')
    ? 'utf8mb4_0900_bin'
    : names.has('utf8mb4_nopad_bin')
      ? 'utf8mb4_nopad_bin'
      : 'utf8mb4_bin';
}

/** Binary and without trailing-space padding (the `binary` collation is for binary strings). */
function isExactCollation(collation: string): boolean {
  return collation === 'binary' || collation.endsWith('_0900_bin') || collation.endsWith('_nopad_bin');
}

/** The longest value a group column stores exactly: its declared length, at most MAX_GROUP_CHARS. */
function storedChars(db: SqlClient, info: ColumnInfo | undefined): number {
  // SQLite ignores declared lengths: it stores what it is given.
  if (db.dialect === 'sqlite' || !info?.maxChars) return MAX_GROUP_CHARS;
  return Math.min(info.maxChars, MAX_GROUP_CHARS);
}

/** An existing table gains new metric columns; a different groupBy needs another table. */
async function extendTable(
  db: SqlClient,
  table: string,
  columns: ColumnSet,
  existing: Map<string, ColumnInfo>,
): Promise<void> {
  const missingDims = columns.dimensions.filter((d) => !existing.has(d.toLowerCase()));
  if (missingDims.length > 0) {
    throw new WindowedError(
      'SINK_FAILED',
      `Sink table ${table} has no column ${missingDims.join(', ')}: it was created for another groupBy. Use another table (?table=) or migrate it.`,
    );
  }
  const quoted = quoteName(db.dialect, table);
  for (const m of columns.metrics.filter((m) => !existing.has(m.name.toLowerCase()))) {
    await db.query(`alter table ${quoted} add column ${columnSql(db.dialect, metricColumn(m.name, m.type))}`);
  }
}

/**
 * Why two groups of a window collided in a table keyed on its group columns, and the statement that
 * makes them compare byte by byte (keeping the column's length and the key).
 */
export function collisionAdvice(table: string, shape: TableShape, dialect: Dialect): string {
  if (shape.inexact.size === 0 || !shape.exactCollation) return '';
  const q = (name: string) => quoteName(dialect, name);
  const columns = [...shape.inexact].map(([d, collation]) => `${d} (${collation})`).join(', ');
  const modify = [...shape.inexact.keys()]
    .map(
      (d) =>
        `MODIFY ${q(d)} varchar(${shape.maxChars.get(d)}) CHARACTER SET utf8mb4 COLLATE ${shape.exactCollation} NULL`,
    )
    .join(', ');
  return ` The table's key compares group values that differ in case, accents or trailing spaces as equal — column ${columns}, as windowed 0.1 created it — so "/Cart" and "/cart" are one key. Make the columns byte-exact with: ALTER TABLE ${q(table)} ${modify}; or point the sink at a new table (?table=), which windowed creates byte-exact for values of up to ${MAX_GROUP_CHARS.toLocaleString('en-US')} characters.`;
}

function metricColumn(name: string, type: ColumnSet['metrics'][number]['type']): ColumnDef {
  return { name, type: type === 'integer' ? 'bigint' : type === 'number' ? 'double' : 'text' };
}

function indexName(table: string): string {
  const base = `${table.replace('.', '_')}_window_uq`;
  return base.length <= 60 ? base : `wuq_${createHash('sha1').update(table).digest('hex').slice(0, 16)}`;
}
