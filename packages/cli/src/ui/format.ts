/** Times as the CLI prints them. */

import { parseWindowSpec, windowContaining } from '@windowed/core';

const formatters = new Map<string, Intl.DateTimeFormat>();

/** `2026-11-27 18:01` in `timeZone` (the job's): how a person reads a window start. */
export function formatLocal(date: Date, timeZone: string, seconds = false): string {
  const key = `${timeZone}|${seconds}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      ...(seconds ? { second: '2-digit' } : {}),
      hourCycle: 'h23',
    });
    formatters.set(key, f);
  }
  const parts = Object.fromEntries(f.formatToParts(date).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}${seconds ? `:${parts.second}` : ''}`;
}

const HOUR_MS = 3_600_000;
const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** The UTC offset of `date` in `timeZone`: `+08:00`, `-04:00`, `+00:00`. */
export function formatOffset(date: Date, timeZone: string): string {
  let f = offsetFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    offsetFormatters.set(timeZone, f);
  }
  const name = f.formatToParts(date).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  // `GMT-04:00`, `GMT+05:45`, or `GMT` for a zero offset.
  return name === 'GMT' ? '+00:00' : name.slice(3);
}

/**
 * Labels for times in `timeZone`, as `formatLocal` writes them — with the UTC offset on a local day
 * whose clock goes back (`2026-11-01 01:30 -04:00`, then `01:30 -05:00` in New York): there a
 * wall-clock reading names two instants, and two windows would otherwise print the same label.
 */
export function localLabeller(timeZone: string, seconds = false): (date: Date) => string {
  const day = parseWindowSpec({ size: '1d', timeZone });
  const repeats = new Map<number, boolean>();
  return (date) => {
    const local = windowContaining(date, day);
    let repeated = repeats.get(local.start.getTime());
    if (repeated === undefined) {
      // A local day longer than 24 hours has a stretch of wall-clock time twice.
      repeated = local.end.getTime() - local.start.getTime() > 24 * HOUR_MS;
      repeats.set(local.start.getTime(), repeated);
    }
    const label = formatLocal(date, timeZone, seconds);
    return repeated ? `${label} ${formatOffset(date, timeZone)}` : label;
  };
}

/** `[10:01, 10:02)` style, UTC ISO: unambiguous in logs and scripts. */
export function formatWindowIso(window: { start: Date; end: Date }): string {
  return `[${window.start.toISOString()}, ${window.end.toISOString()})`;
}

/** Consecutive windows merged into ranges: `[a, c)` instead of `[a, b)`, `[b, c)`. */
export function coalesce<W extends { start: Date; end: Date }>(
  windows: readonly W[],
): Array<{ start: Date; end: Date; count: number }> {
  const out: Array<{ start: Date; end: Date; count: number }> = [];
  for (const w of windows) {
    const last = out[out.length - 1];
    if (last && last.end.getTime() === w.start.getTime()) {
      last.end = w.end;
      last.count++;
    } else out.push({ start: w.start, end: w.end, count: 1 });
  }
  return out;
}
