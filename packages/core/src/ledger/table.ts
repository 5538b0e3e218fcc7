import { type Dialect, quoteName, type SqlClient, type SqlStatement } from '../db/client.js';
import { columnNames, columnSql, createTableSql, type TableDef } from '../db/schema.js';
import { builtin } from '../node-builtins.js';

const { createHash } = builtin('node:crypto');

export const LEDGER_TABLE = 'windowed_runs';

/** Longest sink identity and trigger id stored as written; longer ones are stored as their hash. */
export const SINK_COLUMN_CHARS = 255;
export const TRIGGER_COLUMN_CHARS = 255;

/**
 * The sink of rows migrated from a 0.1 ledger (which had no `sink` column) until their job claims
 * them for the sink it is configured with: see {@link claimStatement}.
 */
export const UNCLAIMED_SINK = '';

/** The columns a ledger row has since 0.2; a 0.1 table has the first eight only (without `sink`). */
export const LEDGER_TABLE_DEF = {
  columns: [
    { name: 'job', type: { varchar: 64 }, notNull: true },
    { name: 'sink', type: { varchar: SINK_COLUMN_CHARS }, notNull: true, collate: 'utf8mb4_bin' },
    { name: 'window_start', type: 'datetime', notNull: true },
    { name: 'window_end', type: 'datetime', notNull: true },
    { name: 'status', type: { varchar: 16 }, notNull: true },
    { name: 'attempts', type: 'integer', notNull: true, defaultTo: 0 },
    { name: 'last_error', type: 'text' },
    { name: 'trigger_id', type: { varchar: TRIGGER_COLUMN_CHARS } },
    { name: 'updated_at', type: 'datetime', notNull: true },
    { name: 'fingerprint', type: { varchar: 64 } },
    { name: 'failed_at', type: 'datetime' },
    { name: 'expires_at', type: 'datetime' },
  ],
  primaryKey: ['job', 'sink', 'window_start'],
} as const satisfies TableDef;

/**
 * The secondary index `status` reads the windows not succeeded through (failed, running, and — by
 * their fingerprint — stale), without scanning the job's other rows. `window_start` last makes it
 * cover those reads on PostgreSQL and SQLite (InnoDB appends the primary key to it anyway).
 */
export const LEDGER_STATUS_INDEX = {
  name: `${LEDGER_TABLE}_status`,
  columns: ['job', 'sink', 'status', 'fingerprint', 'window_start'],
} as const;

/** `index windowed_runs_status (job, …)`, as `CREATE TABLE` and `ALTER TABLE` take it (MySQL). */
function statusIndexClause(dialect: Dialect): string {
  const q = (name: string) => quoteName(dialect, name);
  return `index ${q(LEDGER_STATUS_INDEX.name)} (${LEDGER_STATUS_INDEX.columns.map(q).join(', ')})`;
}

function createStatusIndexSql(dialect: Dialect): string {
  return `create ${statusIndexClause(dialect).replace(' (', ` on ${quoteName(dialect, LEDGER_TABLE)} (`)}`;
}

/** What the ledger table looks like in a database: absent, as 0.1 made it, or current. */
export type LedgerTableState = 'absent' | 'legacy' | 'current';

export async function ledgerTableState(db: SqlClient): Promise<LedgerTableState> {
  const columns = await columnNames(db, LEDGER_TABLE);
  if (columns.size === 0) return 'absent';
  return columns.has('sink') ? 'current' : 'legacy';
}

/** `value` when it fits `max` characters, else `sha256:` and its hash (same value, same stored text). */
export function fitColumn(value: string, max: number): string {
  return value.length <= max ? value : `sha256:${createHash('sha256').update(value).digest('hex')}`;
}

/**
 * Creates the table, or migrates a 0.1 table in place: its rows keep everything and get the sink
 * {@link UNCLAIMED_SINK} (their job claims them on first use), the key becomes (job, sink,
 * window_start). Safe when several processes do it at once: each migration is one atomic step
 * (one ALTER on MySQL, a transaction elsewhere), and a process that loses the race finds the table
 * current when it looks again.
 */
export async function prepareLedgerTable(db: SqlClient): Promise<void> {
  const state = await ledgerTableState(db);
  if (state === 'current') return;
  try {
    if (state === 'absent') await create(db);
    else await migrate(db);
  } catch (error) {
    // Another process created or migrated it meanwhile.
    if ((await ledgerTableState(db)) !== 'current') throw error;
  }
}

/** The table and its index, together (one statement on MySQL, a transaction elsewhere). */
async function create(db: SqlClient): Promise<void> {
  const table = createTableSql(db.dialect, LEDGER_TABLE, LEDGER_TABLE_DEF);
  if (db.dialect === 'mysql') {
    await db.query(`${table.slice(0, -1)}, ${statusIndexClause('mysql')})`);
    return;
  }
  await db.transaction(async (tx) => {
    await tx.query(table);
    await tx.query(createStatusIndexSql(db.dialect));
  });
}

const ADDED = ['sink', 'fingerprint', 'failed_at', 'expires_at'] as const;

function addedColumns(dialect: Dialect): string[] {
  return ADDED.map((name) => {
    const def = LEDGER_TABLE_DEF.columns.find((c) => c.name === name)!;
    const sql = `add column ${columnSql(dialect, def)}`;
    return name === 'sink' ? `${sql.replace(/ not null$/, '')} not null default ''` : sql;
  });
}

async function migrate(db: SqlClient): Promise<void> {
  const q = (name: string) => quoteName(db.dialect, name);
  const table = q(LEDGER_TABLE);
  const key = LEDGER_TABLE_DEF.primaryKey.map(q).join(', ');
  if (db.dialect === 'mysql') {
    // One statement: MariaDB applies it whole or not at all, and a concurrent one fails on the column.
    await db.query(
      `alter table ${table} ${addedColumns('mysql').join(', ')}, drop primary key, add primary key (${key}), add ${statusIndexClause('mysql')}`,
    );
    return;
  }
  if (db.dialect === 'postgres') {
    await db.transaction(async (tx) => {
      // The first ALTER takes the table's exclusive lock: a concurrent migration waits, then fails on the column.
      await tx.query(`alter table ${table} ${addedColumns('postgres').join(', ')}`);
      const [pk] = await tx.query(
        `select conname as name from pg_constraint where conrelid = '${LEDGER_TABLE}'::regclass and contype = 'p'`,
      );
      const drop = pk ? `drop constraint ${q(String(pk.name))}, ` : '';
      await tx.query(`alter table ${table} ${drop}add primary key (${key})`);
      await tx.query(createStatusIndexSql('postgres'));
    });
    return;
  }
  // SQLite cannot change a primary key: the rows move to a new table in one (IMMEDIATE) transaction.
  await db.transaction(async (tx) => {
    const columns = new Set(
      (await tx.query('select name from pragma_table_info(?)', [LEDGER_TABLE])).map((r) => String(r.name)),
    );
    if (columns.has('sink')) return;
    const next = `${LEDGER_TABLE}_migrating`;
    await tx.query(`drop table if exists ${q(next)}`);
    await tx.query(createTableSql('sqlite', next, LEDGER_TABLE_DEF));
    const kept = LEDGER_TABLE_DEF.columns
      .map((c) => c.name)
      .filter((name) => !(ADDED as readonly string[]).includes(name));
    await tx.query(
      `insert into ${q(next)} (${[...kept, 'sink'].map(q).join(', ')}) select ${kept.map(q).join(', ')}, '' from ${table}`,
    );
    await tx.query(`drop table ${table}`);
    await tx.query(`alter table ${q(next)} rename to ${table}`);
    await tx.query(createStatusIndexSql('sqlite'));
  });
}

/**
 * Gives the job's migrated rows ({@link UNCLAIMED_SINK}) to the sink it runs with: sent once per
 * process and job before its first write (in the same round trip where the connection allows).
 */
export function claimStatement(dialect: Dialect, job: string, sink: string): SqlStatement {
  const q = (name: string) => quoteName(dialect, name);
  return {
    sql: `update ${q(LEDGER_TABLE)} set ${q('sink')} = ? where ${q('job')} = ? and ${q('sink')} = ?`,
    params: [sink, job, UNCLAIMED_SINK],
  };
}
