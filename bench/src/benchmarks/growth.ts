import type { Benchmark } from '../lib/context.js';
import { oneDayLogs, sevenDayLogs } from '../lib/datasets.js';
import { result } from '../lib/results.js';
import { median } from '../lib/stats.js';
import { windowedBackfill } from './backfill.js';

/**
 * The same rows over 1 day and over 7 days: 7× the windows. A backfill whose cost follows the rows
 * costs about the same; one that pays per window per row (a query per window without a range, a
 * rescan per window) costs 7×.
 */
export const growth: Benchmark = {
  name: 'growth',
  describe: 'windowed backfill of the same rows over 7 days (7× the windows) vs over 1 day',
  async run(ctx) {
    const day = await oneDayLogs(ctx);
    const week = await sevenDayLogs(ctx);
    const times = { day: [] as number[], week: [] as number[] };
    for (let rep = 0; rep < ctx.sizes.growthReps; rep++) {
      const order = rep % 2 ? (['week', 'day'] as const) : (['day', 'week'] as const);
      for (const which of order)
        times[which].push((await windowedBackfill(ctx, which === 'day' ? day : week)).ms);
      ctx.log(
        `  rep ${rep + 1}: 1 day ${(times.day.at(-1)! / 1000).toFixed(2)} s, 7 days ${(times.week.at(-1)! / 1000).toFixed(2)} s`,
      );
    }
    return [
      result({
        name: 'growth.7d_vs_1d',
        unit: 's',
        value: median(times.week) / 1000,
        baseline: median(times.day) / 1000,
        target: { on: 'ratio', op: '<=', limit: 2 },
        note: `${day.rows.toLocaleString('en-US')} rows either way; 10080 vs 1440 windows (windows × rows would give ≈ 7)`,
      }),
    ];
  },
};
