import { manualTrigger } from '@windowed/core';
import { seedsFromEnv, testServers } from '@windowed/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { CLEAN, fileReport, minuteAt, openScenario, timed } from './support/scenario.js';

const servers = await testServers();
const SEEDS = seedsFromEnv('WINDOWED_FAULT_SEEDS', [11]);
const report = fileReport('scheduled');
afterAll(() => report.save());

/** The invocation's time: its deadline is this far off, as the platform gives it. */
const BUDGET_MS = 2_000;
const RUNS = 30;
const at = (minute: number) => manualTrigger(minuteAt(minute).toISOString());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(servers)('scheduled runs and catch-up through a faulty link to $dialect', (server) => {
  it.each(SEEDS)(
    'seed %i: runs keep their deadlines, and once the link heals every window is right once',
    async (seed) => {
      const s = await openScenario(server, {
        minutes: RUNS + 2,
        plan: { seed, rate: 0.12, commitRate: 0.3, connectRate: 0.1, maxStallMs: 150 },
      });
      try {
        const job = s.job();
        const late: number[] = [];
        // The deployed function's first run: the job's first window is recorded.
        s.plan.pause();
        await job.run(at(1));
        s.plan.resume();
        for (let minute = 2; minute <= RUNS; minute++) {
          // Now and then a reply stalls past the deadline: the run must give up and cancel in time.
          if (minute % 12 === 0) s.plan.next(/./, 'stall', BUDGET_MS + 1_000);
          const deadline = Date.now() + BUDGET_MS;
          const run = await timed(report, deadline, () =>
            job.run(at(minute), { deadline, functionTimeoutMs: BUDGET_MS }),
          );
          if (run.settledAt > deadline) late.push(run.settledAt - deadline);
        }
        s.plan.pause();
        // A run cut before it could record its failure left `running` rows: stale once a function
        // of this timeout would have ended.
        await sleep(BUDGET_MS);
        const healed = await job.run(at(RUNS + 1), { functionTimeoutMs: BUDGET_MS });
        expect(healed.windows.filter((w) => w.status !== 'succeeded')).toEqual([]);
        const check = await s.check(job, 0, RUNS + 1);
        report.addCheck(check);
        expect(check).toEqual({ ...CLEAN, windows: RUNS + 1 });
        expect(late).toEqual([]);
        expect(s.plan.total).toBeGreaterThan(0);
      } finally {
        await s.close(report);
      }
    },
  );
});
