import type mysql from 'mysql2/promise';
import { benchDbUrl } from '../lib/config.js';
import type { BenchContext, Benchmark } from '../lib/context.js';
import { oneDayLogs } from '../lib/datasets.js';
import { type LogDataset, resetHandSink, resetWindowedJob } from '../lib/mariadb.js';
import { result } from '../lib/results.js';
import { median } from '../lib/stats.js';
import { runWorker } from '../lib/workers.js';

/** The pv-uv example's job name: its ledger rows are reset before each measurement. */
export const WINDOWED_JOB = 'pv_uv';
const WINDOWED_SINK = 'pv_uv_backfill';
const HAND_SINK = 'pv_uv_backfill_hand';

interface BackfillTiming {
  ms: number;
  windows: number;
}

/** One windowed backfill of `ds` into an empty sink and ledger, in a fresh process. */
export async function windowedBackfill(ctx: BenchContext, ds: LogDataset): Promise<BackfillTiming> {
  await resetWindowedJob(await ctx.db(), WINDOWED_JOB, WINDOWED_SINK);
  return runWorker<BackfillTiming>('backfill', {
    mode: 'windowed',
    url: benchDbUrl(),
    logTable: ds.table,
    sinkTable: WINDOWED_SINK,
    from: ds.from,
    to: ds.to,
  });
}

export const backfill: Benchmark = {
  name: 'backfill',
  describe:
    'the pv-uv job over one day of one-minute windows, MariaDB to MariaDB, vs one INSERT … SELECT … GROUP BY minute',
  async run(ctx) {
    const ds = await oneDayLogs(ctx);
    const times = { windowed: [] as number[], hand: [] as number[] };
    for (let rep = 0; rep < ctx.sizes.backfillReps; rep++) {
      const order = rep % 2 ? (['hand', 'windowed'] as const) : (['windowed', 'hand'] as const);
      for (const mode of order) {
        if (mode === 'windowed') {
          times.windowed.push((await windowedBackfill(ctx, ds)).ms);
        } else {
          await resetHandSink(await ctx.db(), HAND_SINK);
          const timing = await runWorker<BackfillTiming>('backfill', {
            mode: 'hand',
            url: benchDbUrl(),
            logTable: ds.table,
            sinkTable: HAND_SINK,
            from: ds.from,
            to: ds.to,
          });
          times.hand.push(timing.ms);
        }
      }
      ctx.log(
        `  rep ${rep + 1}: windowed ${fmtS(times.windowed.at(-1)!)}, hand-written ${fmtS(times.hand.at(-1)!)}`,
      );
    }
    await checkSameResults(ctx);
    return [
      result({
        name: 'backfill.1d',
        unit: 's',
        value: median(times.windowed) / 1000,
        baseline: median(times.hand) / 1000,
        target: { on: 'ratio', op: '<=', limit: 1.5 },
        note: `${ds.rows.toLocaleString('en-US')} rows, 1440 windows, median of ${ctx.sizes.backfillReps}`,
      }),
    ];
  },
};

const fmtS = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Both wrote the same PV/UV for every minute: the comparison is of the same job. */
async function checkSameResults(ctx: BenchContext): Promise<void> {
  const db = await ctx.db();
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    `SELECT
       (SELECT COUNT(*) FROM ${WINDOWED_SINK} WHERE job = ?) AS windowed_windows,
       (SELECT COALESCE(SUM(pv), 0) FROM ${WINDOWED_SINK} WHERE job = ?) AS windowed_pv,
       (SELECT COALESCE(SUM(pv), 0) FROM ${HAND_SINK}) AS hand_pv,
       (SELECT COUNT(*) FROM ${WINDOWED_SINK} w JOIN ${HAND_SINK} h ON h.window_start = w.window_start
          WHERE w.job = ? AND w.pv = h.pv AND w.uv = h.uv) AS same`,
    [WINDOWED_JOB, WINDOWED_JOB, WINDOWED_JOB],
  );
  const r = rows[0]!;
  if (
    Number(r.windowed_windows) !== 1440 ||
    Number(r.same) !== 1440 ||
    Number(r.windowed_pv) !== Number(r.hand_pv)
  ) {
    throw new Error(
      `backfill: windowed and the baseline wrote different results: ${JSON.stringify(r)} (expected 1440 equal windows)`,
    );
  }
}
