import { WindowedError } from '../errors.js';
import type { JobSummary, StatusOptions, SummaryRange, WindowRecord } from '../ledger/state.js';
import { entryState } from '../ledger/summary.js';
import { LEDGER_TABLE } from '../ledger/table.js';
import { isWindowBoundary, windowAfter, windowContaining, windowsInRange } from '../window/derive.js';
import { nominalSizeMs } from '../window/spec.js';
import type { WindowSpec } from '../window/types.js';
import type { JobRuntime } from './runtime.js';

const DEFAULT_MAX_RANGES = 10_000;
/** Most windows `windows()` answers one by one: beyond that, `status()` summarizes. */
export const MAX_LISTED_WINDOWS = 100_000;

/**
 * What the ledger knows, summarized in the database: counts and ranges of succeeded, stale, failed
 * and running windows, and the missing ones between them — from the job's `start` (else its first
 * recorded window) to its last recorded window. Reads only: creates nothing.
 */
export async function jobStatus(rt: JobRuntime, options: StatusOptions = {}): Promise<JobSummary> {
  const res = await rt.resources();
  const ledger = res.store.ledger;
  const empty: JobSummary = {
    job: rt.name,
    sink: res.sinkIdentity,
    ledger: false,
    start: rt.start ?? null,
    from: null,
    to: null,
    counts: { succeeded: 0, failed: 0, running: 0, missing: 0, stale: 0 },
    ranges: [],
    truncated: false,
    lastSucceeded: null,
    fingerprint: res.fingerprint,
  };
  if (!ledger)
    return {
      ...empty,
      note: `No run ledger: the sink ${res.sink.describe()} keeps none and no state URL is set.`,
    };
  const from = latest(options.from && firstBoundary(options.from, rt.windowSpec), rt.start);
  const now = new Date();
  const summary = await ledger.summarize(rt.name, {
    from,
    to: options.to,
    fingerprint: res.fingerprint,
    now,
    staleBefore: new Date(now.getTime() - rt.catchUp.staleAfterMs),
    maxRanges: options.maxRanges ?? DEFAULT_MAX_RANGES,
    sizeMs: fixedSizeMs(rt.windowSpec),
  });
  if (!summary.ledger)
    return {
      ...empty,
      note: `No ledger yet: ${ledger.describe()} has no ${LEDGER_TABLE} table (nothing has run against this database).`,
    };
  const spanFrom = from ?? summary.first;
  const spanTo = summary.last;
  const { counts } = summary;
  let ranges = summary.ranges;
  if (spanFrom && spanTo && spanFrom < spanTo) {
    const recorded = Object.values(counts).reduce((a, b) => a + b, 0);
    counts.missing = Math.max(0, countWindows(spanFrom, spanTo, rt.windowSpec) - recorded);
    ranges = withMissing(ranges, spanFrom, rt.windowSpec);
  }
  return {
    ...empty,
    ledger: true,
    from: spanFrom,
    to: spanTo,
    counts,
    ranges,
    truncated: summary.truncated,
    lastSucceeded: summary.lastSucceeded,
  };
}

/**
 * Every window starting in `[from, to)` (never before the job's `start`) with its state, oldest
 * first: recorded ones as the ledger has them, the others `missing`. For a bounded range (at most
 * {@link MAX_LISTED_WINDOWS} windows): `show`, a dashboard's zoomed view.
 */
export async function jobWindows(rt: JobRuntime, range: { from: Date; to: Date }): Promise<WindowRecord[]> {
  const from = latest(range.from, rt.start) ?? range.from;
  if (range.to <= from) return [];
  const expected = countWindows(from, range.to, rt.windowSpec);
  if (expected > MAX_LISTED_WINDOWS)
    throw new WindowedError(
      'INVALID_ARGUMENT',
      `windows: ${from.toISOString()} to ${range.to.toISOString()} holds about ${expected} ${rt.windowSpec.size.label} windows, more than ${MAX_LISTED_WINDOWS} listed one by one; ask for a shorter range, or use status() for counts and ranges.`,
    );
  const res = await rt.resources();
  const entries = (await res.store.ledger?.rows(rt.name, { from, to: range.to })) ?? [];
  const byStart = new Map(entries.map((e) => [e.windowStart.getTime(), e]));
  const now = new Date();
  const query = {
    fingerprint: res.fingerprint,
    now,
    staleBefore: new Date(now.getTime() - rt.catchUp.staleAfterMs),
  };
  return windowsInRange(from, range.to, rt.windowSpec).map((w): WindowRecord => {
    const e = byStart.get(w.start.getTime());
    return {
      start: w.start,
      end: w.end,
      key: w.key,
      state: e ? entryState(e, query) : 'missing',
      attempts: e?.attempts ?? 0,
      lastError: e?.lastError ?? null,
      failedAt: e?.failedAt ?? null,
      triggerId: e?.triggerId ?? null,
      updatedAt: e?.updatedAt ?? null,
      expiresAt: e?.expiresAt ?? null,
      fingerprint: e?.fingerprint ?? null,
    };
  });
}

/** The ranges with the `missing` ranges between them (and before the first, from `from`). */
function withMissing(ranges: readonly SummaryRange[], from: Date, spec: WindowSpec): SummaryRange[] {
  const out: SummaryRange[] = [];
  let cursor = from;
  for (const r of ranges) {
    if (r.from > cursor)
      out.push({ state: 'missing', from: cursor, to: r.from, windows: countWindows(cursor, r.from, spec) });
    out.push(r);
    if (r.to > cursor) cursor = r.to;
  }
  return out;
}

/** Windows starting in `[from, to)`: by division for minutes and hours (fixed lengths), else listed. */
export function countWindows(from: Date, to: Date, spec: WindowSpec): number {
  if (to <= from) return 0;
  if (spec.size.unit === 'minute' || spec.size.unit === 'hour')
    return Math.ceil((to.getTime() - from.getTime()) / nominalSizeMs(spec.size));
  return windowsInRange(from, to, spec).length;
}

/** Minutes and hours have one length: their windows sit on one grid. */
function fixedSizeMs(spec: WindowSpec): number | undefined {
  const { unit } = spec.size;
  return unit === 'minute' || unit === 'hour' ? nominalSizeMs(spec.size) : undefined;
}

/** The first window start at or after `instant`: the first window a range from it holds. */
function firstBoundary(instant: Date, spec: WindowSpec): Date {
  return isWindowBoundary(instant, spec) ? instant : windowAfter(windowContaining(instant, spec), spec).start;
}

function latest(a: Date | undefined, b: Date | undefined): Date | undefined {
  if (!a) return b;
  if (!b) return a;
  return a > b ? a : b;
}
