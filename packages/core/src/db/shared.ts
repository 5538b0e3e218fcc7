import type { QueryOptions, SqlClient, SqlExecutor, SqlRow, SqlStatement } from './client.js';

interface Entry {
  client: SqlClient;
  users: number;
}

const open = new Map<string, Entry>();

/**
 * One pool per database per process, shared by every source, sink and ledger that names the same
 * URL: a job reading and writing one MySQL database holds one pool (one connection while it runs
 * one statement at a time) instead of two — half the connections a fleet of functions opens, and
 * one handshake at cold start instead of two. Each user gets its own handle: closing it releases
 * that user's share, and the pool closes with the last one. A closed handle reopens on its next
 * statement, like an unshared client would.
 */
export function sharedClient(key: string, create: () => SqlClient): SqlClient {
  return new SharedHandle(key, create);
}

class SharedHandle implements SqlClient {
  readonly dialect: SqlClient['dialect'];
  readonly multipleStatements: boolean;
  private entry: Entry | undefined;

  constructor(
    private readonly key: string,
    private readonly create: () => SqlClient,
  ) {
    const entry = this.join();
    this.dialect = entry.client.dialect;
    this.multipleStatements = entry.client.multipleStatements;
  }

  query<T extends SqlRow = SqlRow>(
    sql: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<T[]> {
    return this.client().query<T>(sql, params, options);
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.client().transaction(fn);
  }

  batch(statements: readonly SqlStatement[], options?: { transaction?: boolean }): Promise<SqlRow[][]> {
    return this.client().batch(statements, options);
  }

  /** The key holds the URL and its password: inspecting a handle shows its dialect only. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `SqlClient <${this.dialect}>`;
  }

  async close(): Promise<void> {
    const entry = this.entry;
    if (!entry) return;
    this.entry = undefined;
    entry.users -= 1;
    if (entry.users > 0) return;
    if (open.get(this.key) === entry) open.delete(this.key);
    await entry.client.close();
  }

  private client(): SqlClient {
    return (this.entry ?? this.join()).client;
  }

  private join(): Entry {
    let entry = open.get(this.key);
    if (!entry) {
      entry = { client: this.create(), users: 0 };
      open.set(this.key, entry);
    }
    entry.users += 1;
    this.entry = entry;
    return entry;
  }
}
