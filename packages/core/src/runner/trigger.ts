import { type MalformedTally, mergeMalformed } from '../compute.js';
import type { Logger } from '../logger.js';
import { columnsOfQuery } from '../query/normalize.js';
import type { Resources } from '../resources.js';
import { describeMalformed } from '../sources/malformed.js';
import type { TriggerEvent } from '../trigger.js';
import type { RunContext, RunResult, WindowOutcome } from '../types.js';
import { windowsForTrigger } from '../window/derive.js';
import type { Window } from '../window/types.js';
import { markMissedRunning, markRunningAndFindMissed, rangeOfLoneWindow } from './catch-up.js';
import { computeSafely, malformedSummary, mergeComputed } from './compute.js';
import { RunBudget } from './deadline.js';
import type { JobRuntime, Planned, RunOptions } from './runtime.js';
import { writeComputed } from './write.js';

type Ran = { outcomes: WindowOutcome[]; malformed: MalformedTally };

/**
 * One scheduled invocation: the trigger's windows (the scheduled one plus lateness windows) and the
 * missed windows the ledger knows of, computed, written once each, and recorded. Throws after
 * recording when a scheduled or lateness window failed, so the platform retries and finally
 * delivers the event to its failure destination. A catch-up window that fails stays `failed` in
 * the ledger and is retried by the next invocation's catch-up.
 */
export async function runTrigger(rt: JobRuntime, trigger: TriggerEvent, ctx: RunContext): Promise<RunResult> {
  const started = performance.now();
  const logger = ctx.logger ?? rt.logger;
  const targets = windowsForTrigger(new Date(trigger.scheduledTime), rt.windowSpec);
  const scheduled = targets[targets.length - 1]!;
  const res = await rt.resources();
  const budget = new RunBudget(ctx);
  const options: RunOptions = {
    signal: budget.signal,
    deadline: budget.giveUpAt,
    logger,
    triggerId: trigger.id,
  };
  // The scheduled window first: under a deadline it matters most. Then lateness, then catch-up oldest first.
  const own: Planned[] = [
    { window: scheduled, reason: 'scheduled' },
    ...targets.slice(0, -1).map((window) => ({ window, reason: 'lateness' as const })),
  ];
  // A declarative query's columns are known now: the sink table is checked while the query runs.
  if (typeof rt.query !== 'function') res.store.prepare?.(columnsOfQuery(rt.query), rt.name);
  try {
    const ran = await budget.run(() =>
      own.length === 1 && res.store.recordsOnCommit
        ? recordOnCommit(rt, res, own[0]!, options, ctx, Date.parse(trigger.scheduledTime))
        : markFirst(rt, res, own, options, ctx),
    );
    const sorted = ran.outcomes.sort((a, b) => a.window.start.getTime() - b.window.start.getTime());
    const result: RunResult = {
      job: rt.name,
      trigger,
      window: scheduled,
      windows: sorted,
      ...malformedSummary(ran.malformed),
      durationMs: performance.now() - started,
    };
    logRun(logger, result);
    const failed = sorted.find((o) => o.status === 'failed' && o.reason !== 'catch-up');
    if (failed?.error) throw failed.error;
    return result;
  } finally {
    budget.dispose();
  }
}

/**
 * A trigger with only its scheduled window, and a store that records on commit: the window is
 * computed, then written, recorded (`succeeded`, one more attempt) and the lookback's succeeded
 * windows counted in one transaction — one round trip on MySQL — so a warm invocation costs what a
 * hand-written one does: a query and a write. No `running` row is written first: an invocation
 * that dies leaves the window unrecorded (or as it was), which catch-up treats as missed, like a
 * stale `running` row. Missed windows found that way are then marked running, computed and written.
 * Except a job's first run: catch-up never looks before the first recorded window, so until the
 * job has one its window is marked running while the query runs.
 */
async function recordOnCommit(
  rt: JobRuntime,
  res: Resources,
  scheduled: Planned,
  options: RunOptions,
  ctx: RunContext,
  scheduledMs: number,
): Promise<Ran> {
  const ledger = res.store.ledger!;
  const own = scheduled.window;
  const computing = computeSafely(rt, res, [own], options);
  const { range, marked } = await rangeOfLoneWindow(rt, ledger, own, options.triggerId, ctx).catch(
    async (error) => {
      await computing;
      throw error;
    },
  );
  const known = range !== undefined && rt.cache.isVerified(range, scheduledMs);
  const ask = range && !known ? { countSucceeded: range } : {};
  const written = await writeComputed(rt, res, [scheduled], await computing, options, {
    countAttempt: !marked,
    ...ask,
  });
  const ownSucceeded = written.outcomes[0]?.status === 'succeeded';
  if (!range || known) {
    if (ownSucceeded) rt.cache.wrote(range?.from ?? own.start, own, scheduledMs);
    return written;
  }
  const succeeded = written.succeededInRange ?? (await ledger.countSucceeded(rt.name, range.from, range.to));
  if (succeeded >= rt.cache.expectedIn(range).length) {
    if (ownSucceeded) rt.cache.checked(range.from, own, scheduledMs);
    else rt.cache.unverify();
    return written;
  }
  rt.cache.unverify();
  const missed = await markMissedRunning(rt, ledger, range, options.triggerId, ctx);
  if (missed.length === 0) return written;
  const caughtUp = await writeComputed(
    rt,
    res,
    missed.map((window) => ({ window, reason: 'catch-up' as const })),
    await computeSafely(rt, res, missed, options),
    options,
  );
  return {
    outcomes: [...written.outcomes, ...caughtUp.outcomes],
    malformed: mergeMalformed(written.malformed, caughtUp.malformed),
  };
}

/**
 * Every other trigger: the own windows are marked `running` (an attempt each) while their query
 * runs, together with the missed windows the ledger knows of; then all are written.
 */
async function markFirst(
  rt: JobRuntime,
  res: Resources,
  own: readonly Planned[],
  options: RunOptions,
  ctx: RunContext,
): Promise<Ran> {
  const ownWindows = own.map((p) => p.window);
  // The trigger's own windows are computed whatever the ledger says, so their query starts now and
  // runs while the ledger is asked for missed windows and marks everything running.
  const ownComputed = computeSafely(rt, res, ownWindows, options);
  let catchUp: Window[] = [];
  try {
    const { ledger } = res.store;
    if (ledger) catchUp = await markRunningAndFindMissed(rt, ledger, ownWindows, options.triggerId, ctx);
  } catch (error) {
    await ownComputed;
    throw error;
  }
  const planned: Planned[] = [...own, ...catchUp.map((window) => ({ window, reason: 'catch-up' as const }))];
  const computed = catchUp.length
    ? mergeComputed(rt.query, [await ownComputed, await computeSafely(rt, res, catchUp, options)])
    : await ownComputed;
  return writeComputed(rt, res, planned, computed, options);
}

function logRun(logger: Logger, result: RunResult): void {
  const failed = result.windows.filter((w) => w.status === 'failed');
  const fields = {
    job: result.job,
    scheduledTime: result.trigger.scheduledTime,
    window: result.window.key,
    windows: result.windows.length,
    failed: failed.length,
    malformed: result.malformed,
    durationMs: Math.round(result.durationMs),
  };
  if (failed.length)
    logger.error('windowed run had failures', {
      ...fields,
      errors: failed.map((f) => `${f.window.key}: ${f.error?.message}`),
    });
  else logger.info('windowed run succeeded', fields);
  if (result.malformed)
    logger.warn('malformed log lines were skipped', {
      job: result.job,
      malformed: result.malformed,
      why: describeMalformed(result.malformedReasons),
    });
}
