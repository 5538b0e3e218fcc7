import {
  isWindowedError,
  type WindowRecord as LedgerWindow,
  nominalSizeMs,
  type StoredRow,
  type Window,
  type WindowedJob,
  windowContaining,
  windowsInRange,
} from '@windowed/core';
import type { WindowState } from '@windowed/dashboard/contract';

/**
 * Everything the dashboard reads from the job goes through this module: the ledger's summary
 * (`job.status()`: counts and ranges by state, computed in the database), its windows one by one for
 * a bounded range (`job.windows()`), and the sink's rows (`job.results()`).
 */

/** Most windows read one by one (core's `job.windows()` limit); a longer range is read as ranges. */
const LISTED_WINDOWS = 100_000;
/** Failed runs of a long range whose error is looked up (the list shows the first of them). */
const ERRORS_LOOKED_UP = 50;

export interface WindowRecord {
  start: Date;
  end: Date;
  state: WindowState;
  attempts: number | null;
  lastError: string | null;
  updatedAt: Date | null;
  computedAt: Date | null;
}

export interface LedgerOverview {
  ledger: boolean;
  /** End of the latest window the ledger recorded. */
  latestEnd: Date | null;
  lastSucceeded: Date | null;
  failed: number;
  running: number;
  /** Windows inside the recorded span that never ran. */
  missing: number;
}

export async function readOverview(job: WindowedJob): Promise<LedgerOverview> {
  const s = await job.status({ maxRanges: 1 });
  return {
    ledger: s.ledger,
    latestEnd: s.to,
    lastSucceeded: s.lastSucceeded?.start ?? null,
    failed: s.counts.failed,
    running: s.counts.running,
    missing: s.counts.missing,
  };
}

/** Consecutive windows of one state (and, for failed ones, one error). */
export interface StateRun {
  state: WindowState;
  start: Date;
  end: Date;
  windows: number;
  /** The most attempts of a window in the run, where the ledger counts them. */
  attempts: number | null;
  lastError: string | null;
}

/** The windows of `[from, to)` as runs of one state, oldest first. */
export async function readStateRuns(job: WindowedJob, from: Date, to: Date): Promise<StateRun[]> {
  const span = await recordedSpan(job);
  if ((to.getTime() - from.getTime()) / nominalSizeMs(job.windowSpec.size) <= LISTED_WINDOWS)
    return coalesce((await job.windows({ from, to })).map((w) => toRecord(job, w, span)));
  const summary = await job.status({ from, to, maxRanges: 1_000_000 });
  const runs: StateRun[] = [];
  const none = (start: Date, end: Date) => {
    if (start < end)
      runs.push({
        state: 'none',
        start,
        end,
        windows: countIn(job, start, end),
        attempts: null,
        lastError: null,
      });
  };
  let cursor = from;
  for (const r of summary.ranges) {
    const start = r.from < from ? from : r.from;
    const end = r.to > to ? to : r.to;
    if (start >= end) continue;
    none(cursor, start);
    const windows = start === r.from && end === r.to ? r.windows : countIn(job, start, end);
    runs.push({ state: r.state, start, end, windows, attempts: null, lastError: null });
    cursor = end;
  }
  none(cursor, to);
  // A summary has no errors: the first failed runs get their first window's, as the list shows them.
  for (const run of runs.filter((r) => r.state === 'failed').slice(0, ERRORS_LOOKED_UP)) {
    const first = windowContaining(run.start, job.windowSpec);
    const [w] = await job.windows({ from: first.start, to: first.end });
    run.attempts = w?.attempts ?? null;
    run.lastError = w?.lastError ?? null;
  }
  return runs;
}

/** One window as the ledger knows it. */
export async function readWindow(job: WindowedJob, window: Window): Promise<WindowRecord> {
  const [w] = await job.windows({ from: window.start, to: window.end });
  return w
    ? toRecord(job, w, await recordedSpan(job))
    : { ...window, state: 'none', attempts: null, lastError: null, updatedAt: null, computedAt: null };
}

/** The sink's rows for windows starting in `[from, to)`; none when the sink keeps no rows to read. */
export async function readRows(job: WindowedJob, from: Date, to: Date): Promise<StoredRow[]> {
  try {
    return await job.results({ from, to });
  } catch (error) {
    if (isWindowedError(error, 'INVALID_CONFIG')) return [];
    throw error;
  }
}

interface Span {
  from: number;
  to: number;
}

/** From the job's `start` (else its first recorded window) to its last recorded window's end. */
async function recordedSpan(job: WindowedJob): Promise<Span> {
  const s = await job.status({ maxRanges: 1 });
  return {
    from: s.from?.getTime() ?? Number.POSITIVE_INFINITY,
    to: s.to?.getTime() ?? Number.NEGATIVE_INFINITY,
  };
}

function toRecord(job: WindowedJob, w: LedgerWindow, span: Span): WindowRecord {
  const recorded = w.updatedAt !== null;
  let state: WindowState = w.state;
  // `job.windows()` calls every unrecorded window missing; outside the recorded span none is due yet.
  if (!recorded && (w.start.getTime() < span.from || w.start.getTime() >= span.to)) state = 'none';
  // Computed more than a window after it was due: caught up, backfilled or re-run.
  const { delayMs, toleranceMs, size } = job.windowSpec;
  if (
    state === 'succeeded' &&
    w.updatedAt!.getTime() - w.end.getTime() > delayMs + toleranceMs + nominalSizeMs(size)
  )
    state = 'late';
  return {
    start: w.start,
    end: w.end,
    state,
    attempts: recorded ? w.attempts : null,
    lastError: w.lastError,
    updatedAt: w.updatedAt,
    computedAt: w.state === 'succeeded' || w.state === 'stale' ? w.updatedAt : null,
  };
}

function coalesce(records: readonly WindowRecord[]): StateRun[] {
  const runs: StateRun[] = [];
  let open: StateRun | undefined;
  for (const w of records) {
    if (
      open &&
      open.state === w.state &&
      open.lastError === w.lastError &&
      open.end.getTime() === w.start.getTime()
    ) {
      open.end = w.end;
      open.windows++;
      if (w.attempts !== null) open.attempts = Math.max(open.attempts ?? 0, w.attempts);
      continue;
    }
    open = {
      state: w.state,
      start: w.start,
      end: w.end,
      windows: 1,
      attempts: w.attempts,
      lastError: w.lastError,
    };
    runs.push(open);
  }
  return runs;
}

function countIn(job: WindowedJob, from: Date, to: Date): number {
  const { size } = job.windowSpec;
  if (size.unit === 'minute' || size.unit === 'hour')
    return Math.ceil((to.getTime() - from.getTime()) / nominalSizeMs(size));
  return windowsInRange(from, to, job.windowSpec).length;
}
