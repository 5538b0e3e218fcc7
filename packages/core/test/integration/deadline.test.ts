import { count, defineWindowedJob, manualTrigger, type WindowedJob } from '@windowed/core';
import {
  lockTable,
  openTestKnex,
  ownDatabase,
  runningStatements,
  type ServerDialect,
  type TestDatabase,
  testDatabases,
  uniqueName,
  waitForBlocked,
} from '@windowed/testing';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogTable, MINUTE_LOGS } from '../helpers.js';

const servers = (await testDatabases()).filter(
  (d): d is TestDatabase & { dialect: ServerDialect } => d.dialect !== 'sqlite',
);
const at = (minute: number) => manualTrigger(`2026-11-27T10:${String(minute).padStart(2, '0')}:00Z`);
/** Remaining time of the invocation: the run gives up 10 % (400 ms) before it. */
const BUDGET_MS = 4_000;

describe.each(servers)('a run on $dialect whose statement stalls past its deadline', (server) => {
  // A database of its own: the lock stalls only this file's statements, and whatever the server
  // lists as running in it is this file's.
  let own: Awaited<ReturnType<typeof ownDatabase>>;
  let knex: Knex;
  const logs = uniqueName('logs');
  const jobs: WindowedJob[] = [];
  const dialect = server.dialect;

  beforeAll(async () => {
    own = await ownDatabase(server);
    knex = openTestKnex(own.database);
    await createLogTable(knex, dialect, logs, MINUTE_LOGS);
  });
  afterAll(async () => {
    await Promise.all(jobs.map((j) => j.close()));
    await knex.destroy();
    await own.drop();
  });

  function makeJob(): WindowedJob {
    const job = defineWindowedJob({
      name: uniqueName('dl'),
      window: '1m',
      query: { metrics: { pv: count() } },
      source: { type: 'sql', url: own.database.url, table: logs, timeColumn: 'ts' },
      sink: own.database.url,
      logger: false,
    });
    jobs.push(job);
    return job;
  }

  /**
   * Runs `job` with the table locked by another connection; reports how the run settled, whether it
   * settled by its deadline, and which statements the server still ran at that moment.
   */
  async function stalled(job: WindowedJob, table: string, minute: number) {
    const lock = await lockTable(knex, dialect, table);
    // Never longer than the test: the lock goes 3 s after the deadline whatever happens.
    const unlock = setTimeout(() => void lock.release(), BUDGET_MS + 3_000);
    const deadline = Date.now() + BUDGET_MS;
    const settled = job.run(at(minute), { deadline }).then(
      () => ({ code: 'none', message: '' }),
      (error: { code: string; message: string }) => error,
    );
    await waitForBlocked(knex, dialect, new RegExp(table));
    const error = await settled;
    const settledAt = Date.now();
    const stillRunning = await runningStatements(knex, dialect);
    clearTimeout(unlock);
    await lock.release().catch(() => undefined);
    return { error, late: settledAt - deadline, stillRunning };
  }

  const ledgerOf = async (job: WindowedJob, minute: number) =>
    (await job.status()).failed.find((e) => e.windowStart.getUTCMinutes() === minute - 1);

  it('a source query is cancelled on the server when the run gives up, and the failure recorded', async () => {
    const job = makeJob();
    await job.run(at(1)); // tables made, pools warm
    const { error, late, stillRunning } = await stalled(job, logs, 2);
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    expect(late).toBeLessThanOrEqual(0);
    expect(stillRunning).toEqual([]);
    expect((await ledgerOf(job, 2))?.lastError).toContain('DEADLINE_EXCEEDED');
  });

  it('a sink write is cancelled on the server and rolled back; nothing of it is left', async () => {
    const job = makeJob();
    await job.run(at(1));
    const { error, late, stillRunning } = await stalled(job, job.name, 2);
    expect(error.code).toBe('SINK_FAILED');
    expect(error.message).toContain("before the run's deadline");
    expect(late).toBeLessThanOrEqual(0);
    expect(stillRunning).toEqual([]);
    // The window's rows were not written, and the ledger does not say it succeeded.
    expect(await knex(job.name).where('window_start', '>=', new Date('2026-11-27T10:01:00Z'))).toEqual([]);
    const entry = (await job.status()).lastSucceeded;
    expect(entry?.windowStart.toISOString()).toBe('2026-11-27T10:00:00.000Z');
  });

  it('a ledger read is cancelled on the server; the run settles by its deadline', async () => {
    const job = makeJob();
    await job.run(at(1));
    // A fresh instance of the job reads the ledger first (its first window is not cached yet).
    const fresh = job.with({});
    jobs.push(fresh);
    const { error, late, stillRunning } = await stalled(fresh, 'windowed_runs', 2);
    expect(error.code).toBe('LEDGER_FAILED');
    expect(error.message).toContain("before the run's deadline");
    expect(late).toBeLessThanOrEqual(0);
    expect(stillRunning).toEqual([]);
  });
});
