import { DAY_MS, DAY_START } from './config.js';
import type { BenchContext } from './context.js';
import { ensureLogDataset, type LogDataset } from './mariadb.js';

/** The one-day log table: backfill, warm invocations, growth's 1-day side. */
export async function oneDayLogs(ctx: BenchContext): Promise<LogDataset> {
  const ds = {
    table: ctx.quick ? 'access_log_quick' : 'access_log',
    rows: ctx.sizes.backfillRows,
    from: DAY_START,
    to: DAY_START + DAY_MS,
  };
  await ensureLogDataset(await ctx.db(), ds, ctx.log);
  return ds;
}

/** The same number of rows spread over seven days: 7× the windows, the same rows. */
export async function sevenDayLogs(ctx: BenchContext): Promise<LogDataset> {
  const ds = {
    table: ctx.quick ? 'access_log_7d_quick' : 'access_log_7d',
    rows: ctx.sizes.backfillRows,
    from: DAY_START,
    to: DAY_START + 7 * DAY_MS,
  };
  await ensureLogDataset(await ctx.db(), ds, ctx.log);
  return ds;
}
