/** The JSON the CLI's /api answers (packages/cli/src/dashboard/api.ts). */

export type WindowState = 'succeeded' | 'late' | 'failed' | 'missing' | 'running' | 'stale' | 'none';
export type StateCounts = Partial<Record<WindowState, number>>;

export interface Status {
  job: string;
  timeZone: string;
  windowSize: string;
  metrics: string[];
  groupBy: string[];
  readOnly: boolean;
  ledger: boolean;
  latestEnd: string | null;
  lastSucceeded: string | null;
  failed: number;
  running: number;
  missing: number;
  defaultRange: { from: string; to: string } | null;
}

export interface GridCell {
  row: number;
  col: number;
  state: WindowState;
  counts: StateCounts;
  from: string;
  to: string;
  windows: number;
}

export interface ProblemRange {
  state: WindowState;
  from: string;
  to: string;
  windows: number;
  attempts: number | null;
  lastError: string | null;
}

export interface WindowsResponse {
  from: string;
  to: string;
  grid: {
    rows: Array<{ label: string; from: string; to: string }>;
    cols: string[];
    colMinutes: number;
    windowsPerCell: number;
    cells: GridCell[];
    counts: StateCounts;
    total: number;
  };
  problems: { ranges: ProblemRange[]; total: number };
}

export interface SeriesResponse {
  from: string;
  to: string;
  metrics: string[];
  groupBy: string[];
  windowsPerPoint: number;
  t: number[];
  groups: Array<{ label: string; values: Record<string, Array<number | null>> }>;
  omittedGroups: number;
}

export interface WindowDetail {
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

export interface RerunResult {
  total: number;
  computed: number;
  failed: number;
  failures: Array<{ start: string; error: string | null }>;
}

export class ApiError extends Error {}

export async function get<T>(path: string, params: Record<string, string> = {}): Promise<T> {
  const query = new URLSearchParams(params).toString();
  return answer<T>(await fetch(`./api/${path}${query ? `?${query}` : ''}`));
}

export async function post<T>(path: string, body: unknown): Promise<T> {
  return answer<T>(
    await fetch(`./api/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  );
}

async function answer<T>(res: Response): Promise<T> {
  const body = (await res.json()) as T & { error?: { code: string; message: string } };
  if (!res.ok) throw new ApiError(body.error?.message ?? `HTTP ${res.status}`);
  return body;
}
