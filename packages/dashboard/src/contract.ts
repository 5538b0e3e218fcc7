/**
 * The JSON the CLI's /api answers: one definition for the server (packages/cli/src/dashboard) and
 * the page, so a change of shape fails the typecheck of both.
 */

/** `none`: the ledger has not reached the window (before the first recorded, after the last). */
export type WindowState = 'succeeded' | 'late' | 'failed' | 'missing' | 'running' | 'stale' | 'none';
export type StateCounts = Partial<Record<WindowState, number>>;

export interface StatusAnswer {
  job: string;
  timeZone: string;
  windowSize: string;
  delayMs: number;
  metrics: string[];
  groupBy: string[];
  readOnly: boolean;
  ledger: boolean;
  /** End of the latest window the ledger recorded (succeeded, failed or running). */
  latestEnd: string | null;
  lastSucceeded: string | null;
  failed: number;
  running: number;
  /** Windows before the last success that never ran. */
  missing: number;
  defaultRange: { from: string; to: string } | null;
}

export interface GridCell {
  row: number;
  col: number;
  state: WindowState;
  counts: StateCounts;
  /** Start of the cell's first window and end of its last (UTC ISO). */
  from: string;
  to: string;
  windows: number;
}

export interface Grid {
  /** One row per local day (per hour when zoomed in on short windows), or per several past the limit. */
  rows: Array<{ label: string; from: string; to: string }>;
  /** Columns: time of day or of the hour (local), each covering `colMinutes`. */
  cols: string[];
  colMinutes: number;
  windowsPerCell: number;
  cells: GridCell[];
  counts: StateCounts;
  total: number;
}

export interface ProblemRange {
  state: WindowState;
  from: string;
  to: string;
  windows: number;
  attempts: number | null;
  lastError: string | null;
}

export interface WindowsAnswer {
  from: string;
  to: string;
  grid: Grid;
  problems: { ranges: ProblemRange[]; total: number };
}

export interface Series {
  metrics: string[];
  groupBy: string[];
  /** How many windows each point stands for; a point's value is the mean over those with rows. */
  windowsPerPoint: number;
  /** Start of each point's first window, ms since the epoch (UTC). */
  t: number[];
  groups: Array<{ label: string; values: Record<string, Array<number | null>> }>;
  /** Groups left out (only the largest are drawn). */
  omittedGroups: number;
}

export interface SeriesAnswer extends Series {
  from: string;
  to: string;
}

export interface WindowAnswer {
  start: string;
  end: string;
  startLocal: string;
  endLocal: string;
  state: WindowState;
  attempts: number | null;
  lastError: string | null;
  updatedAt: string | null;
  computedAt: string | null;
  rows: Array<Record<string, unknown>>;
  moreRows: number;
}

export interface RerunAnswer {
  from: string;
  to: string;
  total: number;
  computed: number;
  failed: number;
  failures: Array<{ start: string; error: string | null }>;
}
