import type { QueryOptions, SqlClient, SqlExecutor, SqlRow, SqlStatement } from '../db/client.js';
import type { PasswordReference } from './reference.js';
import { credentialsFor, type DatabaseCredentials, refreshCredentials } from './resolver.js';

/**
 * A refused login: MySQL/MariaDB ER_ACCESS_DENIED_ERROR (1045,
 * https://dev.mysql.com/doc/mysql-errors/8.0/en/server-error-reference.html#error_er_access_denied_error),
 * PostgreSQL invalid_password (28P01, https://www.postgresql.org/docs/current/errcodes-appendix.html).
 */
export function isLoginRefused(error: unknown): boolean {
  const { code, errno } = (error ?? {}) as { code?: unknown; errno?: unknown };
  return code === 'ER_ACCESS_DENIED_ERROR' || errno === 1045 || code === '28P01';
}

interface Connected {
  credentials: Promise<DatabaseCredentials>;
  client: SqlClient;
}

/**
 * A client whose password comes from a secret: fetched (through the process cache) on the first
 * statement, and fetched again once when the database refuses the login — the password was rotated.
 * A refusal is raised before any statement runs (a pool authenticates a connection before lending
 * it), so the call is sent again whole on the new pool. A second refusal is the caller's to see.
 */
export class SecretCredentialsClient implements SqlClient {
  private connected: Promise<Connected> | undefined;
  /** Pools replaced after a refused login: calls still running on them finish; closed with this client. */
  private retired: SqlClient[] = [];

  constructor(
    readonly dialect: SqlClient['dialect'],
    readonly multipleStatements: boolean,
    private readonly reference: PasswordReference,
    private readonly create: (credentials: DatabaseCredentials) => SqlClient,
  ) {}

  query<T extends SqlRow = SqlRow>(
    sql: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<T[]> {
    return this.run((client) => client.query<T>(sql, params, options));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.run((client) => client.transaction(fn));
  }

  batch(statements: readonly SqlStatement[], options?: { transaction?: boolean }): Promise<SqlRow[][]> {
    return this.run((client) => client.batch(statements, options));
  }

  async close(): Promise<void> {
    const connected = this.connected;
    const retired = this.retired;
    this.connected = undefined;
    this.retired = [];
    const current = connected ? (await connected.catch(() => undefined))?.client : undefined;
    await Promise.allSettled([...retired, ...(current ? [current] : [])].map((c) => c.close()));
  }

  /** The pool holds the password: inspecting the client shows its dialect only. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `SqlClient <${this.dialect}>`;
  }

  private async run<T>(fn: (client: SqlClient) => Promise<T>): Promise<T> {
    const current = await this.connect();
    try {
      return await fn(current.client);
    } catch (error) {
      if (!isLoginRefused(error)) throw error;
      return fn((await this.reconnect(current)).client);
    }
  }

  private connect(): Promise<Connected> {
    if (!this.connected) {
      const credentials = credentialsFor(this.reference);
      const connected = credentials.then((c) => ({ credentials, client: this.create(c) }));
      this.connected = connected;
      connected.catch(() => {
        if (this.connected === connected) this.connected = undefined;
      });
    }
    return this.connected;
  }

  /** A new pool on freshly fetched credentials, unless another call already made one. */
  private async reconnect(stale: Connected): Promise<Connected> {
    const current = await this.connected?.catch(() => undefined);
    if (current && current !== stale) return current;
    this.connected = undefined;
    this.retired.push(stale.client);
    const credentials = refreshCredentials(this.reference, stale.credentials);
    const connected = credentials.then((c) => ({ credentials, client: this.create(c) }));
    this.connected = connected;
    connected.catch(() => {
      if (this.connected === connected) this.connected = undefined;
    });
    return connected;
  }
}
