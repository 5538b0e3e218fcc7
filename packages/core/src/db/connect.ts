import { redact, registerSecret, WindowedError } from '../errors.js';
import { SecretCredentialsClient } from '../secrets/client.js';
import {
  describeReference,
  PASSWORD_REFERENCE_PARAMS,
  type PasswordReference,
  passwordReferenceOf,
} from '../secrets/reference.js';
import type { DatabaseCredentials } from '../secrets/resolver.js';
import { sleep } from '../time/sleep.js';
import type { Dialect, SqlClient } from './client.js';
import { MysqlClient } from './mysql.js';
import { PostgresClient } from './postgres.js';
import { sharedClient } from './shared.js';
import { SqliteClient } from './sqlite.js';

export type { Dialect, SqlClient, SqlExecutor, SqlRow, SqlStatement } from './client.js';

export interface DatabaseUrl {
  dialect: Dialect;
  /** The URL without windowed's own query parameters (`table`, ...). Contains secrets: never log it. */
  url: string;
  /** SQLite file path (or `:memory:`). */
  filename?: string;
  params: URLSearchParams;
  /** `scheme://user@host:port/db` without password, for logs. */
  display: string;
  /** Where the password lives when the URL names it (`passwordSecret=` / `passwordParameter=`). */
  password?: PasswordReference;
}

const SCHEMES: Record<string, Dialect> = {
  'sqlite:': 'sqlite',
  'mysql:': 'mysql',
  'mariadb:': 'mysql',
  'postgres:': 'postgres',
  'postgresql:': 'postgres',
};

/** The dialect a database URL's scheme names (`mariadb:` is `mysql`), if it is one. */
export function dialectOf(url: string): Dialect | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*:)/i.exec(url)?.[1]?.toLowerCase();
  return scheme ? SCHEMES[scheme] : undefined;
}

/** windowed's own parameters, removed before the URL reaches the driver. */
const OWN_PARAMS = ['table', 'timeColumn', 'timeType', 'state', ...Object.values(PASSWORD_REFERENCE_PARAMS)];

/**
 * Parses `sqlite:<path>` (`sqlite:./x.db`, `sqlite:///abs/x.db`, `sqlite::memory:`),
 * `mysql://` / `mariadb://` and `postgres://` / `postgresql://` URLs. The password, however it is
 * spelled, is remembered for redaction before anything can be reported about the URL.
 */
export function parseDatabaseUrl(input: string, what = 'database URL'): DatabaseUrl {
  const credentials = rememberCredentials(input);
  const dialect = dialectOf(input);
  if (!dialect) {
    throw new WindowedError(
      'INVALID_CONFIG',
      `Unsupported ${what} "${redact(input)}": expected sqlite:<path>, mysql://user:pass@host:3306/db or postgres://user@host:5432/db.`,
    );
  }
  if (dialect === 'sqlite') {
    const [pathPart = '', query = ''] = input.slice(input.indexOf(':') + 1).split('?', 2);
    if (passwordReferenceOf(new URLSearchParams(query), what))
      throw new WindowedError(
        'INVALID_CONFIG',
        `The ${what} "${redact(input)}" is a SQLite file, which has no password: remove passwordSecret / passwordParameter.`,
      );
    let filename = pathPart.startsWith('//') ? pathPart.slice(2) : pathPart;
    if (filename === '') filename = ':memory:';
    return databaseUrl({
      dialect,
      url: `sqlite:${filename}`,
      filename,
      params: new URLSearchParams(query),
      display: `sqlite:${filename}`,
    });
  }
  if (credentials?.password !== undefined && /[/?#]/.test(credentials.userinfo)) {
    // `/`, `?` and `#` end a URL's user info: the URL would name another host (`app:4711/x@host` is
    // host `app`, port 4711) or not parse at all.
    throw new WindowedError(
      'INVALID_CONFIG',
      `The ${what} "${redact(input)}" has a "/", "?" or "#" before its last "@": a password (or user name) holding them must be URL-encoded (encodeURIComponent: / is %2F, ? is %3F, # is %23, @ is %40); an "@" in the path or query must be written %40.`,
    );
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch (cause) {
    throw new WindowedError('INVALID_CONFIG', `Malformed ${what} "${redact(input)}".`, {
      cause: redactedUrlError(cause, input),
    });
  }
  // The spelling the URL gives the password (`p%40ss` for `p@ss`) is one more to hide.
  if (url.password) registerSecret(url.password);
  const params = new URLSearchParams(url.search);
  const passwordParam = params.get('password');
  if (passwordParam) registerSecret(passwordParam);
  const reference = passwordReferenceOf(params, what);
  if (reference && (url.password || passwordParam))
    throw new WindowedError(
      'INVALID_CONFIG',
      `The ${what} "${redact(input)}" gives a password and also names one (${describeReference(reference)}): keep the reference and remove the password from the URL.`,
    );
  for (const key of OWN_PARAMS) url.searchParams.delete(key);
  const display = `${url.protocol}//${url.username ? `${url.username}@` : ''}${url.host}${url.pathname}`;
  return databaseUrl({
    dialect,
    url: url.toString(),
    params,
    display,
    ...(reference ? { password: reference } : {}),
  });
}

/**
 * The user info of `scheme://userinfo@host…` — everything up to the URL's last `@`, as a person meant
 * it, encoded or not — with its password registered for redaction in each spelling.
 */
function rememberCredentials(input: string): { userinfo: string; password?: string } | undefined {
  const start = input.indexOf('://');
  const at = input.lastIndexOf('@');
  if (start < 0 || at < start) return undefined;
  const userinfo = input.slice(start + 3, at);
  const colon = userinfo.indexOf(':');
  if (colon < 0) return { userinfo };
  const password = userinfo.slice(colon + 1);
  registerSecret(password);
  try {
    registerSecret(decodeURIComponent(password));
  } catch {
    // Not valid percent-encoding: the raw spelling is the one to hide.
  }
  return { userinfo, password };
}

/** Node's ERR_INVALID_URL carries the whole URL in `input`: a copy whose `input` is redacted. */
function redactedUrlError(cause: unknown, input: string): Error {
  const error = new TypeError((cause as Error)?.message ?? 'Invalid URL');
  return Object.assign(error, { code: (cause as { code?: unknown })?.code, input: redact(input) });
}

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/** A DatabaseUrl whose `url` (with the password) is not enumerable: inspecting or serializing shows `display`. */
function databaseUrl(fields: DatabaseUrl): DatabaseUrl {
  const { url, ...shown } = fields;
  const db = { ...shown } as DatabaseUrl;
  Object.defineProperties(db, {
    url: { value: url, enumerable: false },
    toJSON: { value: () => ({ dialect: db.dialect, display: db.display }), enumerable: false },
    [inspectSymbol]: { value: () => `DatabaseUrl <${db.display}>`, enumerable: false },
  });
  return db;
}

/**
 * A client for the database; the driver loads and the pool opens on the first statement. Sources,
 * sinks and ledgers naming the same database share one pool (SQLite: one connection per file) —
 * see `sharedClient`. Release it with `closeDatabase`.
 *
 * MySQL pools let one query carry several statements, so that a scheduled run's write (ledger row,
 * window's rows, commit) travels in one round trip. Every value is still bound and escaped by the
 * driver, never concatenated, and every name is validated before it is quoted: the sink already
 * binds strings read from logs this way, the source binds only the job's own filter values.
 *
 * `readOnly`: SQLite opens the file read-only (see SqliteClient). MySQL and PostgreSQL need nothing:
 * windowed's reads never write, so a user that can only SELECT serves them.
 */
export function openDatabase(db: DatabaseUrl, options: { readOnly?: boolean } = {}): SqlClient {
  const poolMax = Number(db.params.get('poolMax') ?? 10);
  if (db.dialect === 'sqlite') return new SqliteClient(db.filename ?? ':memory:', options.readOnly === true);
  const reference = db.password;
  const create = (credentials?: DatabaseCredentials) =>
    db.dialect === 'mysql'
      ? mysqlClient(db, poolMax, credentials)
      : new PostgresClient({ connectionString: withCredentials(db.url, credentials), poolMax });
  // The key holds the password (or the reference): it only ever lives in this process's memory.
  const key = `${db.dialect} ${poolMax} ${db.url}${reference ? ` ${JSON.stringify(reference)}` : ''}`;
  return sharedClient(key, () =>
    reference ? new SecretCredentialsClient(db.dialect, db.dialect === 'mysql', reference, create) : create(),
  );
}

function mysqlClient(db: DatabaseUrl, poolMax: number, credentials?: DatabaseCredentials): MysqlClient {
  const url = new URL(db.url);
  return new MysqlClient({
    connection: {
      host: url.hostname,
      port: url.port ? Number(url.port) : 3306,
      user: credentials?.username ?? decodeURIComponent(url.username),
      password: credentials?.password ?? decodeURIComponent(url.password),
      database: decodeURIComponent(url.pathname.replace(/^\//, '')) || undefined,
    },
    poolMax,
    multipleStatements: true,
  });
}

/** The URL with a secret's password (and user name, when the secret holds one). */
function withCredentials(input: string, credentials: DatabaseCredentials | undefined): string {
  if (!credentials) return input;
  const url = new URL(input);
  if (credentials.username) url.username = encodeURIComponent(credentials.username);
  url.password = encodeURIComponent(credentials.password);
  return url.toString();
}

export function closeDatabase(client: SqlClient): Promise<void> {
  return client.close();
}

const RETRYABLE_CODES = new Set([
  'ER_LOCK_DEADLOCK', // MySQL 1213
  'ER_LOCK_WAIT_TIMEOUT', // MySQL 1205
  '40P01', // PostgreSQL deadlock_detected
  '40001', // PostgreSQL serialization_failure
  'SQLITE_BUSY',
  'SQLITE_BUSY_SNAPSHOT',
]);

/**
 * Deadlocks and lock timeouts between concurrent writers are retried, not surfaced. A duplicate key is
 * not: writers of one window are serialized (ledger row locks, PostgreSQL advisory locks), so it means
 * the data collides in the table's key, and would collide again on every retry.
 */
export function isRetryableDbError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && RETRYABLE_CODES.has(code);
}

const LOST_CONNECTION_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST', // mysql2: the server or the network closed the connection
  'ECONNRESET',
  'EPIPE',
  '57P01', // PostgreSQL admin_shutdown: the session was terminated (pg_terminate_backend, a restart)
]);
// pg rejects without a code: https://github.com/brianc/node-postgres/blob/master/packages/pg/lib/client.js
const LOST_CONNECTION_MESSAGES =
  /^(Connection terminated unexpectedly|Client has encountered a connection error and is not queryable)$/;

/**
 * The statement's connection was lost before its answer: closed by the server (a failover, a
 * terminated session) or by the network — possibly while it sat idle in the pool, before the
 * statement was even sent; the pool has dropped it. Whether the statement ran is unknown, so only
 * what reads may go again.
 */
export function isLostConnection(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (typeof e?.code === 'string' && LOST_CONNECTION_CODES.has(e.code)) return true;
  return typeof e?.message === 'string' && LOST_CONNECTION_MESSAGES.test(e.message);
}

export interface DbRetryOptions {
  /** Tries in all. Default 8. */
  attempts?: number;
  /** Which errors are worth another try. Default {@link isRetryableDbError}. */
  when?: (error: unknown) => boolean;
  /** Wait a growing, jittered while before each retry (contended locks); default true. */
  backoff?: boolean;
}

export async function withDbRetry<T>(fn: () => Promise<T>, options: DbRetryOptions = {}): Promise<T> {
  const { attempts = 8, when = isRetryableDbError, backoff = true } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= attempts || !when(error)) throw error;
      if (backoff) await sleep(Math.min(1_000, 10 * 2 ** attempt) * (0.5 + Math.random()));
    }
  }
}

/**
 * Runs `read` — statements that only read — again when its connection was lost: each try takes
 * another connection (the pool dropped the lost one), so a pool of stale connections costs a try
 * each, up to three. Never for writes: one that was lost may have been committed.
 */
export function withReadRetry<T>(read: () => Promise<T>): Promise<T> {
  return withDbRetry(read, { attempts: 3, when: isLostConnection, backoff: false });
}

/** Date → a value the driver binds as a UTC instant (better-sqlite3 cannot bind Date). */
export function toDbTime(dialect: Dialect, date: Date): Date | string {
  return dialect === 'sqlite' ? date.toISOString() : date;
}

export function fromDbTime(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  const text = String(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
}
