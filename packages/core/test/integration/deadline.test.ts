import { manualTrigger, type WindowedJob } from '@windowed/core';
import { type OwnLogDatabase, ownLogDatabase, testServers, whileLocked } from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINUTE_LOGS } from '../helpers.js';

const servers = await testServers();
const at = (minute: number) => manualTrigger(`2026-11-27T10:${String(minute).padStart(2, '0')}:00Z`);
/** Remaining time of the invocation: the run gives up 10 % (400 ms) before it. */
const BUDGET_MS = 4_000;

describe.each(servers)('a run on $dialect whose statement stalls past its deadline', (server) => {
  // A database of its own: the lock stalls only this file's statements, and whatever the server
  // lists as running in it is this file's.
  let own: OwnLogDatabase;
  /** Instances made with `with()` (the database closes the jobs it made itself). */
  const jobs: WindowedJob[] = [];
  const dialect = server.dialect;

  beforeAll(async () => {
    own = await ownLogDatabase(
      server,
      MINUTE_LOGS.map(({ ts, user_id }) => ({ ts, user_id })),
    );
  });
  afterAll(async () => {
    await Promise.all(jobs.map((j) => j.close()));
    await own.drop();
  });

  /** Runs `job` with the table locked by another connection (see whileLocked); how late it settled. */
  async function stalled(job: WindowedJob, table: string, minute: number) {
    const deadline = Date.now() + BUDGET_MS;
    const outcome = await whileLocked(
      own.knex,
      dialect,
      table,
      () => job.run(at(minute), { deadline }),
      BUDGET_MS + 3_000,
    );
    return { ...outcome, deadline, late: outcome.settledAt - deadline };
  }

  it('a source query is cancelled on the server when the run gives up; the window is left failed, never succeeded', async () => {
    const job = own.pvJob();
    await job.run(at(1)); // tables made, pools warm
    const { error, late, stillRunning } = await stalled(job, own.logs, 2);
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    expect(late).toBeLessThanOrEqual(0);
    expect(stillRunning).toEqual([]);
    // The failure is recorded within what is left of the budget. On a starved machine that write may
    // itself not fit; a lone scheduled window of a job with windows recorded is recorded only with its
    // outcome (no `running` mark first), so it then reads `missing`, and catch-up, which looks back to
    // the first recorded window, re-runs it. Either way it is never left looking succeeded or alive.
    const window = (await job.windows({ from: '2026-11-27T10:01:00Z', to: '2026-11-27T10:02:00Z' }))[0];
    expect(['failed', 'missing']).toContain(window?.state);
    if (window?.state === 'failed') expect(window.lastError).toContain('DEADLINE_EXCEEDED');
  });

  it('a sink write is cancelled on the server and rolled back; nothing of it is left', async () => {
    const job = own.pvJob();
    await job.run(at(1));
    const { error, late, stillRunning } = await stalled(job, job.name, 2);
    expect(error.code).toBe('SINK_FAILED');
    expect(error.message).toContain("before the run's deadline");
    expect(late).toBeLessThanOrEqual(0);
    expect(stillRunning).toEqual([]);
    // The window's rows were not written, and the ledger does not say it succeeded.
    expect(await own.knex(job.name).where('window_start', '>=', new Date('2026-11-27T10:01:00Z'))).toEqual(
      [],
    );
    const entry = (await job.status()).lastSucceeded;
    expect(entry?.start.toISOString()).toBe('2026-11-27T10:00:00.000Z');
  });

  it('a ledger read is cancelled on the server; the run settles by its deadline', async () => {
    const job = own.pvJob();
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
