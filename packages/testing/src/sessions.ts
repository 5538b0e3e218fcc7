import { randomBytes } from 'node:crypto';
import { count, defineWindowedJob, type WindowedJob } from '@windowed/core';
import type { Knex } from 'knex';
import { openTestKnex, type TestDatabase, testDatabases } from './databases.js';
import { waitUntil } from './poll.js';

export type ServerDialect = Exclude<TestDatabase['dialect'], 'sqlite'>;

export interface Session {
  id: number;
  /** The statement it runs, as the server shows it. */
  query: string;
  /** Waiting for a lock another session holds. */
  waiting: boolean;
}

/**
 * What tests that stall, cancel or drop a run's statements need: what the server says is running,
 * locks held by another connection, sessions dropped from the server side, and a database of their
 * own (so that a table lock or a session list concerns their statements only).
 */

export type ServerDatabase = TestDatabase & { dialect: ServerDialect };

/** The test databases with a server (MariaDB, PostgreSQL): those with sessions, locks and pools. */
export async function testServers(): Promise<ServerDatabase[]> {
  return (await testDatabases()).filter((d): d is ServerDatabase => d.dialect !== 'sqlite');
}

/**
 * Other sessions of this database running a statement, as the server lists them: MySQL's
 * `information_schema.processlist` (SHOW PROCESSLIST), PostgreSQL's `pg_stat_activity`.
 */
export async function runningStatements(knex: Knex, dialect: ServerDialect): Promise<Session[]> {
  if (dialect === 'postgres') {
    const { rows } = await knex.raw(
      `select pid as id, query, wait_event_type = 'Lock' as waiting from pg_stat_activity
       where datname = current_database() and pid <> pg_backend_pid() and state = 'active'`,
    );
    return rows.map((r: Session) => ({
      id: Number(r.id),
      query: String(r.query),
      waiting: r.waiting === true,
    }));
  }
  const [rows] = await knex.raw(
    `select id, info as query, state from information_schema.processlist
     where db = database() and id <> connection_id() and command = 'Query'`,
  );
  return rows.map((r: { id: number; query: string | null; state: string | null }) => ({
    id: Number(r.id),
    query: String(r.query ?? ''),
    waiting: /lock/i.test(r.state ?? ''),
  }));
}

/** Polls until a session of this database waits for a lock with a statement matching `pattern`. */
export async function waitForBlocked(
  knex: Knex,
  dialect: ServerDialect,
  pattern: RegExp,
  timeoutMs = 10_000,
): Promise<Session> {
  return waitUntil(
    async () => (await runningStatements(knex, dialect)).find((s) => s.waiting && pattern.test(s.query)),
    `session blocked on ${pattern}`,
    timeoutMs,
  );
}

/** Drops the session on the server side, as a crashed proxy or a failover would. */
export async function terminateSession(knex: Knex, dialect: ServerDialect, id: number): Promise<void> {
  if (dialect === 'postgres') await knex.raw('select pg_terminate_backend(?)', [id]);
  else await knex.raw(`kill connection ${Math.trunc(id)}`);
}

/**
 * Another connection holding an exclusive lock on the table until `release()`: every read and write
 * of it by other sessions waits (PostgreSQL `LOCK TABLE … ACCESS EXCLUSIVE`, MySQL `LOCK TABLES … WRITE`).
 */
export async function lockTable(
  knex: Knex,
  dialect: ServerDialect,
  table: string,
): Promise<{ release(): Promise<void> }> {
  const trx = await knex.transaction();
  if (dialect === 'postgres') await trx.raw('lock table ?? in access exclusive mode', [table]);
  else await trx.raw('lock tables ?? write', [table]);
  return {
    async release() {
      if (dialect === 'mysql') await trx.raw('unlock tables');
      await trx.commit();
    },
  };
}

/**
 * A new, empty database on the same server, for a test whose locks or session lists must not meet
 * other test files' statements. Its name starts with the run's own (and so its creation time): a
 * run killed before `drop` leaves it to the stale-database cleanup of global-setup.ts.
 */
export async function ownDatabase(
  base: ServerDatabase,
): Promise<{ database: ServerDatabase; drop(): Promise<void> }> {
  const url = new URL(base.url);
  const name = `${url.pathname.slice(1)}_own_${randomBytes(3).toString('hex')}`;
  const admin = openTestKnex(base);
  const quoted = base.dialect === 'mysql' ? `\`${name}\`` : `"${name}"`;
  await admin.raw(`create database ${quoted}`);
  await admin.destroy();
  url.pathname = `/${name}`;
  return {
    database: { dialect: base.dialect, url: url.toString() },
    async drop() {
      const again = openTestKnex(base);
      try {
        await again.raw(
          `drop database if exists ${quoted}${base.dialect === 'postgres' ? ' with (force)' : ''}`,
        );
      } finally {
        await again.destroy();
      }
    },
  };
}

export interface LockedOutcome {
  /** The error `invoke` rejected with (`{ code: 'none' }` if it resolved). */
  error: { code?: string; message: string };
  /** Epoch ms when it settled. */
  settledAt: number;
  /** The statements the server still ran in the database at that moment (the lock holder aside). */
  stillRunning: Session[];
}

/**
 * Calls `invoke` while another connection holds `table` locked, once one of its statements waits for
 * the lock: how it settled, when, and what the server still ran then. The lock is released after
 * `holdMs` at the latest, so a run that never gives up cannot hang the test.
 */
export async function whileLocked(
  knex: Knex,
  dialect: ServerDialect,
  table: string,
  invoke: () => Promise<unknown>,
  holdMs: number,
): Promise<LockedOutcome> {
  const lock = await lockTable(knex, dialect, table);
  const unlock = setTimeout(() => void lock.release().catch(() => undefined), holdMs);
  const settled = invoke().then(
    () => ({ code: 'none', message: '' }),
    (error: { code?: string; message: string }) => error,
  );
  try {
    await waitForBlocked(knex, dialect, new RegExp(table));
    const error = await settled;
    const settledAt = Date.now();
    return { error, settledAt, stillRunning: await runningStatements(knex, dialect) };
  } finally {
    clearTimeout(unlock);
    await lock.release().catch(() => undefined);
  }
}

export interface OwnLogDatabase {
  database: ServerDatabase;
  knex: Knex;
  /** The log table `(ts, user_id)`. */
  logs: string;
  /** A job counting the log table's rows per minute into this database (closed by `drop`). */
  pvJob(): WindowedJob;
  drop(): Promise<void>;
}

/** A database of the test's own (see {@link ownDatabase}) holding a log table with these rows. */
export async function ownLogDatabase(
  base: ServerDatabase,
  rows: ReadonlyArray<{ ts: string; user_id: string }>,
): Promise<OwnLogDatabase> {
  const own = await ownDatabase(base);
  const knex = openTestKnex(own.database);
  const logs = `logs_${randomBytes(4).toString('hex')}`;
  await knex.schema.createTable(logs, (t) => {
    t.datetime('ts', { precision: 3 }).notNullable().index();
    t.string('user_id', 64);
  });
  if (rows.length > 0) await knex(logs).insert(rows.map((r) => ({ ...r, ts: new Date(r.ts) })));
  const jobs: WindowedJob[] = [];
  return {
    database: own.database,
    knex,
    logs,
    pvJob() {
      const job = defineWindowedJob({
        name: `pv_${randomBytes(4).toString('hex')}`,
        window: '1m',
        query: { metrics: { pv: count() } },
        source: { type: 'sql', url: own.database.url, table: logs, timeColumn: 'ts' },
        sink: own.database.url,
        logger: false,
      });
      jobs.push(job);
      return job;
    },
    async drop() {
      await Promise.all(jobs.map((j) => j.close()));
      await knex.destroy();
      await own.drop();
    },
  };
}
