import {
  count,
  countDistinct,
  defineWindowedJob,
  manualTrigger,
  sum,
  type WindowedJob,
} from '@windowed/core';
import { openTestKnex, testDatabases, uniqueName } from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogTable, MINUTE_LOGS } from '../helpers.js';

const databases = await testDatabases();
const TRIGGER = manualTrigger('2026-11-27T10:01:00Z', { id: 'evt-1' });

/** pg returns bigint columns as strings to plain clients; compare numbers. */
const numeric = (row: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(row).map(([k, v]) => [k, typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v]),
  );

describe.each(databases)('exactly one copy of each window on $dialect', (database) => {
  const knex = openTestKnex(database);
  const logs = uniqueName('logs');
  const jobs: WindowedJob[] = [];

  beforeAll(() => createLogTable(knex, database.dialect, logs, MINUTE_LOGS));
  afterAll(async () => {
    await Promise.all(jobs.map((j) => j.close()));
    await knex.destroy();
  });

  function makeJob(name: string, groupBy?: string[]): WindowedJob {
    const job = defineWindowedJob({
      name,
      window: '1m',
      query: {
        metrics: { pv: count(), uv: countDistinct('user_id'), bytes: sum('bytes') },
        ...(groupBy ? { groupBy } : {}),
      },
      source: { type: 'sql', url: database.url, table: logs, timeColumn: 'ts' },
      sink: database.url,
      logger: false,
    });
    jobs.push(job);
    return job;
  }

  const rowsOf = (table: string) =>
    knex(table).select('job', 'window_start', 'window_end', 'path', 'pv', 'uv', 'bytes').orderBy('path');
  const ledgerOf = (job: string) => knex('windowed_runs').where({ job });

  it('the same trigger run 3 times in sequence leaves one row with the right numbers', async () => {
    const name = uniqueName('seq');
    const job = makeJob(name);
    for (let i = 0; i < 3; i++) {
      const result = await job.run(TRIGGER);
      expect(result.window.key).toBe('2026-11-27T10:00:00.000Z');
    }
    const rows = (await knex(name).select('pv', 'uv', 'bytes', 'window_start', 'window_end')).map(numeric);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ pv: 7, uv: 4, bytes: 760 });
    expect(new Date(rows[0]!.window_start as string).toISOString()).toBe('2026-11-27T10:00:00.000Z');
    expect(new Date(rows[0]!.window_end as string).toISOString()).toBe('2026-11-27T10:01:00.000Z');
    const [entry] = await ledgerOf(name);
    expect(entry).toMatchObject({ status: 'succeeded', attempts: 3, trigger_id: 'evt-1', last_error: null });
  });

  it('8 concurrent deliveries from separate instances leave one row', async () => {
    const name = uniqueName('conc');
    const instances = Array.from({ length: 8 }, () => makeJob(name));
    await Promise.all(instances.map((job) => job.run(TRIGGER)));
    const rows = (await knex(name).select('pv', 'uv')).map(numeric);
    expect(rows).toEqual([{ pv: 7, uv: 4 }]);
    const [entry] = await ledgerOf(name);
    expect(entry).toMatchObject({ status: 'succeeded', attempts: 8 });
  });

  it('with groupBy: one row per group, however often and concurrently it runs', async () => {
    const name = uniqueName('grp');
    const job = makeJob(name, ['path']);
    for (let i = 0; i < 3; i++) await job.run(TRIGGER);
    await Promise.all(Array.from({ length: 8 }, () => makeJob(name, ['path']).run(TRIGGER)));
    const rows = (await rowsOf(name)).map((r: Record<string, unknown>) =>
      numeric({ path: r.path, pv: r.pv, uv: r.uv, bytes: r.bytes }),
    );
    expect(rows).toEqual([
      { path: '/a', pv: 4, uv: 3, bytes: 360 },
      { path: '/b', pv: 3, uv: 3, bytes: 400 },
    ]);
  });

  it('group values from the logs are stored literally, whatever quotes and backslashes they hold', async () => {
    const hostile = uniqueName('hostile');
    const name = uniqueName('inj');
    const evil = [`a\\'); DROP TABLE ${name}; --`, `b'' OR 1=1 -- \\`, `c"; DELETE FROM windowed_runs; --`];
    await createLogTable(
      knex,
      database.dialect,
      hostile,
      evil.map((path, i) => ({ ts: `2026-11-27T10:00:0${i}.000Z`, user_id: 'u', path, bytes: 1 })),
    );
    const job = defineWindowedJob({
      name,
      window: '1m',
      query: { metrics: { pv: count() }, groupBy: ['path'] },
      source: { type: 'sql', url: database.url, table: hostile, timeColumn: 'ts' },
      sink: database.url,
      logger: false,
    });
    jobs.push(job);
    await job.run(TRIGGER);
    await job.run(TRIGGER);
    const rows = (await knex(name).select('path', 'pv').orderBy('path')).map(numeric);
    expect(rows).toEqual(evil.map((path) => ({ path, pv: 1 })));
    expect(await knex('windowed_runs').where({ job: name }).count({ n: '*' })).toEqual([
      { n: expect.anything() },
    ]);
  });

  it("a sink table created by hand without windowed's unique key still ends with one row per window", async () => {
    const name = uniqueName('nokey');
    await knex.schema.createTable(name, (t) => {
      t.string('job', 64).notNullable();
      t.datetime('window_start', { precision: 3 }).notNullable();
      t.datetime('window_end', { precision: 3 }).notNullable();
      t.bigInteger('pv');
      t.bigInteger('uv');
      t.bigInteger('bytes');
      t.datetime('computed_at', { precision: 3 });
    });
    for (let i = 0; i < 3; i++) await makeJob(name).run(TRIGGER);
    const rows = (await knex(name).select('pv', 'uv')).map(numeric);
    expect(rows).toEqual([{ pv: 7, uv: 4 }]);
  });

  it('an idle window is written as zeros, not skipped', async () => {
    const name = uniqueName('idle');
    const job = makeJob(name);
    await job.run(manualTrigger('2026-11-27T11:31:00Z'));
    const rows = (await knex(name).select('pv', 'uv', 'bytes')).map(numeric);
    expect(rows).toEqual([{ pv: 0, uv: 0, bytes: null }]);
  });

  it('a new job with a declarative query creates its sink table on its first run (checked while the query runs), then catches up', async () => {
    const name = uniqueName('fresh');
    const table = uniqueName('fresh_sink');
    const url = new URL(database.url);
    url.searchParams.set('table', table);
    const job = defineWindowedJob({
      name,
      window: '1m',
      query: { metrics: { pv: count() } },
      source: { type: 'sql', url: database.url, table: logs, timeColumn: 'ts' },
      sink: url.toString(),
      logger: false,
    });
    jobs.push(job);
    try {
      await job.run(manualTrigger('2026-11-27T10:01:00Z'));
      const result = await job.run(manualTrigger('2026-11-27T10:03:00Z'));
      expect(result.windows.map((w) => [minute(w.window.start), w.reason, w.status])).toEqual([
        ['10:01', 'catch-up', 'succeeded'],
        ['10:02', 'scheduled', 'succeeded'],
      ]);
      const rows = await knex(table).select('window_start', 'pv').orderBy('window_start');
      expect(rows.map((r) => [minute(r.window_start), Number(r.pv)])).toEqual([
        ['10:00', 7],
        ['10:01', 1],
        ['10:02', 0],
      ]);
      expect(
        (await ledgerOf(name).orderBy('window_start')).map((r) => [minute(r.window_start), r.status]),
      ).toEqual([
        ['10:00', 'succeeded'],
        ['10:01', 'succeeded'],
        ['10:02', 'succeeded'],
      ]);
    } finally {
      await knex.schema.dropTableIfExists(table);
    }
  });

  it('records a scheduled window together with its rows, then catches up the windows before it', async () => {
    const name = uniqueName('rec');
    const ledgerDuringQuery: Array<Array<[string, string]>> = [];
    const job = defineWindowedJob({
      name,
      window: '1m',
      query: async ({ window }) => {
        const rows = await ledgerOf(name).orderBy('window_start');
        ledgerDuringQuery.push(rows.map((r) => [minute(r.window_start), r.status]));
        return [{ at: window.start.getUTCMinutes() }];
      },
      sink: database.url,
      logger: false,
    });
    jobs.push(job);
    await job.run(manualTrigger('2026-11-27T10:01:00Z'));
    // Triggers for 10:02 and 10:03 never came; the 10:04 one runs its window first, then those two.
    const result = await job.run(manualTrigger('2026-11-27T10:04:00Z'));
    expect(result.windows.map((w) => [minute(w.window.start), w.reason, w.status])).toEqual([
      ['10:01', 'catch-up', 'succeeded'],
      ['10:02', 'catch-up', 'succeeded'],
      ['10:03', 'scheduled', 'succeeded'],
    ]);
    // No `running` row is written ahead of a scheduled window's query (an invocation that dies
    // leaves it unrecorded, which catch-up treats as missed); catch-up windows are marked first.
    const duringCatchUp = [
      ['10:00', 'succeeded'],
      ['10:01', 'running'],
      ['10:02', 'running'],
      ['10:03', 'succeeded'],
    ];
    // A functional query runs once per window.
    expect(ledgerDuringQuery).toEqual([[], [['10:00', 'succeeded']], duringCatchUp, duringCatchUp]);
    const ledger = (await ledgerOf(name).orderBy('window_start')).map((r) => [
      minute(r.window_start),
      r.status,
      Number(r.attempts),
    ]);
    expect(ledger).toEqual([
      ['10:00', 'succeeded', 1],
      ['10:01', 'succeeded', 1],
      ['10:02', 'succeeded', 1],
      ['10:03', 'succeeded', 1],
    ]);
  });
});

/** `HH:MM` (UTC) of a Date or of the text SQLite stores. */
function minute(value: unknown): string {
  return new Date(value instanceof Date ? value : `${String(value).replace(' ', 'T').replace(/Z?$/, 'Z')}`)
    .toISOString()
    .slice(11, 16);
}
