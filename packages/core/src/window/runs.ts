import type { Window } from './types.js';

/** Contiguous windows of one length: window `i` is `[originMs + i*sizeMs, originMs + (i+1)*sizeMs)`. */
export interface UniformRun {
  originMs: number;
  sizeMs: number;
  windows: Window[];
}

/**
 * Splits sorted windows into maximal runs of contiguous, equal-length windows, so a source can bucket a
 * whole run in one query with `floor((t - originMs) / sizeMs)`. DST days (23h/25h days, 5h/7h windows)
 * and gaps in the list start a new run.
 */
export function uniformRuns(windows: readonly Window[]): UniformRun[] {
  const runs: UniformRun[] = [];
  let run: UniformRun | undefined;
  let runEnd = Number.NaN;
  for (const window of windows) {
    const start = window.start.getTime();
    const sizeMs = window.end.getTime() - start;
    if (run && start === runEnd && sizeMs === run.sizeMs) {
      run.windows.push(window);
    } else {
      run = { originMs: start, sizeMs, windows: [window] };
      runs.push(run);
    }
    runEnd = start + sizeMs;
  }
  return runs;
}
