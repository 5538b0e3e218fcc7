import { count, defineWindowedJob, type WindowedJob } from '@windowed/core';
import { openTestKnex, refuseRunningMark, testDatabases, uniqueName } from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogTable, insertLogs, type LogRow, sleep } from '../helpers.js';

const databases = await testDatabases();

/** One view per minute for a day from 2026-11-27 00:00 UTC. */
const DAY: LogRow[] = Array.from({ length: 1440 }, (_, m) => ({
  ts: new Date(Date.parse('2026-11-27T00:00:30Z') + m * 60_000).toISOString(),
  user_id: `u${m % 5}`,
  path: '/',
  bytes: m,
}));
const FROM = '2026-11-27T00:00:00Z';
const TO = '2026-11-28T00:00:00Z';

describe.each(databases)('a backfill on $dialect whose ledger fails part-way', (database) => {
  const knex = openTestKnex(database);
  const logs = uniqueName('logs');
  const jobs: WindowedJob[] = [];
  beforeAll(async () => {
    await createLogTable(knex, database.dialect, logs);
    for (let i = 0; i < DAY.length; i += 200)
      await insertLogs(knex, database.dialect, logs, DAY.slice(i, i + 200));
  });
  afterAll(async () => {
    await Promise.all(jobs.map((j) => j.close()));
    await knex.destroy();
  });

  const pvJob = (name: string) => {
    const job = defineWindowedJob({
      name,
      window: '1m',
      query: { metrics: { pv: count() } },
      source: { type: 'sql', url: database.url, table: logs, timeColumn: 'ts' },
      sink: database.url,
      logger: false,
    });
    jobs.push(job);
    return job;
  };

  it('stops every worker, leaves nothing running, and rejects only once all have settled', async () => {
    const job = pvJob(uniqueName('bf'));
    // Another job's window creates the ledger table (status only reads).
    await pvJob(uniqueName('mk')).backfill({ from: FROM, to: '2026-11-27T00:01:00Z' });
    // The fifth of 144 spans of ten windows cannot be marked running.
    const fault = await refuseRunningMark(knex, database.dialect, job.name, new Date('2026-11-27T00:40:00Z'));
    const rows = async () => Number((await knex(job.name).count({ n: '*' }))[0]!.n);
    let rejected = false;
    let reportedAfter = 0;
    const error = await job
      .backfill({
        from: FROM,
        to: TO,
        batchSize: 10,
        concurrency: 4,
        onProgress: () => {
          if (rejected) reportedAfter++;
        },
      })
      .then(
        () => undefined,
        (e) => {
          rejected = true;
          return e;
        },
      );
    expect(error).toMatchObject({ code: 'LEDGER_FAILED' });
    expect(error.message).toContain('injected: the ledger refused the window');
    const atRejection = await rows();
    // Time for a worker that outlived the rejection to write (it did, hundreds of windows, before).
    await sleep(500);
    expect(await rows()).toBe(atRejection);
    expect(reportedAfter).toBe(0);
    // Every window the ledger calls succeeded has its row, and none is left running.
    const ledger = await knex('windowed_runs').where({ job: job.name }).select('status');
    expect(ledger.filter((r) => r.status === 'running')).toEqual([]);
    expect(ledger.filter((r) => r.status === 'succeeded')).toHaveLength(atRejection);
    expect(atRejection).toBeLessThan(1440);

    await fault.remove();
    const resumed = await job.backfill({ from: FROM, to: TO, batchSize: 10, concurrency: 4 });
    expect(resumed).toMatchObject({ total: 1440, skipped: atRejection, failed: 0 });
    expect(await rows()).toBe(1440);
  });
});
