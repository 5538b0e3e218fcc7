import { WindowedError } from '../errors.js';
import { assertStorableSpan, parseInstant } from '../time/instant.js';
import { boundariesFor } from './boundaries.js';
import { nominalSizeMs } from './spec.js';
import { makeWindow, type Window, type WindowSpec } from './types.js';

const MAX_WINDOWS = 1_000_000;

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
