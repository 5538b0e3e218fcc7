import { WindowedError } from '../errors.js';
import { mod } from '../time/mod.js';
import { minuteGrid } from './minute-grid.js';
import { nominalSizeMs } from './spec.js';
import type { WindowSize, WindowSpec } from './types.js';
import { isValidTimeZone, UTC_NAMES, zoneOffsetFunction } from './zone.js';

// Window arithmetic works on epoch milliseconds. A zone's "reading" of an instant `u` is `u + offset(u)`:
// the local wall clock written as if it were UTC, so calendar labels (local midnight, the 1st, ...) are
// plain numbers and `label - offset` is the instant showing that label.

const HOUR = 3_600_000;
const DAY = 86_400_000;
// Assumption: no zone changes its offset twice within 12 hours (true of the tz database since 1970), so
// equal offsets at both ends of a span of at most 12 hours mean the offset did not change in between.
/** Offset probes are this far apart when looking for the next change. */
const PROBE_MS = 6 * HOUR;
/** Longer than any forward clock jump (Pacific/Apia skipped a whole day in 2011): no window is longer than its step plus this. */
const LOOKBACK_MS = 26 * HOUR;

/** The boundary instants of one window size in one zone. */
export interface Boundaries {
  /** The latest boundary `<= ms`. */
  floor(ms: number): number;
  /** The first boundary `> ms`. */
  next(ms: number): number;
  /** Visits the boundaries in `(after, until]` in order while `visit` returns true. */
  each(after: number, until: number, visit: (boundary: number) => boolean): void;
}

type OffsetOf = (ms: number) => number;

const cache = new Map<string, Boundaries>();

export function boundariesFor(spec: WindowSpec): Boundaries {
  const key = `${spec.size.label}@${spec.timeZone}`;
  let boundaries = cache.get(key);
  if (!boundaries) {
    boundaries = createBoundaries(spec.size, spec.timeZone);
    cache.set(key, boundaries);
  }
  return boundaries;
}

function createBoundaries(size: WindowSize, timeZone: string): Boundaries {
  if (size.unit === 'minute' && size.amount === 1) {
    assertTimeZone(timeZone);
    // Asks the zone's offsets (and so builds ICU's first formatter) only for instants before 1972.
    return minuteGrid(() => clockBoundaries(nominalSizeMs(size), offsetFunction(timeZone)));
  }
  const offset = offsetFunction(timeZone);
  switch (size.unit) {
    case 'minute':
    case 'hour':
      return clockBoundaries(nominalSizeMs(size), offset);
    case 'day':
      return calendarBoundaries(DAYS, offset);
    case 'week':
      return calendarBoundaries(WEEKS, offset);
    case 'month':
      return calendarBoundaries(MONTHS, offset);
  }
}

/** Offsets are remembered per quarter hour (UTC) in which they do not change. */
const BUCKET_MS = 15 * 60_000;
/** A quarter hour's worth of remembered offsets per zone is ~10 years; then the memo starts over. */
const MAX_BUCKETS = 350_000;

/** Milliseconds to add to an instant to get its local reading in `timeZone`. */
function offsetFunction(timeZone: string): OffsetOf {
  if (UTC_NAMES.test(timeZone)) return () => 0;
  const exact = zoneOffsetFunction(timeZone);
  if (!exact) throw invalidTimeZone(timeZone);
  // Each lookup formats the instant with Intl (the dominant cost of deriving a window). A quarter hour
  // whose first and last millisecond have the same offset has it throughout (the 12-hour assumption
  // above), so it is remembered; one holding a change is always asked exactly.
  const memo = new Map<number, number>();
  return (ms) => {
    const bucket = Math.floor(ms / BUCKET_MS);
    const known = memo.get(bucket);
    if (known !== undefined) return known;
    const first = bucket * BUCKET_MS;
    const offset = exact(first);
    if (exact(first + BUCKET_MS - 1) !== offset) return exact(ms);
    if (memo.size >= MAX_BUCKETS) memo.clear();
    memo.set(bucket, offset);
    return offset;
  };
}

function assertTimeZone(timeZone: string): void {
  if (!isValidTimeZone(timeZone)) throw invalidTimeZone(timeZone);
}

function invalidTimeZone(timeZone: string): WindowedError {
  return new WindowedError('INVALID_ARGUMENT', `timeZone: "${timeZone}" is not a valid IANA time zone`);
}

// ---- Minutes and hours: every instant whose reading is a multiple of `step` after local midnight. ----
// Across a backward jump a reading repeats, and so does the boundary (two distinct 01:00 windows). A
// forward jump that skips a boundary reading makes the first instant after the jump the boundary.

function clockBoundaries(step: number, offset: OffsetOf): Boundaries {
  const each: Boundaries['each'] = (after, until, visit) => walkClock(after, until, step, offset, visit);
  return {
    floor(ms) {
      const o = offset(ms);
      const start = ms + o - mod(ms + o, step) - o;
      if (offset(start) === o) return start; // no offset change since `start`: plain arithmetic holds
      let last = Number.NaN;
      each(ms - step - LOOKBACK_MS, ms, (boundary) => {
        last = boundary;
        return true;
      });
      return last;
    },
    next(ms) {
      const o = offset(ms);
      const end = ms + o - mod(ms + o, step) + step - o;
      if (offset(end) === o) return end; // no offset change before `end`: plain arithmetic holds
      let first = Number.NaN;
      each(ms, ms + step + LOOKBACK_MS, (boundary) => {
        first = boundary;
        return false;
      });
      return first;
    },
    each,
  };
}

/** Walks constant-offset stretches: inside one, boundaries are arithmetic; at each change, apply the jump rules. */
function walkClock(
  after: number,
  until: number,
  step: number,
  offset: OffsetOf,
  visit: (boundary: number) => boolean,
): void {
  let cur = after;
  let o = offset(cur);
  let label = cur + o - mod(cur + o, step) + step;
  while (cur < until) {
    const change = nextOffsetChange(cur, until, o, offset);
    const last = change === undefined ? until : change - 1;
    for (; label - o <= last; label += step) if (!visit(label - o)) return;
    if (change === undefined) return;
    const newOffset = offset(change);
    const reading = change + newOffset;
    // Forward jump: `label` (the next unvisited one) was skipped or landed on. Backward: the reading repeats.
    const isBoundary = newOffset > o ? label <= reading : mod(reading, step) === 0;
    if (isBoundary && !visit(change)) return;
    cur = change;
    o = newOffset;
    label = reading - mod(reading, step) + step;
  }
}

/** The first instant in `(from, until]` whose offset is not `o`, if any. */
function nextOffsetChange(from: number, until: number, o: number, offset: OffsetOf): number | undefined {
  for (let lo = from; lo < until; ) {
    const hi = Math.min(lo + PROBE_MS, until);
    if (offset(hi) !== o) return firstOffsetChange(lo, hi, o, offset);
    lo = hi;
  }
  return undefined;
}

/** Binary search for the first instant in `(lo, hi]` whose offset is not `o`, given `offset(hi) !== o`. */
function firstOffsetChange(lo: number, hi: number, o: number, offset: OffsetOf): number {
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offset(mid) === o) lo = mid;
    else hi = mid;
  }
  return hi;
}

// ---- Days, weeks, months: the first instant of the local day that starts the period. ----

interface Calendar {
  /** The label (local midnight reading) of the period containing `reading`. */
  floor(reading: number): number;
  next(label: number): number;
  prev(label: number): number;
}

const DAYS: Calendar = {
  floor: (reading) => reading - mod(reading, DAY),
  next: (label) => label + DAY,
  prev: (label) => label - DAY,
};

const WEEKS: Calendar = {
  // Day 0 of the epoch, 1970-01-01, was a Thursday: three days after a Monday.
  floor: (reading) => {
    const day = Math.floor(reading / DAY);
    return (day - mod(day + 3, 7)) * DAY;
  },
  next: (label) => label + 7 * DAY,
  prev: (label) => label - 7 * DAY,
};

const MONTHS: Calendar = {
  floor: (reading) => addMonths(reading, 0),
  next: (label) => addMonths(label, 1),
  prev: (label) => addMonths(label, -1),
};

function addMonths(reading: number, months: number): number {
  const date = new Date(reading);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1);
}

function calendarBoundaries(calendar: Calendar, offset: OffsetOf): Boundaries {
  const startOf = (label: number) => firstInstantReading(label, offset);
  /** The period containing `ms` as `[label, start]`. */
  const periodOf = (ms: number): [number, number] => {
    let label = calendar.floor(ms + offset(ms));
    let start = startOf(label);
    while (start > ms) {
      label = calendar.prev(label);
      start = startOf(label);
    }
    for (;;) {
      const nextStart = startOf(calendar.next(label));
      if (nextStart > ms) return [label, start];
      label = calendar.next(label);
      start = nextStart;
    }
  };
  return {
    floor: (ms) => periodOf(ms)[1],
    next: (ms) => startOf(calendar.next(periodOf(ms)[0])),
    each(after, until, visit) {
      let [label] = periodOf(after);
      let last = after;
      for (;;) {
        label = calendar.next(label);
        const start = startOf(label);
        if (start > until) return;
        // A skipped local day (Pacific/Apia, 2011-12-30) starts where the next day starts: one boundary.
        if (start > last && !visit(start)) return;
        last = Math.max(last, start);
      }
    },
  };
}

/** The first instant whose reading is `reading`, or, if the clock jumps over it, the first instant after the jump. */
function firstInstantReading(reading: number, offset: OffsetOf): number {
  // Offsets lie within [-12h, +14h], so the candidates lie within [reading - 14h, reading + 12h].
  const before = offset(reading - 15 * HOUR);
  const after = offset(reading + 13 * HOUR);
  if (before === after) return reading - before;
  const early = reading - Math.max(before, after);
  const late = reading - Math.min(before, after);
  if (offset(early) === reading - early) return early;
  if (offset(late) === reading - late) return late;
  return firstOffsetChange(early, late, offset(early), offset);
}
