import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';

/**
 * Vitest global setup: every test run gets its own MariaDB and PostgreSQL database, dropped when
 * the run ends. Tests then never see each other's tables (two checkouts testing at once, a ledger
 * migration test altering `windowed_runs`), and a run leaves nothing behind in `test`.
 *
 * The names carry their creation time, so a run that was killed before its teardown has its
 * databases dropped by a later run once they are a day old.
 */

const PREFIX = 'windowed_t_';
const STALE_AFTER_S = 24 * 3600;

const BASE_MYSQL = process.env.WINDOWED_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const BASE_POSTGRES = process.env.WINDOWED_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function isStale(name: string, nowS: number): boolean {
  const created = Number(name.slice(PREFIX.length).split('_')[0]);
  return Number.isFinite(created) && nowS - created > STALE_AFTER_S;
}

async function setupMysql(database: string, nowS: number): Promise<(() => Promise<void>) | undefined> {
  let conn: mysql.Connection;
  try {
    conn = await mysql.createConnection({ uri: BASE_MYSQL, connectTimeout: 3000 });
  } catch {
    return undefined; // unreachable: testDatabases() reports it (a skip, or an error under CI)
  }
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>(
      'select schema_name as name from information_schema.schemata where schema_name like ?',
      [`${PREFIX}%`],
    );
    for (const { name } of rows)
      if (isStale(String(name), nowS)) await conn.query(`drop database if exists \`${name}\``);
    await conn.query(`create database \`${database}\` character set utf8mb4`);
  } finally {
    await conn.end();
  }
  return async () => {
    const c = await mysql.createConnection({ uri: BASE_MYSQL, connectTimeout: 3000 });
    try {
      await c.query(`drop database if exists \`${database}\``);
    } finally {
      await c.end();
    }
  };
}

async function setupPostgres(database: string, nowS: number): Promise<(() => Promise<void>) | undefined> {
  const client = new pg.Client({ connectionString: BASE_POSTGRES, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch {
    return undefined;
  }
  try {
    const { rows } = await client.query<{ name: string }>(
      'select datname as name from pg_database where datname like $1',
      [`${PREFIX}%`],
    );
    for (const { name } of rows)
      if (isStale(name, nowS)) await client.query(`drop database if exists "${name}" with (force)`);
    await client.query(`create database "${database}"`);
  } finally {
    await client.end();
  }
  return async () => {
    const c = new pg.Client({ connectionString: BASE_POSTGRES, connectionTimeoutMillis: 3000 });
    await c.connect();
    try {
      // WITH (FORCE): a test that leaked a pool must not keep the database alive.
      await c.query(`drop database if exists "${database}" with (force)`);
    } finally {
      await c.end();
    }
  };
}

export default async function setup(): Promise<() => Promise<void>> {
  if (process.env.WINDOWED_TEST_SHARED_DATABASES) return async () => {};
  const nowS = Math.floor(Date.now() / 1000);
  const database = `${PREFIX}${nowS}_${randomBytes(3).toString('hex')}`;
  const [dropMysql, dropPostgres] = await Promise.all([
    setupMysql(database, nowS),
    setupPostgres(database, nowS),
  ]);
  // Set before the test workers start, so they inherit it (databases.ts reads these).
  if (dropMysql) process.env.WINDOWED_TEST_MYSQL_URL = withDatabase(BASE_MYSQL, database);
  if (dropPostgres) process.env.WINDOWED_TEST_POSTGRES_URL = withDatabase(BASE_POSTGRES, database);
  return async () => {
    await Promise.allSettled([dropMysql?.(), dropPostgres?.()]);
  };
}
