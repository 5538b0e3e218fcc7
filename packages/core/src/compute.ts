import { WindowedError } from './errors.js';
import type { Logger } from './logger.js';
import { columnsOfQuery, columnsOfRows, normalizeRows } from './query/normalize.js';
import type { DeclarativeQuery, QueryFn, Row } from './query/types.js';
import type { ColumnSet } from './sinks/types.js';
import { addMalformed, MALFORMED_REASONS, type MalformedCounts } from './sources/malformed.js';
import type { MalformedReport, Source } from './sources/types.js';
import type { Window } from './window/types.js';

export type Computed = { ok: true; rows: Row[] } | { ok: false; error: WindowedError };

export interface ComputeResult {
  byWindow: Map<string, Computed>;
  malformed: MalformedTally;
  columns: ColumnSet;
}

/** Malformed input lines met while computing windows (file sources). */
export interface MalformedTally {
  /** Lines whose time falls in the computed windows. */
  lines: number;
  reasons: MalformedCounts;
  byWindow: Map<string, number>;
  /** Lines without a usable time in the files read (belonging to no window), by reason. */
  unplaced: MalformedCounts;
}

export function noMalformed(): MalformedTally {
  return { lines: 0, reasons: {}, byWindow: new Map(), unplaced: {} };
}

/**
 * Two tallies of disjoint windows as one. `unplaced` describes the files read, which both may have
 * read: the larger count of each reason is kept, not the sum.
 */
export function mergeMalformed(a: MalformedTally, b: MalformedTally): MalformedTally {
  const unplaced: MalformedCounts = { ...a.unplaced };
  for (const r of MALFORMED_REASONS) {
    const n = Math.max(a.unplaced[r] ?? 0, b.unplaced[r] ?? 0);
    if (n > 0) unplaced[r] = n;
  }
  return {
    lines: a.lines + b.lines,
    reasons: addMalformed({ ...a.reasons }, b.reasons),
    byWindow: new Map([...a.byWindow, ...b.byWindow]),
    unplaced,
  };
}

/** A source's report for `windows` as a tally; `byWindow` when the source gave one. */
function tallyOf(report: MalformedReport, byWindow?: Map<string, number>): MalformedTally {
  return {
    lines: report.malformed ?? 0,
    reasons: { ...(report.malformedReasons ?? {}) },
    byWindow: byWindow ?? new Map(),
    unplaced: { ...(report.unplaced ?? {}) },
  };
}

export interface ComputeOptions {
  signal: AbortSignal;
  deadline: number | undefined;
  logger: Logger;
  /** Answer all windows with one multi-window query when the source can. */
  batch: boolean;
}

/**
 * Rows for each window: one multi-window query when the source has one, else one query per window
 * in the given order. A failure belongs to the windows it concerns; the others still count.
 */
export async function computeWindows(
  query: DeclarativeQuery | QueryFn,
  source: Source | undefined,
  windows: readonly Window[],
  options: ComputeOptions,
): Promise<ComputeResult> {
  const byWindow = new Map<string, Computed>();
  let malformed = noMalformed();
  if (typeof query === 'function') {
    const all: Row[] = [];
    for (const window of windows) {
      const computed = await guard(window, options, async () =>
        toRows(await query({ window, source, signal: options.signal })),
      );
      byWindow.set(window.key, computed);
      if (computed.ok) all.push(...computed.rows);
    }
    return { byWindow, malformed, columns: columnsOfRows(all) };
  }
  const columns = columnsOfQuery(query);
  if (!source) throw new WindowedError('INVALID_CONFIG', 'A declarative query needs a source.');
  const sourceOptions = { signal: options.signal, deadline: options.deadline, logger: options.logger };
  if (options.batch && windows.length > 1 && source.queryMany) {
    const queryMany = source.queryMany.bind(source);
    try {
      const result = await raceAbort(queryMany(query, windows, sourceOptions), options.signal);
      malformed = tallyOf(result, result.malformedByWindow);
      for (const window of windows)
        byWindow.set(window.key, { ok: true, rows: normalizeRows(query, result.rows.get(window.key) ?? []) });
    } catch (error) {
      for (const window of windows)
        byWindow.set(window.key, { ok: false, error: asWindowedError(error, window, options) });
    }
    return { byWindow, malformed, columns };
  }
  for (const window of windows) {
    const computed = await guard(window, options, async () => {
      const result = await source.query(query, window, sourceOptions);
      const n = result.malformed ?? 0;
      malformed = mergeMalformed(malformed, tallyOf(result, n > 0 ? new Map([[window.key, n]]) : undefined));
      return normalizeRows(query, result.rows);
    });
    byWindow.set(window.key, computed);
  }
  return { byWindow, malformed, columns };
}

async function guard(window: Window, options: ComputeOptions, fn: () => Promise<Row[]>): Promise<Computed> {
  if (options.signal.aborted)
    return { ok: false, error: asWindowedError(options.signal.reason, window, options) };
  try {
    return { ok: true, rows: await raceAbort(fn(), options.signal) };
  } catch (error) {
    return { ok: false, error: asWindowedError(error, window, options) };
  }
}

/** Settles with the abort reason as soon as the signal fires, so a run can record its failure in time. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {}); // settled later or never; its outcome no longer matters
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Any failure as a WindowedError about `window`; an abort at the deadline is DEADLINE_EXCEEDED. */
export function asWindowedError(
  error: unknown,
  window: Window,
  options: { signal: AbortSignal },
): WindowedError {
  if (error instanceof WindowedError) {
    return error.window
      ? error
      : new WindowedError(error.code, error.message, { cause: error.cause ?? error, window });
  }
  if (
    options.signal.aborted &&
    (error === options.signal.reason || (error as Error)?.name === 'AbortError')
  ) {
    const reason = options.signal.reason;
    if (reason instanceof WindowedError)
      return new WindowedError(reason.code, reason.message, { cause: reason, window });
  }
  return new WindowedError(
    'SOURCE_FAILED',
    `Querying window ${window.key} failed: ${(error as Error)?.message ?? String(error)}`,
    {
      cause: error,
      window,
    },
  );
}

/** A functional query's rows: strings and numbers as they are, Dates as ISO text, the rest as JSON. */
function toRows(rows: unknown): Row[] {
  if (!Array.isArray(rows)) {
    throw new WindowedError(
      'INVALID_QUERY',
      `The query function must resolve to an array of rows; got ${typeof rows}.`,
    );
  }
  return rows.map((raw) => {
    const row: Row = {};
    for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
      if (value === null || value === undefined) row[key] = null;
      else if (typeof value === 'number' || typeof value === 'string') row[key] = value;
      else if (typeof value === 'bigint') row[key] = Number(value);
      else if (value instanceof Date) row[key] = value.toISOString();
      else row[key] = JSON.stringify(value);
    }
    return row;
  });
}
