import { isExpired } from '../ledger/summary.js';
import type { Ledger } from '../ledger/types.js';
import type { RunContext } from '../types.js';
import type { Window } from '../window/types.js';
import type { CatchUpRange } from './catch-up-cache.js';
import type { JobRuntime } from './runtime.js';
import { markRunningAndCount } from './store.js';

/** What catch-up can see before a trigger's windows. */
export interface CatchUpView {
  /** Where it looks; `undefined` when there is nothing before the windows to look at. */
  range: CatchUpRange | undefined;
  /**
   * The job has neither a `start` nor a recorded window (catch-up enabled): nothing the next run
   * could look back to. A window this run leaves unrecorded would never be caught up.
   */
  unanchored: boolean;
}

/**
 * Where catch-up looks before `before`: the lookback, never before the job's `start` — or, without
 * one, before its first recorded window (windows before it were never meant to run).
 */
export async function catchUpRange(rt: JobRuntime, ledger: Ledger, before: Window): Promise<CatchUpView> {
  if (rt.catchUp.maxWindows === 0) return { range: undefined, unanchored: false };
  const first = rt.start ?? (await rt.cache.firstWindowStart(() => ledger.firstWindowStart(rt.name)));
  if (!first) return { range: undefined, unanchored: true };
  const from = new Date(Math.max(first.getTime(), before.start.getTime() - rt.catchUp.lookbackMs));
  return { range: from >= before.start ? undefined : { from, to: before.start }, unanchored: false };
}

/**
 * The catch-up range before a lone scheduled window that is recorded only with its outcome — and,
 * for a job with nothing recorded yet (its first run), the window marked running first (`marked`:
 * its attempt is counted): catch-up never looks before the first recorded window, so a first run
 * that died having recorded nothing would leave its window missing with nothing to say so.
 */
export async function rangeOfLoneWindow(
  rt: JobRuntime,
  ledger: Ledger,
  own: Window,
  triggerId: string | undefined,
  ctx: RunContext,
): Promise<{ range: CatchUpRange | undefined; marked: boolean }> {
  const { range, unanchored } = await catchUpRange(rt, ledger, own);
  if (!unanchored) return { range, marked: false };
  await ledger.markRunning(rt.name, [own], triggerId, new Date(), { expiresAt: runningExpiry(rt, ctx) });
  return { range, marked: true };
}

/**
 * The range's windows that never succeeded — failed, never recorded, or `running` past the expiry
 * its invocation recorded (rows without one: written longer ago than a function can run) — oldest
 * first, at most `maxWindows`.
 */
export async function findMissed(
  rt: JobRuntime,
  ledger: Ledger,
  range: CatchUpRange,
  ctx: RunContext,
): Promise<Window[]> {
  const entries = new Map(
    (await ledger.entries(rt.name, { from: range.from, to: range.to })).map((e) => [
      e.windowStart.getTime(),
      e,
    ]),
  );
  const now = new Date();
  const staleBefore = new Date(now.getTime() - (ctx.functionTimeoutMs ?? rt.catchUp.staleAfterMs));
  return rt.cache
    .expectedIn(range)
    .filter((w) => {
      const entry = entries.get(w.start.getTime());
      if (!entry) return true;
      if (entry.status === 'succeeded') return false;
      return entry.status === 'failed' || isExpired(entry, { now, staleBefore });
    })
    .slice(0, rt.catchUp.maxWindows);
}

/**
 * Marks the trigger's own windows running and returns the missed windows before them, marked
 * running too. When nothing is missing this is one statement that also marks the windows running
 * (one round trip where the ledger can).
 */
export async function markRunningAndFindMissed(
  rt: JobRuntime,
  ledger: Ledger,
  own: readonly Window[],
  triggerId: string | undefined,
  ctx: RunContext,
): Promise<Window[]> {
  const { range } = await catchUpRange(
    rt,
    ledger,
    own.reduce((a, b) => (b.start < a.start ? b : a)),
  );
  const expiry = { expiresAt: runningExpiry(rt, ctx) };
  if (!range) {
    await ledger.markRunning(rt.name, own, triggerId, new Date(), expiry);
    return [];
  }
  const succeeded = await markRunningAndCount(ledger, rt.name, own, triggerId, range, expiry);
  if (succeeded >= rt.cache.expectedIn(range).length) return [];
  return markMissedRunning(rt, ledger, range, triggerId, ctx);
}

/** The range's missed windows (see {@link findMissed}), marked running. */
export async function markMissedRunning(
  rt: JobRuntime,
  ledger: Ledger,
  range: CatchUpRange,
  triggerId: string | undefined,
  ctx: RunContext,
): Promise<Window[]> {
  const missed = await findMissed(rt, ledger, range, ctx);
  if (missed.length > 0)
    await ledger.markRunning(rt.name, missed, triggerId, new Date(), { expiresAt: runningExpiry(rt, ctx) });
  return missed;
}

/**
 * Until when the invocation marking windows `running` can live: its deadline, else (a backfill, a
 * run without one) the function timeout or `catchUp.staleAfter` from now. Past it, catch-up re-runs
 * the window.
 */
export function runningExpiry(rt: JobRuntime, ctx: Pick<RunContext, 'deadline' | 'functionTimeoutMs'>): Date {
  if (ctx.deadline !== undefined) return new Date(ctx.deadline);
  return new Date(Date.now() + (ctx.functionTimeoutMs ?? rt.catchUp.staleAfterMs));
}
