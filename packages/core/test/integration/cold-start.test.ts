import { count, countDistinct, defineWindowedJob, type WindowedJob } from '@windowed/core';
import { openTestKnex, startFaultProxy, testDatabases, uniqueName } from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogTable, type LogRow } from '../helpers.js';

// What a function's first invocation sends its MySQL database: each statement is a round trip the
// user waits for (and, on a cold process, code run for the first time).

const [mariadb] = await testDatabases(['mysql']);
const db = mariadb!;
const knex = openTestKnex(db);
const logs = uniqueName('logs');
const jobs: WindowedJob[] = [];

const MINUTE: LogRow[] = [0, 1, 2].map((s) => ({
  ts: `2026-11-27T10:00:${String(10 + s).padStart(2, '0')}.000Z`,
  user_id: `u${s % 2}`,
  path: '/',
  bytes: s,
}));

beforeAll(() => createLogTable(knex, db.dialect, logs, MINUTE));
afterAll(async () => {
  await Promise.all(jobs.map((j) => j.close()));
  await knex.destroy();
});

async function firstRun(name: string, sinkTable: string) {
  const proxy = await startFaultProxy(db.url, { log: true });
  const job = defineWindowedJob({
    name,
    window: { size: '1m', delay: '30s' },
    query: { metrics: { pv: count(), uv: countDistinct('user_id') } },
    source: { type: 'sql', url: proxy.url, table: logs, timeColumn: 'ts' },
    sink: `${proxy.url}?table=${sinkTable}`,
    catchUp: { maxWindows: 60 },
    logger: false,
  });
  jobs.push(job);
  const result = await job.run({ scheduledTime: '2026-11-27T10:01:30Z', source: 'manual', id: 'cold' });
  await job.close();
  await proxy.close();
  const connections = proxy.sent.filter((sql) => /^SET time_zone/.test(sql)).length;
  return { result, connections, sent: proxy.sent.filter((sql) => !/^SET time_zone/.test(sql)) };
}

describe('a cold start on MySQL', () => {
  it('asks the ledger its first window and checks the sink table with the claim, in one round trip, and writes in one more', async () => {
    const [name, table] = [uniqueName('cold'), uniqueName('pv_uv')];
    // A process that created the tables (the first run of a brand-new job): the next process finds them.
    const created = await firstRun(name, table);
    expect(created.result.windows.map((w) => w.status)).toEqual(['succeeded']);
    const { result, sent, connections } = await firstRun(name, table);
    expect(result.windows.map((w) => [w.window.key, w.status])).toEqual([
      ['2026-11-27T10:00:00.000Z', 'succeeded'],
    ]);
    const claims = sent.filter((sql) => /update `windowed_runs` set `sink`/.test(sql));
    expect(claims).toHaveLength(1);
    expect(claims[0]).toMatch(/min\(`window_start`\)/);
    expect(sent.filter((sql) => /min\(`window_start`\)/.test(sql))).toHaveLength(1);
    expect(claims[0]).toMatch(/information_schema\.columns/);
    expect(sent.filter((sql) => /information_schema\.columns/.test(sql))).toHaveLength(1);
    // The claim with the ledger read and the sink table's shape, the source query, the write's
    // transaction: on two connections (the source query's own, and the ledger's and sink's).
    expect(sent).toHaveLength(3);
    expect(connections).toBe(2);
    expect(await knex(table).select('pv', 'uv')).toEqual([{ pv: 3, uv: 2 }]);
  });
});
