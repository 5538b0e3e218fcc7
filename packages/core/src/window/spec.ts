import { parseDurationMs } from '../duration.js';
import { WindowedError } from '../errors.js';
import type { WindowOptions, WindowSize, WindowSpec, WindowUnit } from './types.js';
import { isValidTimeZone } from './zone.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

const SHORT_SIZE = /^([1-9]\d*)(mo|m|h|d|w)$/;
/** Single-component ISO-8601 durations: `P1D`, `P1W`, `P1M` (a month), `PT5M` (minutes), `PT1H`. */
const ISO_SIZE = /^P(?:([1-9]\d*)([DWM])|T([1-9]\d*)([HM]))$/i;
const ISO_DATE_SUFFIX: Record<string, string> = { D: 'd', W: 'w', M: 'mo' };

const SIZE_EXPECTED =
  'expected Nm where N divides 60 (1m, 5m, 15m, ...), Nh where N divides 24, 1d, 1w, 1mo, ' +
  'or an ISO-8601 duration with the same meaning (PT5M, P1D, ...)';
const DURATION_EXPECTED = 'expected a non-negative duration such as 0s, 500ms, 30s, 2m, 1h or PT30S';
const OPTION_KEYS = ['size', 'delay', 'tolerance', 'lateness', 'timeZone'] as const;

/**
 * Parses a window size — `5m`, `1h`, `1d`, `1w`, `1mo`, or ISO-8601 `PT5M`, `P1D`, `P1W`, `P1M` — into
 * its canonical form (`60m` is `1h`, `24h` is `1d`). Returns `undefined` for anything else.
 */
export function parseWindowSize(text: string): WindowSize | undefined {
  if (typeof text !== 'string') return undefined;
  const iso = ISO_SIZE.exec(text);
  if (iso) {
    const [, dateAmount, dateUnit, timeAmount, timeUnit] = iso;
    return dateAmount
      ? fromShort(Number(dateAmount), ISO_DATE_SUFFIX[dateUnit!.toUpperCase()]!)
      : fromShort(Number(timeAmount), timeUnit!.toLowerCase());
  }
  const short = SHORT_SIZE.exec(text);
  return short ? fromShort(Number(short[1]), short[2]!) : undefined;
}

function fromShort(amount: number, suffix: string): WindowSize | undefined {
  switch (suffix) {
    case 'm':
      if (amount === 60) return size('hour', 1);
      return 60 % amount === 0 ? size('minute', amount) : undefined;
    case 'h':
      if (amount === 24) return size('day', 1);
      return 24 % amount === 0 ? size('hour', amount) : undefined;
    case 'd':
      return amount === 1 ? size('day', 1) : undefined;
    case 'w':
      return amount === 1 ? size('week', 1) : undefined;
    case 'mo':
      return amount === 1 ? size('month', 1) : undefined;
    default:
      return undefined;
  }
}

const LABEL_SUFFIX: Record<WindowUnit, string> = { minute: 'm', hour: 'h', day: 'd', week: 'w', month: 'mo' };

function size(unit: WindowUnit, amount: number): WindowSize {
  return { unit, amount, label: `${amount}${LABEL_SUFFIX[unit]}` };
}

/**
 * A window's nominal length: exact for minutes and hours in a zone without DST, an upper bound for
 * months (31 days). Used for validation (tolerance) and estimates, never to place a boundary.
 */
export function nominalSizeMs(size: WindowSize): number {
  switch (size.unit) {
    case 'minute':
      return size.amount * MINUTE_MS;
    case 'hour':
      return size.amount * HOUR_MS;
    case 'day':
      return DAY_MS;
    case 'week':
      return 7 * DAY_MS;
    case 'month':
      return 31 * DAY_MS;
  }
}

/**
 * Validates the `window` option of a job spec — `'5m'` or `{ size, delay?, tolerance?, lateness?, timeZone? }` —
 * into a {@link WindowSpec}. Throws `WindowedError` `INVALID_JOB` naming the field (`window.size`, ...).
 */
export function parseWindowSpec(input: string | WindowOptions, path = 'window'): WindowSpec {
  const options: unknown = typeof input === 'string' ? { size: input } : input;
  if (!isPlainObject(options)) {
    throw invalid(
      path,
      `expected a window size such as "5m" or an object { size, delay?, tolerance?, lateness?, timeZone? }, got ${describe(input)}`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!(OPTION_KEYS as readonly string[]).includes(key)) {
      throw invalid(`${path}.${key}`, `unknown option; expected only ${OPTION_KEYS.join(', ')}`);
    }
  }
  const windowSize = parseSizeOption(options.size, `${path}.size`);
  const toleranceMs = parseDurationOption(options.tolerance, `${path}.tolerance`, 2_000);
  if (toleranceMs >= nominalSizeMs(windowSize)) {
    throw invalid(
      `${path}.tolerance`,
      `${describe(options.tolerance)} must be shorter than the window size ${windowSize.label}`,
    );
  }
  return {
    size: windowSize,
    delayMs: parseDurationOption(options.delay, `${path}.delay`, 0),
    toleranceMs,
    latenessMs: parseDurationOption(options.lateness, `${path}.lateness`, 0),
    timeZone: parseTimeZoneOption(options.timeZone, `${path}.timeZone`),
  };
}

function parseSizeOption(value: unknown, path: string): WindowSize {
  if (value === undefined) throw invalid(path, `is required; ${SIZE_EXPECTED}`);
  const parsed = typeof value === 'string' ? parseWindowSize(value) : undefined;
  if (!parsed) throw invalid(path, `${describe(value)} is not a supported window size; ${SIZE_EXPECTED}`);
  return parsed;
}

function parseDurationOption(value: unknown, path: string, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = typeof value === 'string' ? parseDurationMs(value) : undefined;
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) {
    throw invalid(path, `${describe(value)} is not a valid duration; ${DURATION_EXPECTED}`);
  }
  return ms;
}

function parseTimeZoneOption(value: unknown, path: string): string {
  if (value === undefined) return 'UTC';
  if (typeof value === 'string' && isValidTimeZone(value)) return value;
  throw invalid(
    path,
    `${describe(value)} is not a valid IANA time zone; expected a name such as UTC, Asia/Shanghai or America/New_York`,
  );
}

function invalid(path: string, detail: string): WindowedError {
  return new WindowedError('INVALID_JOB', `${path}: ${detail}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return String(value);
  return typeof value === 'object'
    ? Array.isArray(value)
      ? 'an array'
      : 'an object'
    : `${typeof value} ${String(value)}`;
}
