import type { RunResult, WindowOutcome } from './types.js';

/** A run as JSON, instants in ISO-8601 UTC: what a function answers and `windowed run --json` prints. */
export interface RunResultJson {
  job: string;
  scheduledTime: string;
  window: { start: string; end: string };
  windows: Array<{
    start: string;
    end: string;
    reason: WindowOutcome['reason'];
    status: WindowOutcome['status'];
    rows: number;
  }>;
}

export function runResultJson(result: RunResult): RunResultJson {
  return {
    job: result.job,
    scheduledTime: result.trigger.scheduledTime,
    window: { start: result.window.start.toISOString(), end: result.window.end.toISOString() },
    windows: result.windows.map((w) => ({
      start: w.window.start.toISOString(),
      end: w.window.end.toISOString(),
      reason: w.reason,
      status: w.status,
      rows: w.rows,
    })),
  };
}
