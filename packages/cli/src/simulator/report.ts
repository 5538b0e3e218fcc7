import type { Window } from '@windowed/core';
import type { Colors } from '../ui/color.js';
import { formatLocal } from '../ui/format.js';
import { formatSeconds } from '../ui/progress.js';
import { sparkline } from '../ui/sparkline.js';
import { renderTable } from '../ui/table.js';
import type { AttemptRecord, EmulatorResult } from './emulator.js';

export interface SimulationSummary {
  provider: 'aliyun' | 'aws';
  from: string;
  to: string;
  /** Windows the schedule covers: what a correct job computes, once each. */
  expected: number;
  /** Expected windows with rows in the results table at the end. */
  computed: number;
  /** Windows holding more than one copy of their rows (more rows than groups). */
  duplicated: number;
  /** Expected windows with no rows at the end. */
  missing: number;
  /** Rows beyond the first copy of each window: what duplicates cost a dashboard. */
  extraRows: number;
  /** Attempts that wrote a window other than the one their event was for. */
  wrongWindow: number;
  /** Attempts on a warm instance that wrote a window some earlier attempt had already added rows to. */
  repeatedOnWarmStart: number;
  invocations: number;
  attempts: number;
  retries: number;
  duplicateDeliveries: number;
  coldStarts: number;
  warmStarts: number;
  instancesStarted: number;
  peakConcurrency: number;
  failedAttempts: Record<string, number>;
  /** The most frequent errors of failed attempts (times in them as `<time>`), most frequent first. */
  topErrors: Array<{ error: string; count: number }>;
  /** First attempts: start minus scheduled time, ms. */
  delayMs: { max: number; p50: number; p95: number };
  deliveredToDestination: number;
  destinationWindows: string[];
  /** Rows the results table holds for windows outside the schedule (wrong windows). */
  unexpectedWindows: number;
  missingWindows: string[];
  duplicatedWindows: string[];
  /** Simulated time from the first firing to the last attempt. */
  simulatedMs: number;
  /** One bucket per hour (or per window for short runs): the timeline. */
  timeline: TimelineBucket[];
}

export interface TimelineBucket {
  start: string;
  windows: number;
  attempts: number;
  coldStarts: number;
  retries: number;
  maxDelayMs: number;
  destination: number;
  missing: number;
  duplicated: number;
}

/**
 * Summarizes an emulation: what the platform did (attempts, retries, delays, destination) and
 * what ended up in the results table (computed, duplicated, missing windows).
 * `rowsPerWindow` is how many rows one copy of a window has (1 for an ungrouped query);
 * without it, any window with more than one row counts as duplicated.
 */
export function summarize(
  result: EmulatorResult,
  rowsPerWindow?: (start: number) => number,
): SimulationSummary {
  const expectedStarts = new Set(result.windows.map((w) => w.start.getTime()));
  const rows = result.finalRows ?? new Map<number, number>();
  const perCopy = (start: number) => Math.max(1, rowsPerWindow?.(start) ?? 1);
  let computed = 0;
  let extraRows = 0;
  const missingWindows: string[] = [];
  const duplicatedWindows: string[] = [];
  for (const w of result.windows) {
    const n = rows.get(w.start.getTime()) ?? 0;
    if (n > 0) computed++;
    else missingWindows.push(w.key);
    if (n > perCopy(w.start.getTime())) {
      duplicatedWindows.push(w.key);
      extraRows += n - perCopy(w.start.getTime());
    }
  }
  let unexpectedWindows = 0;
  for (const [start, n] of rows) if (n > 0 && !expectedStarts.has(start)) unexpectedWindows++;

  const seenWrites = new Set<number>();
  let wrongWindow = 0;
  let repeated = 0;
  for (const a of result.attempts) {
    const own = a.window.start.getTime();
    if (a.wrote.length > 0 && !a.wrote.includes(own)) wrongWindow++;
    if (!a.cold && a.wrote.some((s) => seenWrites.has(s) && !a.wrote.includes(own))) repeated++;
    for (const s of a.wrote) seenWrites.add(s);
  }
  const firsts = result.attempts.filter((a) => a.attempt === 1 && !a.duplicate);
  const delays = firsts.map((a) => a.startedAt - a.firedAt).sort((x, y) => x - y);
  const failedAttempts: Record<string, number> = {};
  for (const a of result.attempts)
    if (a.outcome !== 'succeeded') failedAttempts[a.outcome] = (failedAttempts[a.outcome] ?? 0) + 1;
  const lastEnd = Math.max(result.endedAt, ...result.attempts.map((a) => a.endedAt));
  const firstFire = Math.min(...result.attempts.map((a) => a.firedAt), result.startedAt);
  return {
    provider: result.provider,
    from: result.windows[0]?.start.toISOString() ?? new Date(result.startedAt).toISOString(),
    to:
      result.windows[result.windows.length - 1]?.end.toISOString() ??
      new Date(result.startedAt).toISOString(),
    expected: result.windows.length,
    computed,
    duplicated: duplicatedWindows.length,
    missing: missingWindows.length,
    extraRows,
    wrongWindow,
    repeatedOnWarmStart: repeated,
    invocations: result.windows.length,
    attempts: result.attempts.length,
    retries: result.attempts.filter((a) => a.attempt > 1).length,
    duplicateDeliveries: result.attempts.filter((a) => a.duplicate && a.attempt === 1).length,
    coldStarts: result.attempts.filter((a) => a.cold).length,
    warmStarts: result.attempts.filter((a) => !a.cold && a.outcome !== 'crash-before').length,
    instancesStarted: result.instancesStarted,
    peakConcurrency: result.peakConcurrency,
    failedAttempts,
    topErrors: topErrors(result.attempts),
    delayMs: {
      max: delays[delays.length - 1] ?? 0,
      p50: percentile(delays, 0.5),
      p95: percentile(delays, 0.95),
    },
    deliveredToDestination: result.destination.length,
    destinationWindows: [...new Set(result.destination.map((d) => d.window.key))],
    unexpectedWindows,
    missingWindows,
    duplicatedWindows,
    simulatedMs: lastEnd - firstFire,
    timeline: timeline(result, rows, perCopy),
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function timeline(
  result: EmulatorResult,
  rows: Map<number, number>,
  perCopy: (s: number) => number,
): TimelineBucket[] {
  const windows = result.windows;
  if (windows.length === 0) return [];
  const span = windows[windows.length - 1]!.end.getTime() - windows[0]!.start.getTime();
  // An hour per bucket for a day; shorter runs get finer buckets, at most ~24 of them.
  const bucketMs = Math.max(windows[0]!.end.getTime() - windows[0]!.start.getTime(), niceBucket(span / 24));
  const origin = windows[0]!.start.getTime();
  const buckets = new Map<number, TimelineBucket>();
  const bucketOf = (t: number) => {
    const key = origin + Math.floor((t - origin) / bucketMs) * bucketMs;
    let b = buckets.get(key);
    if (!b) {
      b = {
        start: new Date(key).toISOString(),
        windows: 0,
        attempts: 0,
        coldStarts: 0,
        retries: 0,
        maxDelayMs: 0,
        destination: 0,
        missing: 0,
        duplicated: 0,
      };
      buckets.set(key, b);
    }
    return b;
  };
  for (const w of windows) {
    const b = bucketOf(w.start.getTime());
    b.windows++;
    const n = rows.get(w.start.getTime()) ?? 0;
    if (n === 0) b.missing++;
    if (n > perCopy(w.start.getTime())) b.duplicated++;
  }
  for (const a of result.attempts) {
    const b = bucketOf(a.window.start.getTime());
    b.attempts++;
    if (a.cold) b.coldStarts++;
    if (a.attempt > 1) b.retries++;
    if (a.attempt === 1 && !a.duplicate) b.maxDelayMs = Math.max(b.maxDelayMs, a.startedAt - a.firedAt);
  }
  for (const d of result.destination) bucketOf(d.window.start.getTime()).destination++;
  return [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b);
}

function niceBucket(ms: number): number {
  for (const step of [
    60_000,
    5 * 60_000,
    10 * 60_000,
    15 * 60_000,
    30 * 60_000,
    3_600_000,
    2 * 3_600_000,
    6 * 3_600_000,
    86_400_000,
  ]) {
    if (ms <= step) return step;
  }
  return 86_400_000;
}

/** The summary as the CLI prints it. */
export function renderSummary(
  s: SimulationSummary,
  options: { colors: Colors; timeZone: string; label: string },
): string {
  const { colors: c, timeZone: tz } = options;
  const good = (ok: boolean, text: string) => (ok ? c.green(text) : c.red(text));
  const lines: string[] = [];
  lines.push(
    c.bold(`${options.label}: ${s.from} → ${s.to} (${formatSeconds(s.simulatedMs / 1000)} simulated)`),
  );
  lines.push('');
  lines.push(
    renderTable(
      [
        'from (UTC)',
        'local',
        'fired',
        'attempts',
        'cold',
        'retries',
        'max delay',
        'to destination',
        'missing',
        'duplicated',
      ],
      s.timeline.map((b) => [
        b.start.slice(11, 16),
        formatLocal(new Date(b.start), tz).slice(11),
        String(b.windows),
        String(b.attempts),
        String(b.coldStarts),
        String(b.retries),
        formatSeconds(b.maxDelayMs / 1000),
        b.destination ? c.red(String(b.destination)) : '0',
        b.missing ? c.red(String(b.missing)) : '0',
        b.duplicated ? c.red(String(b.duplicated)) : '0',
      ]),
      { align: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'] },
    ),
  );
  lines.push('');
  lines.push(
    `delay (start − scheduled) per bucket  ${c.cyan(sparkline(s.timeline.map((b) => b.maxDelayMs)))}`,
  );
  lines.push('');
  lines.push(
    `platform   ${s.invocations} scheduled invocations, ${s.attempts} attempts (${s.retries} retries, ${s.duplicateDeliveries} duplicate deliveries)`,
  );
  lines.push(
    `           ${s.coldStarts} cold starts, ${s.warmStarts} warm starts, ${s.instancesStarted} instances, peak concurrency ${s.peakConcurrency}`,
  );
  lines.push(
    `           delay p50 ${formatSeconds(s.delayMs.p50 / 1000)}, p95 ${formatSeconds(s.delayMs.p95 / 1000)}, max ${formatSeconds(s.delayMs.max / 1000)}` +
      (Object.keys(s.failedAttempts).length
        ? `; failed attempts: ${Object.entries(s.failedAttempts)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`
        : ''),
  );
  for (const [i, e] of s.topErrors.entries())
    lines.push(
      `${i === 0 ? '           most frequent errors  ' : '                                 '}${c.red(`${e.count} ×`)} ${e.error}`,
    );
  lines.push('');
  lines.push(`windows    expected      ${s.expected}`);
  lines.push(`           computed      ${good(s.computed === s.expected, String(s.computed))}`);
  lines.push(
    `           duplicated    ${good(s.duplicated === 0, String(s.duplicated))}${s.extraRows ? ` (${s.extraRows} extra rows)` : ''}`,
  );
  lines.push(`           missing       ${good(s.missing === 0, String(s.missing))}`);
  if (s.wrongWindow)
    lines.push(
      `           wrong window  ${c.red(String(s.wrongWindow))} attempt(s) wrote a window other than their event's`,
    );
  if (s.repeatedOnWarmStart)
    lines.push(
      `           warm repeats  ${c.red(String(s.repeatedOnWarmStart))} warm attempt(s) re-wrote a window an earlier one had written`,
    );
  if (s.unexpectedWindows)
    lines.push(
      `           off-schedule  ${c.red(String(s.unexpectedWindows))} window(s) outside the range got rows`,
    );
  lines.push(
    `destination ${s.deliveredToDestination === 0 ? '0 records' : c.yellow(`${s.deliveredToDestination} record(s) for ${s.destinationWindows.length} window(s)`)}` +
      (s.deliveredToDestination ? ' — `windowed replay <file>` re-runs them (see --out)' : ''),
  );
  if (s.missingWindows.length)
    lines.push(
      c.dim(`missing: ${s.missingWindows.slice(0, 5).join(', ')}${s.missingWindows.length > 5 ? ', …' : ''}`),
    );
  if (s.duplicatedWindows.length)
    lines.push(
      c.dim(
        `duplicated: ${s.duplicatedWindows.slice(0, 5).join(', ')}${s.duplicatedWindows.length > 5 ? ', …' : ''}`,
      ),
    );
  return lines.join('\n');
}

export type { AttemptRecord, Window };

const TOP_ERRORS = 3;
const ISO_TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?/g;

/**
 * What made attempts fail, counted: the platform's error type and the first line of its message, with
 * times replaced so one cause failing many windows counts as one error.
 */
function topErrors(attempts: readonly AttemptRecord[]): Array<{ error: string; count: number }> {
  const counts = new Map<string, number>();
  for (const a of attempts) {
    if (!a.failure) continue;
    const message = a.failure.message.split('\n')[0]!.trim().replace(ISO_TIME, '<time>');
    const error = message ? `${a.failure.errorType}: ${message}` : a.failure.errorType;
    counts.set(error, (counts.get(error) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP_ERRORS)
    .map(([error, count]) => ({ error, count }));
}
