import {
  type Dialect,
  quoteName,
  type SqlClient,
  type SqlExecutor,
  type SqlRow,
  type SqlStatement,
  splitTableName,
} from './client.js';

/** Column types windowed creates; each dialect spells them its own way (as knex did for earlier tables). */
export type ColumnType = 'datetime' | 'integer' | 'bigint' | 'double' | 'text' | { varchar: number };

export interface ColumnDef {
  name: string;
  type: ColumnType;
  notNull?: boolean;
  /** An integer default. */
  defaultTo?: number;
  /**
   * MySQL/MariaDB: the column's collation (`utf8mb4_bin`, `ascii_bin`); its character set is the
   * collation's prefix. SQLite (BINARY) and PostgreSQL (deterministic collations) already compare text
   * byte by byte for equality.
   */
  collate?: string;
}

export interface TableDef {
  columns: readonly ColumnDef[];
  primaryKey?: readonly string[];
  unique?: { name: string; columns: readonly string[] };
}

function typeSql(dialect: Dialect, type: ColumnType): string {
  if (typeof type === 'object') return `varchar(${Math.trunc(type.varchar)})`;
  switch (type) {
    case 'datetime':
      // Millisecond precision; PostgreSQL stores the instant (timestamptz), the others UTC readings.
      return dialect === 'mysql' ? 'datetime(3)' : dialect === 'postgres' ? 'timestamptz(3)' : 'datetime';
    case 'double':
      return dialect === 'postgres' ? 'double precision' : dialect === 'mysql' ? 'double' : 'float';
    default:
      return type;
  }
}

export function columnSql(dialect: Dialect, column: ColumnDef): string {
  const parts = [quoteName(dialect, column.name), typeSql(dialect, column.type)];
  if (column.collate && dialect === 'mysql')
    parts.push(`character set ${column.collate.split('_')[0]} collate ${column.collate}`);
  parts.push(column.notNull ? 'not null' : 'null');
  if (column.defaultTo !== undefined) parts.push(`default ${Math.trunc(column.defaultTo)}`);
  return parts.join(' ');
}

/** `CREATE TABLE` for a table whose name and column names the caller validated. */
export function createTableSql(dialect: Dialect, table: string, def: TableDef): string {
  const q = (name: string) => quoteName(dialect, name);
  const lines = def.columns.map((c) => columnSql(dialect, c));
  if (def.primaryKey) lines.push(`primary key (${def.primaryKey.map(q).join(', ')})`);
  if (def.unique)
    lines.push(`constraint ${q(def.unique.name)} unique (${def.unique.columns.map(q).join(', ')})`);
  return `create table ${q(table)} (${lines.join(', ')})`;
}

/** Whether the table exists (`table` in the connection's default schema, or `schema.table`). */
export async function hasTable(db: SqlExecutor, name: string): Promise<boolean> {
  const { schema, table } = splitTableName(name);
  if (db.dialect === 'sqlite') {
    const master = schema ? `${quoteName('sqlite', schema)}.sqlite_master` : 'sqlite_master';
    return (
      (await db.query(`select 1 as found from ${master} where type = 'table' and name = ?`, [table])).length >
      0
    );
  }
  const rows = await db.query(
    `select 1 as found from information_schema.tables where table_schema = ${schemaSql(db.dialect, schema)} and table_name = ?`,
    schema ? [schema, table] : [table],
  );
  return rows.length > 0;
}

/** The table's column names, lower-cased. */
export async function columnNames(db: SqlExecutor, name: string): Promise<Set<string>> {
  const { schema, table } = splitTableName(name);
  const rows =
    db.dialect === 'sqlite'
      ? await db.query('select name from pragma_table_info(?, ?)', [table, schema ?? 'main'])
      : await db.query(
          `select column_name as name from information_schema.columns where table_schema = ${schemaSql(db.dialect, schema)} and table_name = ?`,
          schema ? [schema, table] : [table],
        );
  return new Set(rows.map((r) => String(r.name).toLowerCase()));
}

export interface ColumnInfo {
  /** A text column's declared length in characters; null for other types, and on SQLite (which ignores it). */
  maxChars: number | null;
  /** The column's collation where the database reports one (MySQL: always for text; PostgreSQL: when not the default). */
  collation: string | null;
}

export interface TableDescription {
  /** The columns by lower-cased name; none when the table does not exist (or shows the user no column). */
  columns: Map<string, ColumnInfo>;
  /** MySQL, when asked for: the columns of each unique key, lower-cased, in key order. */
  uniqueKeys: string[][];
}

/**
 * Sends statements with another message on the same database when it can (a ledger's claim: see
 * `SqlLedger.withClaim`): their rows, or `undefined` for the caller to send them itself.
 */
export type SendAlongside = (statements: readonly SqlStatement[]) => Promise<SqlRow[][] | undefined>;

/**
 * The table's columns (declared text lengths and collations) and, on MySQL when asked, its unique
 * keys — in one round trip where the client can send both statements at once, or with `alongside`.
 */
export async function describeTable(
  db: SqlClient,
  name: string,
  options: { uniqueKeys: boolean; alongside?: SendAlongside | undefined },
): Promise<TableDescription> {
  const withKeys = options.uniqueKeys && db.dialect === 'mysql';
  const statements = [
    columnInfoStatement(db.dialect, name),
    ...(withKeys ? [uniqueKeysStatement(name)] : []),
  ];
  const [columnRows = [], keyRows = []] =
    (await options.alongside?.(statements)) ??
    (statements.length === 1
      ? [await db.query(statements[0]!.sql, statements[0]!.params)]
      : await db.batch(statements));
  return { columns: columnInfoOf(columnRows), uniqueKeys: uniqueKeysOf(keyRows) };
}

function columnInfoStatement(dialect: Dialect, name: string): SqlStatement {
  const { schema, table } = splitTableName(name);
  if (dialect === 'sqlite')
    return { sql: 'select name from pragma_table_info(?, ?)', params: [table, schema ?? 'main'] };
  return {
    sql: `select column_name as name, character_maximum_length as max_chars, collation_name as collation from information_schema.columns where table_schema = ${schemaSql(dialect, schema)} and table_name = ?`,
    params: schema ? [schema, table] : [table],
  };
}

function columnInfoOf(rows: readonly SqlRow[]): Map<string, ColumnInfo> {
  return new Map(
    rows.map((r) => [
      String(r.name).toLowerCase(),
      {
        maxChars: r.max_chars === null || r.max_chars === undefined ? null : Number(r.max_chars),
        collation: r.collation === null || r.collation === undefined ? null : String(r.collation),
      },
    ]),
  );
}

function uniqueKeysStatement(name: string): SqlStatement {
  const { schema, table } = splitTableName(name);
  return {
    sql: `select index_name as name, column_name as col from information_schema.statistics where table_schema = ${schemaSql('mysql', schema)} and table_name = ? and non_unique = 0 order by index_name, seq_in_index`,
    params: schema ? [schema, table] : [table],
  };
}

function uniqueKeysOf(rows: readonly SqlRow[]): string[][] {
  const keys = new Map<string, string[]>();
  for (const row of rows)
    keys.set(String(row.name), [...(keys.get(String(row.name)) ?? []), String(row.col).toLowerCase()]);
  return [...keys.values()];
}

function schemaSql(dialect: Dialect, schema: string | undefined): string {
  if (schema) return '?';
  return dialect === 'mysql' ? 'database()' : 'current_schema()';
}
