import { type DeclarativeQuery, defineWindowedJob, type WindowedJob } from '@windowed/core';
import { openTestKnex, testDatabases, uniqueName } from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, countDistinct, sum } from '../../src/query/metrics.js';
import { createLogTable, insertLogs, type LogRow } from '../helpers.js';

const databases = await testDatabases();

const FROM = '2026-11-27T10:00:00Z';
const TO = '2026-11-27T10:03:00Z';
/** Three minutes of views of /a and /b. */
const LOGS: LogRow[] = [
  { ts: '2026-11-27T10:00:05.000Z', user_id: 'u1', path: '/a', bytes: 100 },
  { ts: '2026-11-27T10:00:15.000Z', user_id: 'u2', path: '/a', bytes: 200 },
  { ts: '2026-11-27T10:00:25.000Z', user_id: 'u1', path: '/b', bytes: 300 },
  { ts: '2026-11-27T10:01:05.000Z', user_id: 'u3', path: '/a', bytes: 50 },
  { ts: '2026-11-27T10:01:45.500Z', user_id: 'u2', path: '/b', bytes: 75 },
  { ts: '2026-11-27T10:02:59.999Z', user_id: 'u1', path: '/a', bytes: 10 },
];
const QUERY: DeclarativeQuery = {
  groupBy: ['path'],
  metrics: { pv: count(), uv: countDistinct('user_id'), bytes: sum('bytes') },
};
const minute = (d: Date) => d.toISOString().slice(11, 16);

describe.each(databases)('job.verify on $dialect', (database) => {
  const knex = openTestKnex(database);
  const logs = uniqueName('vlog');
  const sinkTable = uniqueName('vsink');
  const jobs: WindowedJob[] = [];
  const readOnlyUser = uniqueName('ro');
  beforeAll(() => createLogTable(knex, database.dialect, logs, LOGS));
  afterAll(async () => {
    await Promise.all(jobs.map((j) => j.close()));
    for (const table of [logs, sinkTable]) await knex.schema.dropTableIfExists(table);
    await knex('windowed_runs')
      .where('job', 'verify_me')
      .delete()
      .catch(() => undefined);
    if (database.dialect === 'mysql') await knex.raw(`drop user if exists '${readOnlyUser}'@'%'`);
    if (database.dialect === 'postgres') {
      await knex.raw(`revoke all on all tables in schema public from ${readOnlyUser}`).catch(() => undefined);
      await knex.raw(`drop role if exists ${readOnlyUser}`);
    }
    await knex.destroy();
  });

  function makeJob(query: DeclarativeQuery = QUERY, sink = `${database.url}?table=${sinkTable}`) {
    const job = defineWindowedJob({
      name: 'verify_me',
      window: '1m',
      query,
      source: { type: 'sql', url: database.url, table: logs, timeColumn: 'ts' },
      sink,
      logger: false,
    });
    jobs.push(job);
    return job;
  }

  it('a sink without the table: every window is missing, and nothing is created', async () => {
    const missingTable = uniqueName('vnone');
    const job = makeJob(QUERY, `${database.url}?table=${missingTable}`);
    // Other test files share the database: the ledger table may exist already, but not because of verify.
    const ledgerBefore = await knex.schema.hasTable('windowed_runs');
    const result = await job.verify({ from: FROM, to: TO });
    expect(result.checked).toBe(3);
    expect(result.drifted.map((d) => [minute(d.window.start), d.missing])).toEqual([
      ['10:00', true],
      ['10:01', true],
      ['10:02', true],
    ]);
    expect(await knex.schema.hasTable(missingTable)).toBe(false);
    expect(await knex.schema.hasTable('windowed_runs')).toBe(ledgerBefore);
    if (ledgerBefore) expect(await knex('windowed_runs').where('job', 'verify_me')).toEqual([]);
  });

  it('agrees after a backfill, then reports late data, a hand-edited row and a deleted row', async () => {
    const job = makeJob();
    await job.backfill({ from: FROM, to: TO });
    const clean = await job.verify({ from: FROM, to: TO });
    expect(clean).toMatchObject({ total: 3, checked: 3, drifted: [], failed: [] });

    await insertLogs(knex, database.dialect, logs, [
      { ts: '2026-11-27T10:01:30.000Z', user_id: 'u9', path: '/a', bytes: 1 },
    ]);
    await knex(sinkTable).where({ path: '/b' }).where('pv', 1).where('bytes', 300).update({ pv: 999 });
    await knex(sinkTable).where({ path: '/a' }).where('bytes', 10).delete();

    const drifted = await job.verify({ from: FROM, to: TO });
    expect(drifted.drifted.map((d) => minute(d.window.start))).toEqual(['10:00', '10:01', '10:02']);
    const [edited, late, deleted] = drifted.drifted;
    expect(edited!.differences).toEqual([
      {
        group: { path: '/b' },
        expected: { pv: 1, uv: 1, bytes: 300 },
        stored: { pv: 999, uv: 1, bytes: 300 },
        metrics: ['pv'],
      },
    ]);
    expect(late!.differences).toEqual([
      {
        group: { path: '/a' },
        expected: { pv: 2, uv: 2, bytes: 51 },
        stored: { pv: 1, uv: 1, bytes: 50 },
        metrics: ['pv', 'uv', 'bytes'],
      },
    ]);
    expect(deleted).toMatchObject({ missing: true });
    expect(deleted!.differences).toEqual([
      {
        group: { path: '/a' },
        expected: { pv: 1, uv: 1, bytes: 10 },
        stored: null,
        metrics: ['pv', 'uv', 'bytes'],
      },
    ]);

    // The fix: a forced backfill of the drifted windows; then the sink agrees again.
    for (const d of drifted.drifted)
      await job.backfill({ from: d.window.start, to: d.window.end, force: true });
    expect((await job.verify({ from: FROM, to: TO })).drifted).toEqual([]);
  });

  it('reports a definition change: a narrower filter leaves extra groups, a new metric is not stored', async () => {
    const narrower = makeJob({ ...QUERY, where: [{ field: 'path', op: '=', value: '/a' }] });
    const extra = await narrower.verify({ from: FROM, to: '2026-11-27T10:01:00Z' });
    expect(extra.drifted[0]!.differences).toEqual([
      {
        group: { path: '/b' },
        expected: null,
        stored: { pv: 1, uv: 1, bytes: 300 },
        metrics: ['pv', 'uv', 'bytes'],
      },
    ]);
    const wider = makeJob({ ...QUERY, metrics: { ...QUERY.metrics, users: countDistinct('user_id') } });
    const added = await wider.verify({ from: FROM, to: '2026-11-27T10:01:00Z' });
    expect(added.drifted[0]!.differences.map((d) => [d.group, d.metrics])).toEqual([
      [{ path: '/a' }, ['users']],
      [{ path: '/b' }, ['users']],
    ]);
  });

  it('checks an even sample of the range', async () => {
    const result = await makeJob().verify({ from: FROM, to: TO, sample: 2 });
    expect(result).toMatchObject({ total: 3, checked: 2, drifted: [] });
    await expect(makeJob().verify({ from: FROM, to: TO, sample: 0 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(
      makeJob().verify({ from: FROM, to: TO, simple: 2 } as unknown as { from: string; to: string }),
    ).rejects.toThrow(/unknown option "simple"/);
  });

  it.skipIf(database.dialect === 'sqlite')('works as a database user that may only SELECT', async () => {
    const url = new URL(database.url);
    if (database.dialect === 'mysql') {
      const db = url.pathname.slice(1);
      await knex.raw(`create user '${readOnlyUser}'@'%' identified by 'pw'`);
      await knex.raw(`grant select on \`${db}\`.* to '${readOnlyUser}'@'%'`);
    } else {
      await knex.raw(`create role ${readOnlyUser} login password 'pw'`);
      await knex.raw(`grant select on all tables in schema public to ${readOnlyUser}`);
    }
    url.username = readOnlyUser;
    url.password = 'pw';
    const job = defineWindowedJob({
      name: 'verify_me',
      window: '1m',
      query: QUERY,
      source: { type: 'sql', url: url.toString(), table: logs, timeColumn: 'ts' },
      sink: `${url.toString()}?table=${sinkTable}`,
      logger: false,
    });
    jobs.push(job);
    const result = await job.verify({ from: FROM, to: TO });
    expect(result).toMatchObject({ checked: 3, drifted: [], failed: [] });
    // And a table it may not create is simply missing.
    const none = job.with({ sink: `${url.toString()}?table=${uniqueName('vnone')}` });
    jobs.push(none);
    expect((await none.verify({ from: FROM, to: TO })).drifted).toHaveLength(3);
  });
});
