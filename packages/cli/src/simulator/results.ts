import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDatabaseUrl } from '@windowed/core';
import knexFactory, { type Knex } from 'knex';

/**
 * Reads the table a simulated function writes its results to, whatever wrote it: a windowed
 * sink table (with a `job` column) or a hand-written one (the naive handler's). Counts rows per
 * `window_start`; duplicates are rows beyond one per (window, group).
 */
export class ResultsTable {
  private readonly knex: Knex;
  private readonly dialect: 'sqlite' | 'mysql' | 'postgres';
  private columns: Set<string> | undefined;

  constructor(
    url: string,
    readonly table: string,
    private readonly job: string,
    private readonly dimensions: readonly string[] = [],
  ) {
    const db = parseDatabaseUrl(url, 'results URL');
    this.dialect = db.dialect;
    if (db.dialect === 'sqlite') {
      const filename = db.filename === ':memory:' ? ':memory:' : resolve(db.filename ?? ':memory:');
      // The simulated functions write here: its folder exists before any of them opens it, as the sink makes its own.
      if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });
      this.knex = knexFactory({
        client: 'better-sqlite3',
        connection: { filename },
        useNullAsDefault: true,
        pool: { min: 1, max: 1 },
      });
    } else if (db.dialect === 'mysql') {
      const u = new URL(db.url);
      this.knex = knexFactory({
        client: 'mysql2',
        connection: {
          host: u.hostname,
          port: Number(u.port || 3306),
          user: decodeURIComponent(u.username),
          password: decodeURIComponent(u.password),
          database: decodeURIComponent(u.pathname.slice(1)),
          timezone: 'Z',
        },
        pool: { min: 0, max: 1 },
      });
    } else {
      this.knex = knexFactory({
        client: 'pg',
        connection: { connectionString: db.url, options: '-c timezone=UTC' },
        pool: { min: 0, max: 1 },
      });
    }
  }

  private async tableColumns(): Promise<Set<string> | undefined> {
    if (this.columns) return this.columns;
    if (!(await this.knex.schema.hasTable(this.table))) return undefined;
    this.columns = new Set(Object.keys(await this.knex(this.table).columnInfo()).map((c) => c.toLowerCase()));
    return this.columns;
  }

  private scoped(query: Knex.QueryBuilder, columns: Set<string>): Knex.QueryBuilder {
    return columns.has('job') ? query.where('job', this.job) : query;
  }

  /** Rows per window start. */
  async rowsPerWindow(): Promise<Map<number, number>> {
    const columns = await this.tableColumns();
    const out = new Map<number, number>();
    if (!columns) return out;
    const rows = await this.scoped(
      this.knex(this.table).select('window_start').count({ n: '*' }).groupBy('window_start'),
      columns,
    );
    for (const r of rows as Array<{ window_start: unknown; n: unknown }>)
      out.set(toMs(r.window_start), Number(r.n));
    return out;
  }

  /** Distinct groups per window start: how many rows one copy of the window has. */
  async groupsPerWindow(): Promise<Map<number, number>> {
    const columns = await this.tableColumns();
    const out = new Map<number, number>();
    if (!columns) return out;
    const dims = this.dimensions.filter((d) => columns.has(d.toLowerCase()));
    if (dims.length === 0) {
      for (const [start, n] of await this.rowsPerWindow()) out.set(start, n > 0 ? 1 : 0);
      return out;
    }
    const rows = await this.scoped(this.knex(this.table).distinct('window_start', ...dims), columns);
    for (const r of rows as Array<{ window_start: unknown }>) {
      const start = toMs(r.window_start);
      out.set(start, (out.get(start) ?? 0) + 1);
    }
    return out;
  }

  /** True when the table (or the ledger) already holds something of this job. */
  async holdsRows(): Promise<boolean> {
    const columns = await this.tableColumns();
    if (columns) {
      const [row] = await this.scoped(this.knex(this.table).count({ n: '*' }), columns);
      if (Number((row as { n: unknown }).n) > 0) return true;
    }
    if (await this.knex.schema.hasTable('windowed_runs')) {
      const [row] = await this.knex('windowed_runs').where('job', this.job).count({ n: '*' });
      if (Number((row as { n: unknown }).n) > 0) return true;
    }
    return false;
  }

  /** Deletes this job's rows and ledger entries, so a simulation starts from nothing. */
  async reset(): Promise<void> {
    const columns = await this.tableColumns();
    if (columns) await this.scoped(this.knex(this.table), columns).delete();
    if (await this.knex.schema.hasTable('windowed_runs'))
      await this.knex('windowed_runs').where('job', this.job).delete();
  }

  describe(): string {
    return `${this.dialect} table ${this.table}`;
  }

  async close(): Promise<void> {
    await this.knex.destroy();
  }
}

function toMs(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  const text = String(value);
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
}
