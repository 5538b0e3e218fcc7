import { parseWindowSpec, type StoredRow } from '@windowed/core';
import type { WindowState } from '@windowed/dashboard/contract';
import { describe, expect, it } from 'vitest';
import type { StateRun } from '../../src/dashboard/data.js';
import { buildGrid, MAX_PROBLEMS, problemRanges } from '../../src/dashboard/grid.js';
import { buildSeries, inferColumns, MAX_GROUPS, MAX_POINTS } from '../../src/dashboard/series.js';

const MINUTE = 60_000;
const run = (
  state: WindowState,
  start: string,
  end: string,
  windows: number,
  lastError: string | null = null,
) => ({ state, start: new Date(start), end: new Date(end), windows, attempts: null, lastError }) as StateRun;

describe('the dashboard grid', () => {
  it('puts the repeated hour of the day clocks go back into one cell, by wall-clock time', () => {
    const spec = parseWindowSpec({ size: '1h', timeZone: 'America/New_York' });
    // 2026-11-01 in New York: 25 hours, 01:00 twice (EDT, then EST).
    const grid = buildGrid([run('succeeded', '2026-11-01T04:00:00Z', '2026-11-02T05:00:00Z', 25)], spec);
    expect(grid.rows.map((r) => r.label)).toEqual(['2026-11-01']);
    expect(grid.cols).toHaveLength(24);
    expect(grid.total).toBe(25);
    const byCol = new Map(grid.cells.map((c) => [c.col, c]));
    expect(byCol.get(1)).toMatchObject({
      windows: 2,
      from: '2026-11-01T05:00:00.000Z',
      to: '2026-11-01T07:00:00.000Z',
    });
    expect(byCol.get(23)).toMatchObject({ windows: 1, from: '2026-11-02T04:00:00.000Z' });
  });

  it('leaves the skipped hour of the day clocks go forward empty', () => {
    const spec = parseWindowSpec({ size: '1h', timeZone: 'America/New_York' });
    // 2026-03-08 in New York: 23 hours, no 02:00.
    const grid = buildGrid([run('succeeded', '2026-03-08T05:00:00Z', '2026-03-09T04:00:00Z', 23)], spec);
    expect(grid.cells.map((c) => c.col).sort((a, b) => a - b)).toEqual([
      0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
    ]);
  });

  it('buckets a year of minutes into at most 62 rows × 96 columns, a cell showing its worst state', () => {
    const spec = parseWindowSpec('1m');
    const grid = buildGrid(
      [
        run('succeeded', '2025-01-01T00:00:00Z', '2025-07-01T00:00:00Z', 260_640),
        run('failed', '2025-07-01T00:00:00Z', '2025-07-01T00:01:00Z', 1, 'boom'),
        run('succeeded', '2025-07-01T00:01:00Z', '2026-01-01T00:00:00Z', 264_959),
      ],
      spec,
    );
    expect(grid.total).toBe(525_600);
    expect(grid.rows).toHaveLength(61);
    expect(grid.rows[0]!.label).toBe('2025-01-01 +5d');
    expect(grid.cols).toHaveLength(96);
    expect(grid.windowsPerCell).toBe(15 * 6);
    expect(grid.cells.length).toBeLessThanOrEqual(61 * 96);
    const failed = grid.cells.filter((c) => c.state === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.counts).toEqual({ failed: 1, succeeded: 15 * 6 - 1 });
    expect(grid.counts).toEqual({ succeeded: 525_599, failed: 1 });
  });

  it('gives one cell per window when zoomed in on a few hours of minutes (a row per hour)', () => {
    const spec = parseWindowSpec({ size: '1m', timeZone: 'Asia/Shanghai' });
    const grid = buildGrid([run('missing', '2026-11-27T02:00:00Z', '2026-11-27T05:00:00Z', 180)], spec);
    expect(grid.rows.map((r) => r.label)).toEqual([
      '2026-11-27 10:00',
      '2026-11-27 11:00',
      '2026-11-27 12:00',
    ]);
    expect(grid.cols).toHaveLength(60);
    expect(grid.cols[1]).toBe(':01');
    expect(grid.windowsPerCell).toBe(1);
    expect(grid.cells).toHaveLength(180);
  });

  it('lists problem runs, at most MAX_PROBLEMS of them, with the total', () => {
    const runs: StateRun[] = [];
    for (let i = 0; i < 450; i++) {
      const start = Date.parse('2026-01-01T00:00:00Z') + i * 2 * MINUTE;
      runs.push(run('succeeded', new Date(start).toISOString(), new Date(start + MINUTE).toISOString(), 1));
      runs.push(
        run(
          i % 2 ? 'failed' : 'missing',
          new Date(start + MINUTE).toISOString(),
          new Date(start + 2 * MINUTE).toISOString(),
          1,
          i % 2 ? 'timeout' : null,
        ),
      );
    }
    const problems = problemRanges(runs);
    expect(problems.total).toBe(450);
    expect(problems.ranges).toHaveLength(MAX_PROBLEMS);
    expect(problems.ranges[1]).toMatchObject({ state: 'failed', lastError: 'timeout', windows: 1 });
  });
});

describe('the dashboard series', () => {
  const row = (minute: number, values: StoredRow['values']): StoredRow => ({
    windowStart: new Date(minute * MINUTE),
    windowEnd: new Date((minute + 1) * MINUTE),
    values,
    computedAt: null,
  });

  it('averages the windows of a point, per group, and leaves windows without rows out', () => {
    const starts = Array.from({ length: 900 }, (_, i) => i * MINUTE);
    const rows = [
      row(0, { region: 'east', pv: 2 }),
      row(1, { region: 'east', pv: 4 }),
      row(5, { region: 'west', pv: 9 }),
    ];
    const series = buildSeries(rows, starts, ['pv'], ['region']);
    expect(series.windowsPerPoint).toBe(3);
    expect(series.t).toHaveLength(MAX_POINTS);
    expect(series.t[1]).toBe(3 * MINUTE);
    const east = series.groups.find((g) => g.label === 'region=east')!;
    expect(east.values.pv!.slice(0, 2)).toEqual([3, null]);
    const west = series.groups.find((g) => g.label === 'region=west')!;
    expect(west.values.pv!.slice(0, 2)).toEqual([null, 9]);
  });

  it('draws the largest groups only and counts the others', () => {
    const rows: StoredRow[] = [];
    for (let g = 0; g < MAX_GROUPS + 3; g++)
      for (let m = 0; m <= g; m++) rows.push(row(m, { path: `/p${g}`, n: 1 }));
    const series = buildSeries(
      rows,
      Array.from({ length: 20 }, (_, i) => i * MINUTE),
      ['n'],
      ['path'],
    );
    expect(series.groups).toHaveLength(MAX_GROUPS);
    expect(series.groups[0]!.label).toBe(`path=/p${MAX_GROUPS + 2}`);
    expect(series.omittedGroups).toBe(3);
  });

  it('takes a functional query’s numbers as metrics and the rest as groups', () => {
    expect(inferColumns([row(0, { region: 'east', orders: 3, status: '200' })])).toEqual({
      metrics: ['orders'],
      groupBy: ['region', 'status'],
    });
  });
});
