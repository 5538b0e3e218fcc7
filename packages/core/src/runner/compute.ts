import {
  asWindowedError,
  type Computed,
  type ComputeResult,
  computeWindows,
  type MalformedTally,
  mergeMalformed,
  noMalformed,
} from '../compute.js';
import { WindowedError } from '../errors.js';
import { columnsOfQuery, columnsOfRows } from '../query/normalize.js';
import type { DeclarativeQuery, QueryFn } from '../query/types.js';
import type { Resources } from '../resources.js';
import type { MalformedSummary } from '../types.js';
import type { Window } from '../window/types.js';
import type { JobRuntime, RunOptions } from './runtime.js';

/** Rows for the windows; never rejects: a failure belongs to the windows it concerns. */
export async function computeSafely(
  rt: JobRuntime,
  res: Resources,
  windows: readonly Window[],
  options: RunOptions,
): Promise<ComputeResult> {
  try {
    return await computeWindows(rt.query, res.source, windows, {
      signal: options.signal,
      deadline: options.deadline,
      logger: options.logger,
      batch: options.batch ?? true,
    });
  } catch (error) {
    return failedComputation(windows, error, options);
  }
}

/** Every window failed with `error`. */
export function failedComputation(
  windows: readonly Window[],
  error: unknown,
  options: RunOptions,
): ComputeResult {
  return {
    byWindow: new Map(windows.map((w) => [w.key, { ok: false, error: asWindowedError(error, w, options) }])),
    malformed: noMalformed(),
    columns: { dimensions: [], metrics: [] },
  };
}

/** Windows a stopped backfill computed but did not write: recorded as not done, so a rerun resumes there. */
export function stopped(windows: readonly Window[], options: RunOptions): ComputeResult {
  return failedComputation(
    windows,
    new WindowedError(
      'ABORTED',
      'The backfill was stopped before this window was written; run it again to resume.',
    ),
    options,
  );
}

/** Two computations of disjoint windows as one; a functional query's columns come from all rows, in order. */
export function mergeComputed(
  query: DeclarativeQuery | QueryFn,
  parts: readonly ComputeResult[],
): ComputeResult {
  const byWindow = new Map<string, Computed>();
  for (const part of parts) for (const [key, value] of part.byWindow) byWindow.set(key, value);
  const malformed = parts.map((p) => p.malformed).reduce(mergeMalformed, noMalformed());
  if (typeof query !== 'function') return { byWindow, malformed, columns: columnsOfQuery(query) };
  return {
    byWindow,
    malformed,
    columns: columnsOfRows([...byWindow.values()].flatMap((c) => (c.ok ? c.rows : []))),
  };
}

/** A run's malformed lines as its result reports them. */
export function malformedSummary(tally: MalformedTally): MalformedSummary {
  return { malformed: tally.lines, malformedReasons: tally.reasons, unplaced: tally.unplaced };
}
