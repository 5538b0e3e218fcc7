import { seedsFromEnv, testServers } from '@windowed/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { CLEAN, fileReport, minuteAt, openScenario, timed } from './support/scenario.js';

const servers = await testServers();
const SEEDS = seedsFromEnv('WINDOWED_FAULT_SEEDS', [37]);
const report = fileReport('backfill');
afterAll(() => report.save());

const MINUTES = 240;
const ATTEMPTS = 8;
const range = { from: minuteAt(0).toISOString(), to: minuteAt(MINUTES).toISOString() };

describe.each(servers)('backfills through a faulty link to $dialect', (server) => {
  it.each(SEEDS)(
    'seed %i: a failed backfill leaves no window half-written, and reruns resume to every window right once',
    async (seed) => {
      const s = await openScenario(server, {
        minutes: MINUTES,
        plan: { seed, rate: 0.08, commitRate: 0.3, connectRate: 0.1, maxStallMs: 100 },
      });
      try {
        const job = s.job();
        for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
          const run = await timed(report, undefined, () =>
            job.backfill({ ...range, concurrency: 3, batchSize: 15 }),
          );
          if (run.value && run.value.failed === 0) break;
          // What a failed backfill wrote is whole: windows are missing, never partial, doubled or wrong.
          const sofar = await s.check(job, 0, MINUTES);
          // A batch whose COMMIT reply was lost is written but recorded as failed (the next run
          // redoes it): the only disagreement allowed meanwhile. A window recorded as succeeded
          // without its rows would be lost for good.
          const lost = new Set(sofar.lost);
          expect(sofar.ledgerDisagrees.filter((at) => lost.has(at))).toEqual([]);
          expect({ ...sofar, lost: [], ledgerDisagrees: [] }).toEqual({ ...CLEAN, windows: MINUTES });
        }
        s.plan.pause();
        // The link healed, the user runs the backfill again: the CLI's process, with a pool of its
        // own (a pool size of its own: pools are shared per URL). This one's may still hold a
        // connection cut just after its last answer, whose close it has not read yet.
        const last = await s.job({ name: job.name, poolMax: 3 }).backfill(range);
        expect(last.failed).toBe(0);
        const check = await s.check(job, 0, MINUTES);
        report.addCheck(check);
        expect(check).toEqual({ ...CLEAN, windows: MINUTES });
      } finally {
        await s.close(report);
      }
    },
  );
});
