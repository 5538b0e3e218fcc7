import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count, defineWindowedJob, type JobSpec, type WindowedJob } from '@windowed/core';
import { openTestKnex, type TestDatabase, uniqueName } from '@windowed/testing';
import type { Knex } from 'knex';
import { afterAll, beforeAll } from 'vitest';
import { createLogTable, type LogRow } from './helpers.js';

/**
 * A database of its own for one test (the run's databases are shared by every test file, and these
 * tests create, migrate and grant on `windowed_runs`): a new SQLite file, or a new MariaDB /
 * PostgreSQL database next to the run's, dropped by `drop()`.
 */
export interface ScratchDatabase {
  db: TestDatabase;
  knex: Knex;
  /** The database's name (MariaDB, PostgreSQL). */
  name: string;
  drop(): Promise<void>;
}

export async function scratchDatabase(base: TestDatabase): Promise<ScratchDatabase> {
  if (base.dialect === 'sqlite') {
    const db = {
      dialect: base.dialect,
      url: `sqlite:${join(mkdtempSync(join(tmpdir(), 'windowed-ledger-')), 'x.db')}`,
    };
    const knex = openTestKnex(db);
    return { db, knex, name: 'main', drop: () => knex.destroy() };
  }
  const name = uniqueName('wl');
  const admin = openTestKnex(base);
  await admin.raw(
    base.dialect === 'mysql'
      ? `create database \`${name}\` character set utf8mb4`
      : `create database "${name}"`,
  );
  const url = new URL(base.url);
  url.pathname = `/${name}`;
  const db = { dialect: base.dialect, url: url.toString() };
  const knex = openTestKnex(db);
  return {
    db,
    knex,
    name,
    drop: async () => {
      await knex.destroy();
      await admin.raw(
        base.dialect === 'mysql'
          ? `drop database if exists \`${name}\``
          : `drop database if exists "${name}" with (force)`,
      );
      await admin.destroy();
    },
  };
}

/** An instant as a knex insert into a ledger datetime column of the dialect expects it. */
export function dbTime(dialect: TestDatabase['dialect'], iso: string): string | Date {
  return dialect === 'sqlite' ? new Date(iso).toISOString() : new Date(iso);
}

/**
 * `CREATE TABLE windowed_runs` exactly as windowed 0.1 ran it (its `createTableSql` over the 0.1
 * column list), per dialect: the table a 0.2 job meets in an existing deployment.
 */
export const LEDGER_0_1_CREATE: Record<TestDatabase['dialect'], string> = {
  sqlite:
    'create table "windowed_runs" ("job" varchar(64) not null, "window_start" datetime not null, "window_end" datetime not null, "status" varchar(16) not null, "attempts" integer not null default 0, "last_error" text null, "trigger_id" varchar(255) null, "updated_at" datetime not null, primary key ("job", "window_start"))',
  mysql:
    'create table `windowed_runs` (`job` varchar(64) not null, `window_start` datetime(3) not null, `window_end` datetime(3) not null, `status` varchar(16) not null, `attempts` integer not null default 0, `last_error` text null, `trigger_id` varchar(255) null, `updated_at` datetime(3) not null, primary key (`job`, `window_start`))',
  postgres:
    'create table "windowed_runs" ("job" varchar(64) not null, "window_start" timestamptz(3) not null, "window_end" timestamptz(3) not null, "status" varchar(16) not null, "attempts" integer not null default 0, "last_error" text null, "trigger_id" varchar(255) null, "updated_at" timestamptz(3) not null, primary key ("job", "window_start"))',
};

/**
 * A scratch database with a log table for the tests of one `describe` (made before them, dropped
 * after), and jobs on it closed after them: `makeJob(name, patch)` reads the log table through the
 * `sql` source and writes to the scratch database.
 */
export function ledgerFixture(base: TestDatabase, rows: LogRow[], defaults: () => Partial<JobSpec>) {
  const fixture = {
    scratch: undefined as unknown as ScratchDatabase,
    logs: uniqueName('logs'),
    jobs: [] as WindowedJob[],
    makeJob(name: string, patch: Partial<JobSpec> = {}): WindowedJob {
      const job = defineWindowedJob({
        name,
        window: '1m',
        query: { metrics: { pv: count() } },
        source: { type: 'sql', url: fixture.scratch.db.url, table: fixture.logs, timeColumn: 'ts' },
        sink: fixture.scratch.db.url,
        logger: false,
        ...defaults(),
        ...patch,
      });
      fixture.jobs.push(job);
      return job;
    },
  };
  beforeAll(async () => {
    fixture.scratch = await scratchDatabase(base);
    await createLogTable(fixture.scratch.knex, base.dialect, fixture.logs, rows);
  });
  afterAll(async () => {
    await Promise.all(fixture.jobs.map((j) => j.close()));
    await fixture.scratch.drop();
  });
  return fixture;
}

/** The ledger table's secondary indexes: name → columns in order. */
export async function ledgerIndexes(scratch: ScratchDatabase): Promise<Record<string, string[]>> {
  const { dialect } = scratch.db;
  const rows: Array<{ name: string; col: string }> =
    dialect === 'sqlite'
      ? (
          await scratch.knex.raw(
            `select il.name as name, ii.name as col from pragma_index_list('windowed_runs') il, pragma_index_info(il.name) ii where il.origin = 'c' order by il.name, ii.seqno`,
          )
        ).map((r: { name: string; col: string }) => r)
      : dialect === 'mysql'
        ? (
            await scratch.knex.raw(
              `select index_name as name, column_name as col from information_schema.statistics where table_schema = database() and table_name = 'windowed_runs' and index_name <> 'PRIMARY' order by index_name, seq_in_index`,
            )
          )[0]
        : (
            await scratch.knex.raw(
              `select i.relname as name, a.attname as col from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid join pg_namespace n on n.oid = t.relnamespace join lateral unnest(x.indkey) with ordinality k(attnum, ord) on true join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum where t.relname = 'windowed_runs' and n.nspname = current_schema() and not x.indisprimary order by i.relname, k.ord`,
            )
          ).rows;
  const indexes: Record<string, string[]> = {};
  for (const r of rows)
    indexes[String(r.name)] = [...(indexes[String(r.name)] ?? []), String(r.col).toLowerCase()];
  return indexes;
}
