import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineWindowedJob, manualTrigger, type WindowedJob } from '@windowed/core';
import { openTestKnex, testDatabases, uniqueName } from '@windowed/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { isRetryableDbError } from '../../src/db/connect.js';

const databases = await testDatabases();

/** 1,024 characters of 4 bytes each in UTF-8: 4,096 bytes, over InnoDB's and PostgreSQL's key limits. */
const LONGEST = '😀'.repeat(1024);
const TOO_LONG = 'x'.repeat(1025);

/** `HH:MM` (UTC) of a window. */
const minute = (d: Date) => d.toISOString().slice(11, 16);

describe.each(databases)('group values are stored exactly on $dialect', (database) => {
  const knex = openTestKnex(database);
  const jobs: WindowedJob[] = [];
  const tables: string[] = [];
  afterAll(async () => {
    await Promise.all(jobs.map((j) => j.close()));
    for (const table of tables) await knex.schema.dropTableIfExists(table);
    await knex('windowed_runs')
      .whereIn('job', tables)
      .delete()
      .catch(() => undefined);
    await knex.destroy();
  });

  /** A job whose functional query answers `rowsAt(minute)` for each window. */
  function makeJob(rowsAt: (minute: string) => Array<Record<string, unknown>>, name = uniqueName('grp')) {
    tables.push(name);
    const job = defineWindowedJob({
      name,
      window: '1m',
      query: async ({ window }) => rowsAt(minute(window.start)),
      sink: database.url,
      logger: false,
    });
    jobs.push(job);
    return job;
  }

  const stored = async (table: string) =>
    (await knex(table).select('path', 'pv').orderBy('pv')).map((r) => ({ path: r.path, pv: Number(r.pv) }));

  it('values that differ only in case, accents or trailing spaces are separate groups', async () => {
    const paths = ['/Cart', '/cart', 'e', 'é', 'a', 'a ', 'ß', 'ss'];
    const job = makeJob(() => paths.map((path, i) => ({ path, pv: i + 1 })));
    const result = await job.run(manualTrigger('2026-11-27T10:01:00Z'));
    expect(result.windows.map((w) => w.status)).toEqual(['succeeded']);
    expect(await stored(job.name)).toEqual(paths.map((path, i) => ({ path, pv: i + 1 })));
    // Run again: the window is replaced, not merged or duplicated.
    await job.run(manualTrigger('2026-11-27T10:01:00Z'));
    expect(await stored(job.name)).toEqual(paths.map((path, i) => ({ path, pv: i + 1 })));
  });

  it('values of up to 1,024 characters are stored exactly, in several group fields at once', async () => {
    const row = { path: LONGEST, host: `${LONGEST.slice(2)}é`, ua: `é${LONGEST.slice(2)}`, pv: 1 };
    const job = makeJob(() => [row, { ...row, path: `${LONGEST.slice(2)}!`, pv: 2 }]);
    const result = await job.run(manualTrigger('2026-11-27T10:01:00Z'));
    expect(result.windows[0]?.error).toBeUndefined();
    const rows = await knex(job.name).select('path', 'host', 'ua').orderBy('pv');
    expect(rows).toEqual([
      { path: row.path, host: row.host, ua: row.ua },
      { path: `${LONGEST.slice(2)}!`, host: row.host, ua: row.ua },
    ]);
    const read = await job.results();
    expect(read.map((r) => r.values)).toEqual(
      expect.arrayContaining([{ path: row.path, host: row.host, ua: row.ua, pv: 1 }]),
    );
  });

  it('a longer value or a NUL byte fails only its own window of a backfill batch', async () => {
    const job = makeJob((m) => {
      if (m === '10:01')
        return [
          { path: '/ok', pv: 1 },
          { path: TOO_LONG, pv: 2 },
        ];
      if (m === '10:02') return [{ path: 'a\u0000b', pv: 3 }];
      return [{ path: `/at-${m}`, pv: 4 }];
    });
    const result = await job.backfill({ from: '2026-11-27T10:00:00Z', to: '2026-11-27T10:04:00Z' });
    expect(result.windows.map((w) => [minute(w.window.start), w.status])).toEqual([
      ['10:00', 'succeeded'],
      ['10:01', 'failed'],
      ['10:02', 'failed'],
      ['10:03', 'succeeded'],
    ]);
    const [long, nul] = [result.windows[1]!.error!, result.windows[2]!.error!];
    expect(long.code).toBe('SINK_FAILED');
    expect(long.message).toContain('"path"');
    expect(long.message).toContain('2026-11-27T10:01:00.000Z');
    expect(long.message).toContain('1,025 characters');
    expect(long.window?.key).toBe('2026-11-27T10:01:00.000Z');
    expect(nul.code).toBe('SINK_FAILED');
    expect(nul.message).toContain('"path"');
    expect(nul.message).toContain('NUL');
    expect(nul.message).toContain('2026-11-27T10:02:00.000Z');
    // The healthy windows are written and recorded; the failed ones left nothing behind.
    expect((await stored(job.name)).map((r) => r.path)).toEqual(['/at-10:00', '/at-10:03']);
    const ledger = await knex('windowed_runs').where({ job: job.name }).orderBy('window_start');
    expect(ledger.map((r) => r.status)).toEqual(['succeeded', 'failed', 'failed', 'succeeded']);
    expect(ledger[1].last_error).toContain('"path"');
  });

  it('with the ledger in another database, the failed window is recorded failed and the others succeeded', async () => {
    const name = uniqueName('state');
    tables.push(name);
    const dir = mkdtempSync(join(tmpdir(), 'windowed-state-'));
    const job = defineWindowedJob({
      name,
      window: '1m',
      query: async ({ window }) => [{ path: minute(window.start) === '10:01' ? TOO_LONG : '/ok', pv: 1 }],
      sink: database.url,
      state: `sqlite:${join(dir, 'state.db')}`,
      logger: false,
    });
    jobs.push(job);
    const result = await job.backfill({ from: '2026-11-27T10:00:00Z', to: '2026-11-27T10:03:00Z' });
    expect(result.windows.map((w) => w.status)).toEqual(['succeeded', 'failed', 'succeeded']);
    const status = await job.status();
    expect(status.ranges.filter((r) => r.state === 'failed').map((r) => r.from.toISOString())).toEqual([
      '2026-11-27T10:01:00.000Z',
    ]);
    expect(status.lastSucceeded?.start.toISOString()).toBe('2026-11-27T10:02:00.000Z');
    expect(await stored(name)).toEqual([
      { path: '/ok', pv: 1 },
      { path: '/ok', pv: 1 },
    ]);
  });

  it("a scheduled run's failing catch-up window does not take the other catch-up windows with it", async () => {
    const job = makeJob((m) => [{ path: m === '10:02' ? TOO_LONG : `/at-${m}`, pv: 1 }]);
    await job.run(manualTrigger('2026-11-27T10:01:00Z'));
    // The 10:02–10:04 triggers never came: the 10:05 one catches up 10:01–10:03.
    const result = await job.run(manualTrigger('2026-11-27T10:05:00Z'));
    expect(result.windows.map((w) => [minute(w.window.start), w.reason, w.status])).toEqual([
      ['10:01', 'catch-up', 'succeeded'],
      ['10:02', 'catch-up', 'failed'],
      ['10:03', 'catch-up', 'succeeded'],
      ['10:04', 'scheduled', 'succeeded'],
    ]);
    const paths = (await knex(job.name).select('path').orderBy('window_start')).map((r) => r.path);
    expect(paths).toEqual(['/at-10:00', '/at-10:01', '/at-10:03', '/at-10:04']);
  });

  it('two rows of one window with the same stored group fail that window, naming the group', async () => {
    // A functional query answering the number 200 and the string "200": both are stored as "200".
    const job = makeJob((m) =>
      m === '10:01'
        ? [
            { status: '200', pv: 1 },
            { status: '200', pv: 2 },
          ]
        : [{ status: '404', pv: 1 }],
    );
    const result = await job.backfill({ from: '2026-11-27T10:00:00Z', to: '2026-11-27T10:02:00Z' });
    expect(result.windows.map((w) => w.status)).toEqual(['succeeded', 'failed']);
    expect(result.windows[1]!.error?.message).toContain('status = "200"');
  });

  if (database.dialect === 'mysql') {
    it('a table created by windowed 0.1 (case-insensitive key) fails only the windows whose groups collide, saying how to fix it', async () => {
      const name = uniqueName('legacy');
      // What windowed 0.1 created: varchar(191) group columns in the database's default collation.
      await knex.raw(
        `create table \`${name}\` (\`job\` varchar(64) not null, \`window_start\` datetime(3) not null, \`window_end\` datetime(3) not null, \`path\` varchar(191) null, \`pv\` double null, \`computed_at\` datetime(3) null, constraint \`${name}_window_uq\` unique (\`job\`, \`window_start\`, \`path\`))`,
      );
      const job = makeJob(
        (m) =>
          m === '10:01'
            ? [
                { path: '/Cart', pv: 1 },
                { path: '/cart', pv: 2 },
              ]
            : [{ path: `/at-${m}`, pv: 3 }],
        name,
      );
      const range = { from: '2026-11-27T10:00:00Z', to: '2026-11-27T10:03:00Z' };
      const result = await job.backfill(range);
      expect(result.windows.map((w) => w.status)).toEqual(['succeeded', 'failed', 'succeeded']);
      const message = result.windows[1]!.error!.message;
      expect(message).toContain('utf8mb4_general_ci');
      const fix = /ALTER TABLE [^;]+;/.exec(message)?.[0];
      expect(fix).toBeDefined();
      await knex.raw(fix!);
      const again = await job.backfill(range);
      expect(again.windows.map((w) => w.status)).toEqual(['succeeded']);
      expect((await stored(name)).map((r) => r.path).sort()).toEqual([
        '/Cart',
        '/at-10:00',
        '/at-10:02',
        '/cart',
      ]);
    });
  }
});

describe('write errors that are retried', () => {
  it('a duplicate key is not retried: it would fail the same way every time', () => {
    expect(isRetryableDbError({ code: 'ER_DUP_ENTRY' })).toBe(false);
    expect(isRetryableDbError({ code: '23505' })).toBe(false);
    expect(isRetryableDbError({ code: 'SQLITE_CONSTRAINT_UNIQUE' })).toBe(false);
    expect(isRetryableDbError({ code: 'ER_LOCK_DEADLOCK' })).toBe(true);
    expect(isRetryableDbError({ code: '40P01' })).toBe(true);
  });
});
