import { lockTable, runningStatements, seedsFromEnv, testServers } from '@windowed/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { invokeStorm } from './support/invoke.js';
import { CLEAN, fileReport, minuteAt, openScenario, timed } from './support/scenario.js';

const servers = await testServers();
const SEEDS = seedsFromEnv('WINDOWED_FAULT_SEEDS', [23]);
const report = fileReport('storm');
afterAll(() => report.save());

const MINUTES = 30;
/** Whole seconds: FC's timeout is. */
const BUDGET_MS = 3_000;
const INVOCATIONS = 20;
const range = { from: minuteAt(0).toISOString(), to: minuteAt(MINUTES).toISOString() };
const lateOf = (runs: Array<{ deadline: number; settledAt: number }>) =>
  runs.filter((r) => r.settledAt > r.deadline).map((r) => r.settledAt - r.deadline);

describe.each(servers)('%s: 20 concurrent invocations of one trigger through the handlers', (server) => {
  it.each(SEEDS)(
    'seed %i: cold without tables, cold and blocked, then faulty and overlapping a forced backfill',
    async (seed) => {
      const s = await openScenario(server, {
        minutes: MINUTES,
        plan: { seed, rate: 0.05, commitRate: 0.3, connectRate: 0.1, maxStallMs: 150 },
      });
      try {
        s.plan.pause();
        // Round 0: the first invocations ever, the tables not made yet, on a cold pool. Some may
        // give up making them in time; all settle by their deadlines, leaving nothing running.
        const first = s.job({ poolMax: 5 });
        const cold = await invokeStorm(first, minuteAt(1), INVOCATIONS, BUDGET_MS, report);
        const coldRunning = await runningStatements(s.knex, server.dialect);
        expect(lateOf(cold)).toEqual([]);
        expect(coldRunning).toEqual([]);

        // The CLI's process, say: its pool is not the function's.
        const cli = s.job({ name: first.name, poolMax: 3 });
        await cli.backfill({ from: range.from, to: minuteAt(1).toISOString() });
        // The function's job: again a cold pool, smaller than the storm.
        const fn = s.job({ name: cli.name, poolMax: 4 });

        // Round 1: cold, and the sink table locked by another session past every deadline. Every
        // invocation settles by its deadline, and by then the server runs none of their statements.
        const lock = await lockTable(s.knex, server.dialect, cli.name);
        const blocked = await invokeStorm(fn, minuteAt(2), INVOCATIONS, BUDGET_MS, report);
        const stillRunning = await runningStatements(s.knex, server.dialect);
        await lock.release();
        expect(lateOf(blocked)).toEqual([]);
        expect(stillRunning).toEqual([]);
        expect(blocked.every((r) => r.error)).toBe(true);

        // Round 2: random faults on the link, the same storm for the next minute, and a forced
        // backfill of the whole range going on meanwhile.
        s.plan.resume();
        const [stormed, forced] = await Promise.all([
          invokeStorm(fn, minuteAt(3), INVOCATIONS, BUDGET_MS, report),
          timed(report, undefined, () =>
            cli.backfill({ ...range, force: true, concurrency: 2, batchSize: 5 }),
          ),
        ]);
        expect(lateOf(stormed)).toEqual([]);
        s.plan.pause();

        // The link healed: a backfill redoes what did not succeed (a forced one that failed too), run
        // again as a CLI process would, with a pool of its own (`cli`'s may still hold a connection
        // cut just after the forced backfill's last answer, its close not read yet).
        const again = s.job({ name: cli.name, poolMax: 2 });
        const healed = await again.backfill(forced.error ? { ...range, force: true } : range);
        expect(healed.failed).toBe(0);
        const check = await s.check(cli, 0, MINUTES);
        report.addCheck(check);
        expect(check).toEqual({ ...CLEAN, windows: MINUTES });
      } finally {
        await s.close(report);
      }
    },
  );
});
