/** A half-open interval `[start, end)`; `key` is the ISO-8601 UTC start, the window's identity. */
export interface Window {
  readonly start: Date;
  readonly end: Date;
  readonly key: string;
}

/** Window sizes windowed accepts, after normalization. */
export type WindowUnit = 'minute' | 'hour' | 'day' | 'week' | 'month';

export interface WindowSize {
  unit: WindowUnit;
  /** Minutes: divides 60. Hours: divides 24. Day, week, month: 1. */
  amount: number;
  /** The canonical spelling: `5m`, `1h`, `1d`, `1w`, `1mo`. */
  label: string;
}

/** The `window` option of a job spec: `'1m'` or an object. */
export interface WindowOptions {
  size: string;
  /** How long after a window's end its logs are complete enough to count. Default `0s`. */
  delay?: string;
  /** Absorbs a schedule that fires a moment early. Default `2s`. */
  tolerance?: string;
  /** Re-compute earlier windows that ended within this long of the target. Default: none. */
  lateness?: string;
  /** IANA time zone for boundaries. Default `UTC`. */
  timeZone?: string;
}

/** A validated, normalized window specification. */
export interface WindowSpec {
  size: WindowSize;
  delayMs: number;
  toleranceMs: number;
  latenessMs: number;
  timeZone: string;
}

export function makeWindow(start: Date, end: Date): Window {
  return { start, end, key: start.toISOString() };
}
