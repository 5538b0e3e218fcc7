import {
  isWindowedError,
  type LedgerEntry,
  nominalSizeMs,
  type StoredRow,
  type Window,
  type WindowedJob,
  windowsInRange,
} from '@windowed/core';
import type { WindowState } from '@windowed/dashboard/contract';

/**
 * Everything the dashboard reads from the job goes through this module, so that it can move to the
 * ledger's summary methods (`job.status()` with ranges, `job.windows({ from, to })`) in one place:
 * the rest of the dashboard sees state runs (`readStateRuns`), one window (`readWindow`) and the
 * sink's rows (`readRows`). Today each window's state is inferred from `job.status()` (failed,
 * running, gaps up to the last success) and the sink's rows (`job.results()`, whose `computedAt`
 * tells a late recompute), window by window.
 */

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
  /** End of the latest window the ledger recorded (succeeded, failed or running). */
  latestEnd: Date | null;
  lastSucceeded: Date | null;
  failed: number;
  running: number;
  /** Windows before the last success that never ran. */
  missing: number;
}

export async function readOverview(job: WindowedJob): Promise<LedgerOverview> {
  const status = await job.status();
  let latestEnd = status.lastSucceeded?.windowEnd.getTime() ?? Number.NEGATIVE_INFINITY;
  for (const e of [...status.failed, ...status.running])
    latestEnd = Math.max(latestEnd, e.windowEnd.getTime());
  const recorded = new Set([...status.failed, ...status.running].map((e) => e.windowStart.getTime()));
  return {
    ledger: status.ledger,
    latestEnd: Number.isFinite(latestEnd) ? new Date(latestEnd) : null,
    lastSucceeded: status.lastSucceeded?.windowStart ?? null,
    failed: status.failed.length,
    running: status.running.length,
    missing: status.gaps.filter((w) => !recorded.has(w.start.getTime())).length,
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
  const runs: StateRun[] = [];
  let open: StateRun | undefined;
  for (const w of await inferWindows(job, from, to)) {
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

/** One window as the ledger and the sink know it. */
export async function readWindow(job: WindowedJob, window: Window): Promise<WindowRecord> {
  const [record] = await inferWindows(job, window.start, window.end);
  return record!;
}

/** Every window in `[from, to)` with its state, oldest first (at most 1,000,000: core refuses more). */
async function inferWindows(job: WindowedJob, from: Date, to: Date): Promise<WindowRecord[]> {
  const status = await job.status({ from, to });
  const rows = await readRows(job, from, to);
  const computed = new Map<number, Date>();
  for (const r of rows) if (r.computedAt) computed.set(r.windowStart.getTime(), r.computedAt);
  const entries = new Map<number, LedgerEntry>();
  for (const e of [...status.failed, ...status.running]) entries.set(e.windowStart.getTime(), e);
  const gaps = new Set(status.gaps.map((w) => w.start.getTime()));
  // Spread arguments would overflow the stack over a year of windows: plain loops.
  let firstKnown = status.gaps[0]?.start.getTime() ?? Number.POSITIVE_INFINITY;
  for (const start of [...entries.keys(), ...computed.keys()]) if (start < firstKnown) firstKnown = start;
  const lastSucceededEnd = status.lastSucceeded?.windowEnd.getTime() ?? Number.NEGATIVE_INFINITY;
  let latestEnd = lastSucceededEnd;
  for (const e of entries.values()) latestEnd = Math.max(latestEnd, e.windowEnd.getTime());
  // Computed more than a window after it was due: caught up, backfilled or recomputed for late data.
  const lateAfterMs =
    job.windowSpec.delayMs + job.windowSpec.toleranceMs + nominalSizeMs(job.windowSpec.size);
  return windowsInRange(from, to, job.windowSpec).map((w) => {
    const start = w.start.getTime();
    const entry = entries.get(start);
    const computedAt = computed.get(start) ?? null;
    let state: WindowState;
    if (entry) state = entry.status === 'running' ? 'running' : 'failed';
    else if (gaps.has(start)) state = 'missing';
    else if (start < firstKnown || start >= latestEnd) state = 'none';
    else if (w.end.getTime() <= lastSucceededEnd)
      state = computedAt && computedAt.getTime() - w.end.getTime() > lateAfterMs ? 'late' : 'succeeded';
    else state = 'missing';
    return {
      start: w.start,
      end: w.end,
      state,
      attempts: entry?.attempts ?? null,
      lastError: entry?.lastError ?? null,
      updatedAt: entry?.updatedAt ?? null,
      computedAt,
    };
  });
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
