import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WindowedJob } from '@windowed/core';
import {
  checkAgainstTruth,
  FaultPlan,
  type FaultPlanOptions,
  type FaultProxy,
  FaultReport,
  openTestKnex,
  ownDatabase,
  Prng,
  type ServerDatabase,
  startFaultProxy,
  type TruthCheck,
} from '@windowed/testing';
import type { Knex } from 'knex';
import { faultJob } from './job.js';

/** The first minute of every scenario's logs. */
export const EPOCH = Date.parse('2026-11-27T00:00:00Z');
export const MINUTE = 60_000;
export const minuteAt = (n: number) => new Date(EPOCH + n * MINUTE);
export const PATHS = ['/a', '/b', '/c', '/d'];

/**
 * One scenario's world: a database of its own (so what the server lists as running is the
 * scenario's), a log table with seeded rows in every minute of `[0, minutes)`, and a fault proxy
 * in front of the database whose URL the jobs use. `knex` talks to the database directly, past the
 * proxy: for the ground truth and the session lists.
 */
export interface Scenario {
  database: ServerDatabase;
  knex: Knex;
  logs: string;
  minutes: number;
  plan: FaultPlan;
  proxy: FaultProxy;
  /** The proxy's URL, with `poolMax` when given. */
  url(poolMax?: number): string;
  /** A per-minute job grouped by path (`pv`, `bytes`) from the log table into a sink table of its name. */
  job(options?: { name?: string; poolMax?: number; lookback?: string }): WindowedJob;
  /** The database's GROUP BY against what `job` wrote and recorded for minutes `[from, to)`. */
  check(job: WindowedJob | string, from: number, to: number): Promise<TruthCheck>;
  /** Adds the faults the plan injected to `report`, and drops it all. */
  close(report: FaultReport): Promise<void>;
}

export async function openScenario(
  base: ServerDatabase,
  options: { minutes: number; plan: FaultPlanOptions },
): Promise<Scenario> {
  const own = await ownDatabase(base);
  const knex = openTestKnex(own.database);
  const logs = `logs_${randomBytes(4).toString('hex')}`;
  await knex.schema.createTable(logs, (t) => {
    t.datetime('ts', { precision: 3 }).notNullable().index();
    t.string('path', 64).notNullable();
    t.integer('bytes').notNullable();
  });
  await knex.batchInsert(logs, seededLogs(options.plan.seed, options.minutes), 500);
  const plan = new FaultPlan(options.plan);
  const proxy = await startFaultProxy(own.database.url, { plan });
  const jobs: WindowedJob[] = [];
  const url = (poolMax?: number) => (poolMax ? `${proxy.url}?poolMax=${poolMax}` : proxy.url);
  return {
    database: own.database,
    knex,
    logs,
    minutes: options.minutes,
    plan,
    proxy,
    url,
    job(o = {}) {
      const job = faultJob(
        url(o.poolMax),
        logs,
        o.name ?? `pv_${randomBytes(4).toString('hex')}`,
        o.lookback,
      );
      jobs.push(job);
      return job;
    },
    check(job, from, to) {
      const name = typeof job === 'string' ? job : job.name;
      return checkAgainstTruth(knex, {
        dialect: base.dialect,
        logs,
        groupColumn: 'path',
        job: name,
        sink: name,
        from: minuteAt(from),
        to: minuteAt(to),
      });
    },
    async close(report) {
      report.addFaults(plan.injected);
      await Promise.all(jobs.map((j) => j.close()));
      await proxy.close();
      await knex.destroy();
      await own.drop();
    },
  };
}

/** 1–6 rows in every minute, over a few paths: every window has data, most have several groups. */
function seededLogs(seed: number, minutes: number) {
  const prng = new Prng(seed ^ 0x5eed);
  const rows: Array<{ ts: Date; path: string; bytes: number }> = [];
  for (let m = 0; m < minutes; m++)
    for (let i = prng.int(1, 6); i > 0; i--)
      rows.push({
        ts: new Date(EPOCH + m * MINUTE + prng.int(0, MINUTE - 1)),
        path: prng.pick(PATHS),
        bytes: prng.int(1, 1000),
      });
  return rows;
}

/** This file's figures, written where the suite's global setup sums them (support/report-setup.ts). */
export function fileReport(name: string): FaultReport & { save(): void } {
  const report = new FaultReport();
  const dir = process.env.WINDOWED_FAULT_REPORT_DIR;
  const save = () => {
    if (dir) writeFileSync(join(dir, `${name}-${process.pid}.json`), JSON.stringify(report));
  };
  return Object.assign(report, { save });
}

/** A check with nothing wrong, for `expect(...).toEqual`. */
export const CLEAN: Omit<TruthCheck, 'windows'> = {
  lost: [],
  duplicated: [],
  partial: [],
  wrong: [],
  ledgerDisagrees: [],
};

/** Settles `run`, noting when relative to `deadline` and whether it failed, in `report`. */
export async function timed<T>(
  report: FaultReport,
  deadline: number | undefined,
  run: () => Promise<T>,
): Promise<{ value?: T; error?: { code?: string; message: string }; settledAt: number }> {
  const outcome = await run().then(
    (value) => ({ value }),
    (error: { code?: string; message: string }) => ({ error }),
  );
  const settledAt = Date.now();
  report.addRun(settledAt, deadline, 'error' in outcome);
  return { ...outcome, settledAt };
}
