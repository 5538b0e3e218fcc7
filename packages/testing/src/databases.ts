import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';

export type TestDialect = 'sqlite' | 'mysql' | 'postgres';

export interface TestDatabase {
  dialect: TestDialect;
  /** A URL windowed accepts (no `?table=`); each call of `testDatabases` gets a fresh SQLite file. */
  url: string;
}

export const MYSQL_URL = process.env.WINDOWED_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
export const POSTGRES_URL =
  process.env.WINDOWED_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const probes = new Map<string, Promise<string | undefined>>();

/** Resolves to an error text when the server does not accept a connection, else undefined. */
function probe(dialect: 'mysql' | 'postgres', url: string): Promise<string | undefined> {
  let pending = probes.get(url);
  if (!pending) {
    const db = openTestKnex({ dialect, url }, { connectTimeoutMs: 3000 });
    pending = db
      .raw('select 1')
      .then(() => undefined)
      .catch((error: Error) => error.message)
      .finally(() => db.destroy());
    probes.set(url, pending);
  }
  return pending;
}

/**
 * The databases to run a test against: SQLite always; MariaDB and PostgreSQL when they accept
 * connections. Under CI (`CI` set) an unreachable server is an error, not a skip.
 */
export async function testDatabases(only?: TestDialect[]): Promise<TestDatabase[]> {
  const dir = mkdtempSync(join(tmpdir(), 'windowed-test-'));
  const all: TestDatabase[] = [{ dialect: 'sqlite', url: `sqlite:${join(dir, 'test.db')}` }];
  for (const [dialect, url] of [
    ['mysql', MYSQL_URL],
    ['postgres', POSTGRES_URL],
  ] as const) {
    const error = await probe(dialect, url);
    if (!error) all.push({ dialect, url });
    else if (process.env.CI)
      throw new Error(`${dialect} at ${url.replace(/:[^:@/]*@/, ':***@')} is unreachable under CI: ${error}`);
    else
      console.warn(
        `[windowed tests] skipping ${dialect}: ${error}. Start it (see README "Testing") or set WINDOWED_TEST_${dialect.toUpperCase()}_URL.`,
      );
  }
  return only ? all.filter((db) => only.includes(db.dialect)) : all;
}

/** A name no other test uses: for job names and tables in the shared databases. */
export function uniqueName(prefix = 't'): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** A knex handle for asserting on what a test wrote. Destroy it in afterAll. */
export function openTestKnex(db: TestDatabase, options: { connectTimeoutMs?: number } = {}) {
  if (db.dialect === 'sqlite') {
    return knexFactory({
      client: 'better-sqlite3',
      connection: { filename: db.url.slice('sqlite:'.length) },
      useNullAsDefault: true,
    });
  }
  const pool = options.connectTimeoutMs ? { min: 0, max: 1 } : undefined;
  if (db.dialect === 'mysql') {
    const u = new URL(db.url);
    return knexFactory({
      client: 'mysql2',
      connection: {
        host: u.hostname,
        port: Number(u.port || 3306),
        user: u.username,
        password: u.password,
        database: u.pathname.slice(1),
        timezone: 'Z',
        ...(options.connectTimeoutMs ? { connectTimeout: options.connectTimeoutMs } : {}),
      },
      pool: {
        ...(pool ?? {}),
        // mysql2 escapes with backslashes: never let a server's NO_BACKSLASH_ESCAPES mode reinterpret them.
        afterCreate: (
          conn: { query(s: string, cb: (e: Error | null) => void): void },
          done: (e: Error | null, c: unknown) => void,
        ) =>
          conn.query("SET sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '')", (e) =>
            done(e, conn),
          ),
      },
    });
  }
  return knexFactory({
    client: 'pg',
    connection: {
      connectionString: db.url,
      ...(options.connectTimeoutMs ? { connectionTimeoutMillis: options.connectTimeoutMs } : {}),
    },
    ...(pool ? { pool } : {}),
  });
}
