import {
  nominalSizeMs,
  parseWindowSpec,
  type Window,
  type WindowSpec,
  windowContaining,
  windowsInRange,
} from '@windowed/core';
import type { Grid, GridCell, ProblemRange, StateCounts, WindowState } from '@windowed/dashboard/contract';
import { formatLocal } from '../ui/format.js';
import type { StateRun } from './data.js';

/** Bounds on what one response carries, whatever the range: a year of minutes is 525,600 windows. */
export const MAX_ROWS = 62;
export const MAX_COLS = 96;
export const MAX_PROBLEMS = 200;

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Which state a cell of several windows shows: the one that most needs a look. */
const PRIORITY: readonly WindowState[] = [
  'failed',
  'stale',
  'missing',
  'running',
  'late',
  'succeeded',
  'none',
];
const PROBLEM_STATES: ReadonlySet<WindowState> = new Set(['failed', 'missing', 'stale', 'running']);

/** The windows laid out as days × times of day, bucketed so the grid never exceeds MAX_ROWS × MAX_COLS. */
export function buildGrid(runs: readonly StateRun[], spec: WindowSpec): Grid {
  const counts: StateCounts = {};
  let total = 0;
  for (const r of runs) {
    counts[r.state] = (counts[r.state] ?? 0) + r.windows;
    total += r.windows;
  }
  if (total === 0) return { rows: [], cols: [], colMinutes: 0, windowsPerCell: 0, cells: [], counts, total };
  const perDay = Math.max(1, Math.round(DAY_MS / nominalSizeMs(spec.size)));
  // Zoomed in on windows shorter than a day's MAX_COLS-th: a row per local hour, a cell per window.
  const byHour = perDay > MAX_COLS && total <= MAX_ROWS * (perDay / 24);
  const periodMs = byHour ? HOUR_MS : DAY_MS;
  const periodSpec = parseWindowSpec({ size: byHour ? '1h' : '1d', timeZone: spec.timeZone });
  const first = windowContaining(runs[0]!.start, periodSpec).start;
  const last = windowContaining(new Date(runs[runs.length - 1]!.end.getTime() - 1), periodSpec).end;
  const periods = windowsInRange(first, last, periodSpec);
  const perRow = Math.ceil(periods.length / MAX_ROWS);
  const perPeriod = Math.max(1, Math.round(periodMs / nominalSizeMs(spec.size)));
  const colCount = Math.min(MAX_COLS, perPeriod);
  const colMs = periodMs / colCount;

  const rows: Grid['rows'] = [];
  for (let i = 0; i < periods.length; i += perRow) {
    const group = periods.slice(i, i + perRow);
    const label = formatLocal(group[0]!.start, spec.timeZone).slice(0, byHour ? 16 : 10);
    rows.push({
      label: group.length > 1 ? `${label} +${group.length - 1}${byHour ? 'h' : 'd'}` : label,
      from: group[0]!.start.toISOString(),
      to: group[group.length - 1]!.end.toISOString(),
    });
  }
  const cols = Array.from({ length: colCount }, (_, c) => {
    const minutes = Math.round((c * colMs) / 60_000);
    const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
    const mm = String(minutes % 60).padStart(2, '0');
    return byHour ? `:${mm}` : `${hh}:${mm}`;
  });

  // Where a window sits in its row is its wall-clock time: on the day clocks go back, the repeated
  // hour's windows share its cells; on the day they go forward, the skipped hour's cells stay empty.
  const sinceMidnight = (t: number, p: Window) => {
    const elapsed = t - p.start.getTime();
    if (p.end.getTime() - p.start.getTime() === periodMs) return elapsed;
    const [hh, mm] = formatLocal(new Date(t), spec.timeZone).slice(11).split(':').map(Number);
    return (hh! * 60 + mm!) * 60_000 + (elapsed % 60_000);
  };
  const cells = new Map<number, GridCell>();
  let period = 0;
  const place = (w: Window, state: WindowState) => {
    const t = w.start.getTime();
    while (period < periods.length - 1 && t >= periods[period]!.end.getTime()) period++;
    const row = Math.floor(period / perRow);
    const col = Math.min(colCount - 1, Math.floor(sinceMidnight(t, periods[period]!) / colMs));
    const key = row * colCount + col;
    const cell = cells.get(key);
    if (!cell) {
      cells.set(key, {
        row,
        col,
        state,
        counts: { [state]: 1 },
        from: w.start.toISOString(),
        to: w.end.toISOString(),
        windows: 1,
      });
      return;
    }
    cell.counts[state] = (cell.counts[state] ?? 0) + 1;
    cell.windows++;
    cell.to = w.end.toISOString();
    if (PRIORITY.indexOf(state) < PRIORITY.indexOf(cell.state)) cell.state = state;
  };
  for (const run of runs) for (const w of windowsInRange(run.start, run.end, spec)) place(w, run.state);
  return {
    rows,
    cols,
    colMinutes: colMs / 60_000,
    windowsPerCell: Math.ceil(perPeriod / colCount) * perRow,
    cells: [...cells.values()],
    counts,
    total,
  };
}

/** Failed, missing, stale and running runs, the first MAX_PROBLEMS of them. */
export function problemRanges(runs: readonly StateRun[]): { ranges: ProblemRange[]; total: number } {
  const problems = runs.filter((r) => PROBLEM_STATES.has(r.state));
  return {
    ranges: problems.slice(0, MAX_PROBLEMS).map((r) => ({
      state: r.state,
      from: r.start.toISOString(),
      to: r.end.toISOString(),
      windows: r.windows,
      attempts: r.attempts,
      lastError: r.lastError,
    })),
    total: problems.length,
  };
}
