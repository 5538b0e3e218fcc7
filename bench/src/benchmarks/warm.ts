import type mysql from 'mysql2/promise';
import { buildBundles } from '../lib/bundles.js';
import { benchDbUrl } from '../lib/config.js';
import type { Benchmark } from '../lib/context.js';
import { oneDayLogs } from '../lib/datasets.js';
import { resetHandSink, resetWindowedJob } from '../lib/mariadb.js';
import { result } from '../lib/results.js';
import { median, percentile } from '../lib/stats.js';
import { runWorker } from '../lib/workers.js';

const JOB = 'pv_uv';
const WINDOWED_SINK = 'pv_uv_warm';
const HAND_SINK = 'pv_uv_warm_hand';

export const warm: Benchmark = {
  name: 'warm',
  describe: 'warm invocation of the deployed pv-uv bundle (lambdaHandler) vs the hand-written handler',
  async run(ctx) {
    const ds = await oneDayLogs(ctx);
    const db = await ctx.db();
    await resetWindowedJob(db, JOB, WINDOWED_SINK);
    await resetHandSink(db, HAND_SINK);
    const bundles = await buildBundles();
    const { warmInvocations: invocations, warmWarmup: warmup } = ctx.sizes;
    const times = await withEnv(functionEnv(ds.table, WINDOWED_SINK, HAND_SINK), () =>
      runWorker<{ windowed: number[]; hand: number[] }>('warm', {
        windowedBundle: bundles.windowed.file,
        handBundle: bundles.hand.file,
        invocations,
        warmup,
        from: ds.from,
      }),
    );
    await checkSameResults(db, invocations + warmup);
    const note = `${invocations} invocations each, interleaved, ≈${Math.round(ds.rows / 1440)} log rows per minute`;
    return [
      result({
        name: 'warm.median',
        unit: 'ms',
        value: median(times.windowed),
        baseline: median(times.hand),
        target: { on: 'ratio', op: '<=', limit: 1.2 },
        note,
      }),
      result({
        name: 'warm.p95',
        unit: 'ms',
        value: percentile(times.windowed, 95),
        baseline: percentile(times.hand, 95),
        target: null,
        note,
      }),
    ];
  },
};

/**
 * What the two functions are configured with, as on Lambda: the deployed pv-uv function reads its
 * source and sink from WINDOWED_SOURCE / WINDOWED_SINK, the hand-written one from its own variables.
 */
export function functionEnv(
  logTable: string,
  windowedSink: string,
  handSink: string,
): Record<string, string> {
  const source = new URL(benchDbUrl(logTable));
  source.searchParams.set('timeColumn', 'ts');
  return {
    WINDOWED_SOURCE: source.toString(),
    WINDOWED_SINK: benchDbUrl(windowedSink),
    BENCH_MYSQL_URL: benchDbUrl(),
    BENCH_LOG_TABLE: logTable,
    BENCH_HAND_SINK_TABLE: handSink,
  };
}

/** Worker processes inherit the environment: the bundles read their connection settings from it, as on Lambda. */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

async function checkSameResults(db: mysql.Connection, windows: number): Promise<void> {
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    `SELECT COUNT(*) AS n, SUM(w.pv = h.pv AND w.uv = h.uv) AS same
     FROM ${WINDOWED_SINK} w JOIN ${HAND_SINK} h ON h.window_start = w.window_start WHERE w.job = ?`,
    [JOB],
  );
  const r = rows[0]!;
  if (Number(r.n) !== windows || Number(r.same) !== windows) {
    throw new Error(
      `warm: the two handlers wrote different results: ${JSON.stringify(r)} (expected ${windows} equal windows)`,
    );
  }
}

export { withEnv };
