import { WindowedError } from '../errors.js';
import { assertStorableSpan, parseInstant } from '../time/instant.js';
import { nominalSizeMs } from './spec.js';
import { makeWindow, type Window, type WindowSize, type WindowSpec } from './types.js';
import { UTC_NAMES, zoneOffsetFunction } from './zone.js';

// Window arithmetic works on epoch milliseconds. A zone's "reading" of an instant `u` is `u + offset(u)`:
// the local wall clock written as if it were UTC, so calendar labels (local midnight, the 1st, ...) are
// plain numbers and `label - offset` is the instant showing that label.

const HOUR = 3_600_000;
const DAY = 86_400_000;
const MAX_WINDOWS = 1_000_000;
// Assumption: no zone changes its offset twice within 12 hours (true of the tz database since 1970), so
// equal offsets at both ends of a span of at most 12 hours mean the offset did not change in between.
/** Offset probes are this far apart when looking for the next change. */
const PROBE_MS = 6 * HOUR;
/** Longer than any forward clock jump (Pacific/Apia skipped a whole day in 2011): no window is longer than its step plus this. */
const LOOKBACK_MS = 26 * HOUR;

/** The window `[start, end)` with `start <= instant < end`. */
export function windowContaining(instant: Date, spec: WindowSpec): Window {
  const boundaries = boundariesFor(spec);
  const start = boundaries.floor(toMs(instant, 'instant'));
  return span(start, boundaries.next(start));
}

/** The window that starts where `window` ends. */
export function windowAfter(window: Window, spec: WindowSpec): Window {
  return windowContaining(window.end, spec);
}

/** The window that ends where `window` starts. */
export function windowBefore(window: Window, spec: WindowSpec): Window {
  const boundaries = boundariesFor(spec);
  const start = boundaries.floor(toMs(window.start, 'window.start') - 1);
  return span(start, boundaries.next(start));
}

export function isWindowBoundary(instant: Date, spec: WindowSpec): boolean {
  const ms = toMs(instant, 'instant');
  return boundariesFor(spec).floor(ms) === ms;
}

/**
 * The window a trigger scheduled for `scheduledTime` computes: the latest complete window whose end is
 * `<= scheduledTime - delay + tolerance`. A pure function of the scheduled time, never of the clock.
 */
export function deriveWindow(scheduledTime: Date, spec: WindowSpec): Window {
  const boundaries = boundariesFor(spec);
  const end = boundaries.floor(toMs(scheduledTime, 'scheduledTime') - spec.delayMs + spec.toleranceMs);
  const window = span(boundaries.floor(end - 1), end);
  assertStorableSpan(window.start, window.end, () => triggerAt(scheduledTime));
  return window;
}

/**
 * The derived window and, with `lateness` L, the earlier windows that ended after `scheduledTime - delay - L`
 * (re-computed so late logs count). Oldest first; the derived window is last.
 */
export function windowsForTrigger(scheduledTime: Date, spec: WindowSpec): Window[] {
  const derived = deriveWindow(scheduledTime, spec);
  const horizon = scheduledTime.getTime() - spec.delayMs - spec.latenessMs;
  if (spec.latenessMs <= 0 || horizon >= derived.start.getTime()) return [derived];
  const windows = windowsInRange(new Date(horizon), derived.end, spec);
  assertStorableSpan(windows[0]!.start, derived.end, () => triggerAt(scheduledTime));
  return windows;
}

const triggerAt = (scheduledTime: Date) => `The trigger scheduled for ${scheduledTime.toISOString()}`;

/**
 * The `from`/`to` of an operation over a range (`backfill`, `verify`), read as the CLI reads
 * `--from`/`--to` — the same instants refused with the same words — and refused (`INVALID_ARGUMENT`)
 * when its windows leave what every sink stores.
 */
export function parseWindowRange(
  input: { from: Date | string; to: Date | string },
  spec: WindowSpec,
  what: string,
): { from: Date; to: Date } {
  const from = parseInstant(input.from, `${what} from`);
  const to = parseInstant(input.to, `${what} to`);
  assertStorableSpan(
    windowContaining(from, spec).start,
    to,
    () => `${what} from ${from.toISOString()} to ${to.toISOString()}`,
    'INVALID_ARGUMENT',
  );
  return { from, to };
}

/**
 * Every window from the one containing `from` up to the last one ending at or before `to`, oldest first.
 * Throws `INVALID_ARGUMENT` if `from >= to` or the range holds more than 1,000,000 windows.
 */
export function windowsInRange(from: Date, to: Date, spec: WindowSpec): Window[] {
  const fromMs = toMs(from, 'from');
  const toMsValue = toMs(to, 'to');
  if (fromMs >= toMsValue) {
    throw new WindowedError(
      'INVALID_ARGUMENT',
      `windowsInRange: from (${from.toISOString()}) must be before to (${to.toISOString()})`,
    );
  }
  if ((toMsValue - fromMs) / nominalSizeMs(spec.size) > MAX_WINDOWS) throw tooManyWindows(from, to, spec);
  const boundaries = boundariesFor(spec);
  const starts = [boundaries.floor(fromMs)];
  boundaries.each(starts[0]!, toMsValue, (boundary) => {
    if (starts.push(boundary) > MAX_WINDOWS + 1) throw tooManyWindows(from, to, spec);
    return true;
  });
  const windows: Window[] = [];
  for (let i = 1; i < starts.length; i++) windows.push(span(starts[i - 1]!, starts[i]!));
  return windows;
}

function tooManyWindows(from: Date, to: Date, spec: WindowSpec): WindowedError {
  return new WindowedError(
    'INVALID_ARGUMENT',
    `windowsInRange: ${from.toISOString()} to ${to.toISOString()} holds more than ${MAX_WINDOWS} ${spec.size.label} windows; use a shorter range`,
  );
}

function span(start: number, end: number): Window {
  return makeWindow(new Date(start), new Date(end));
}

function toMs(date: Date, name: string): number {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new WindowedError('INVALID_ARGUMENT', `${name}: expected a valid Date`);
  return ms;
}

/** The boundary instants of one window size in one zone. */
interface Boundaries {
  /** The latest boundary `<= ms`. */
  floor(ms: number): number;
  /** The first boundary `> ms`. */
  next(ms: number): number;
  /** Visits the boundaries in `(after, until]` in order while `visit` returns true. */
  each(after: number, until: number, visit: (boundary: number) => boolean): void;
}

type OffsetOf = (ms: number) => number;

const cache = new Map<string, Boundaries>();

function boundariesFor(spec: WindowSpec): Boundaries {
  const key = `${spec.size.label}@${spec.timeZone}`;
  let boundaries = cache.get(key);
  if (!boundaries) {
    boundaries = createBoundaries(spec.size, offsetFunction(spec.timeZone));
    cache.set(key, boundaries);
  }
  return boundaries;
}

function createBoundaries(size: WindowSize, offset: OffsetOf): Boundaries {
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
  if (!exact) {
    throw new WindowedError('INVALID_ARGUMENT', `timeZone: "${timeZone}" is not a valid IANA time zone`);
  }
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

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
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
