import type { StatementLimit } from './budget.js';

export type Dialect = 'sqlite' | 'mysql' | 'postgres';

/** One statement: SQL with `?` placeholders (every dialect) and its bound values, in order. */
export interface SqlStatement {
  sql: string;
  params: readonly unknown[];
}

export type SqlRow = Record<string, unknown>;

export interface QueryOptions {
  /**
   * Give up after this many milliseconds: the statement is cancelled on the server (MySQL
   * `KILL QUERY`, PostgreSQL `pg_cancel_backend`) and the promise rejects with {@link DbTimeoutError}.
   * Inside a statement budget (a run with a deadline, see `withStatementBudget`) the budget's end
   * applies too, whichever comes first — to every statement, with or without `timeoutMs`. SQLite
   * statements run synchronously and cannot be interrupted: they are refused once the limit passed.
   */
  timeoutMs?: number;
}

/**
 * How long a pooled connection may sit idle before the pool closes it: longer than a per-minute
 * schedule's gap, so a warm function's next run finds its connections (a new one costs a handshake,
 * and the database a session, on every run), and well below the network's own idle limits, past
 * which a middlebox forgets the connection without a word (AWS: 350 s by default, e.g.
 * https://docs.aws.amazon.com/network-firewall/latest/APIReference/API_FlowTimeouts.html; NAT
 * gateways count such drops as IdleTimeoutCount,
 * https://repost.aws/knowledge-center/vpc-troubleshoot-nat-gateway-connection).
 */
export const POOL_IDLE_MS = 120_000;

/** Runs statements on a connection (or on the pool). */
export interface SqlExecutor {
  readonly dialect: Dialect;
  /** The rows a statement returns; `[]` for statements that return none. */
  query<T extends SqlRow = SqlRow>(
    sql: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<T[]>;
}

/**
 * A pooled connection to one database, talking to the driver directly: windowed's statements are few
 * and fixed, so they are written per dialect instead of built at run time (a query builder costs
 * more client time per scheduled run than the round trip, and tens of milliseconds at cold start).
 * Every value is bound by the driver, never concatenated; names are validated, then quoted.
 */
export interface SqlClient extends SqlExecutor {
  /**
   * MySQL pools opened with `multipleStatements` (windowed's own sink and ledger connections): several
   * statements can travel in one round trip with {@link SqlClient.batch}.
   */
  readonly multipleStatements: boolean;
  /** Runs `fn` in a transaction on one connection: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Runs the statements in order on one connection — in one round trip where the pool allows several
   * statements per query — and answers each one's rows. With `transaction`, all or none take effect.
   */
  batch(statements: readonly SqlStatement[], options?: { transaction?: boolean }): Promise<SqlRow[][]>;
  close(): Promise<void>;
}

/** A statement cancelled because its time limit (its `timeoutMs`, or the run's deadline) ran out. */
export class DbTimeoutError extends Error {
  override readonly name = 'DbTimeoutError';
  readonly code = 'DB_TIMEOUT';
  constructor(
    readonly limit: Pick<StatementLimit, 'reason'> & { timeoutMs?: number },
    /** The server did not confirm the cancellation in time: the connection was closed instead. */
    readonly unconfirmed = false,
  ) {
    super(
      `The statement did not finish ${limit.reason === 'deadline' ? "before the run's deadline" : `within ${limit.timeoutMs} ms`} and was cancelled${unconfirmed ? ' (the server did not confirm in time; its connection was closed)' : ''}.`,
    );
  }
}

const quotedNames = {
  sqlite: new Map<string, string>(),
  mysql: new Map<string, string>(),
  postgres: new Map<string, string>(),
};

/** A name (`table`, `schema.table`, `column`) quoted for the dialect; callers validated its parts. */
export function quoteName(dialect: Dialect, name: string): string {
  // Remembered: every scheduled run quotes the same few names again.
  const cache = quotedNames[dialect];
  let quoted = cache.get(name);
  if (quoted === undefined) {
    const quote = dialect === 'mysql' ? '`' : '"';
    quoted = name
      .split('.')
      .map((part) => `${quote}${part.split(quote).join(quote + quote)}${quote}`)
      .join('.');
    if (cache.size < 10_000) cache.set(name, quoted);
  }
  return quoted;
}

/** `tuple` repeated `rows` times, comma-separated: the VALUES list of a multi-row INSERT. */
export function valuesList(tuple: string, rows: number): string {
  return `${tuple}${`, ${tuple}`.repeat(rows - 1)}`;
}

/** `table` or `schema.table` as its two parts. */
export function splitTableName(name: string): { schema: string | undefined; table: string } {
  const dot = name.indexOf('.');
  return dot < 0
    ? { schema: undefined, table: name }
    : { schema: name.slice(0, dot), table: name.slice(dot + 1) };
}

/**
 * `batch` where statements cannot share a round trip: one after another on one connection (in a
 * transaction when asked), answering each one's rows.
 */
export function batchInOrder(
  client: SqlClient,
  statements: readonly SqlStatement[],
  options: { transaction?: boolean },
): Promise<SqlRow[][]> {
  return options.transaction
    ? client.transaction((tx) => runInOrder(tx, statements))
    : runInOrder(client, statements);
}

/** Runs statements one after another on one executor, answering each one's rows. */
export async function runInOrder(
  executor: SqlExecutor,
  statements: readonly SqlStatement[],
): Promise<SqlRow[][]> {
  const results: SqlRow[][] = [];
  for (const { sql, params } of statements) results.push(await executor.query(sql, params));
  return results;
}
