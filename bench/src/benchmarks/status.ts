import { defineWindowedJob, type WindowedJob } from '@windowed/core';
import type mysql from 'mysql2/promise';
import { benchDbUrl } from '../lib/config.js';
import type { Benchmark } from '../lib/context.js';
import type { Db } from '../lib/mariadb.js';
import { result } from '../lib/results.js';
import { median } from '../lib/stats.js';

const JOB = 'bench_status';
const SINK_TABLE = 'bench_status_sink';
const FROM = Date.parse('2024-01-01T00:00:00Z');
const REPS = 5;

/**
 * `job.status()` over a ledger of 1,100,000 one-minute windows (two years) — mostly succeeded, with
 * failed, stale and missing windows scattered through — against a plain `SELECT COUNT(*)` over the
 * same ledger rows, measured in the same run. The summary is computed in the database (one grouped
 * scan of the rows, the rows not succeeded through the ledger's status index), so it should cost
 * about a few scans of those rows, not a round trip per window nor a row per window back to the client.
 */
export const status: Benchmark = {
  name: 'status',
  describe: 'job.status() over 1,100,000 one-minute ledger windows vs SELECT COUNT(*) over them',
  async run(ctx) {
    const windows = ctx.quick ? 110_000 : 1_100_000;
    const db = await ctx.db();
    const job = defineWindowedJob({
      name: JOB,
      window: '1m',
      query: async () => [{ n: 1 }],
      sink: benchDbUrl(SINK_TABLE),
      logger: false,
    });
    try {
      const { sink, fingerprint } = await ensureLedger(db, job, windows, ctx.log);
      const summaries: number[] = [];
      const counts: number[] = [];
      let last: Awaited<ReturnType<WindowedJob['status']>> | undefined;
      for (let rep = 0; rep < REPS; rep++) {
        let t = performance.now();
        last = await job.status();
        summaries.push(performance.now() - t);
        t = performance.now();
        await db.query('SELECT COUNT(*) AS n FROM windowed_runs WHERE job = ? AND sink = ?', [JOB, sink]);
        counts.push(performance.now() - t);
      }
      const c = last!.counts;
      ctx.log(
        `  ${windows.toLocaleString('en-US')} windows: ${JSON.stringify(c)}, ${last!.ranges.length} ranges; status ${median(summaries).toFixed(0)} ms, COUNT(*) ${median(counts).toFixed(0)} ms`,
      );
      if (c.succeeded + c.failed + c.stale + c.missing !== windows || c.stale === 0 || c.missing === 0)
        throw new Error(
          `status.summary: unexpected counts ${JSON.stringify(c)} (fingerprint ${fingerprint})`,
        );
      return [
        result({
          name: 'status.summary',
          unit: 's',
          value: median(summaries) / 1000,
          baseline: median(counts) / 1000,
          target: { on: 'value', op: '<=', limit: 2 },
          note: `${windows.toLocaleString('en-US')} one-minute windows in ${last!.ranges.length} ranges; baseline: SELECT COUNT(*) over the same ledger rows`,
        }),
      ];
    } finally {
      await job.close();
    }
  },
};

/**
 * The job's ledger holds `windows` rows from FROM (kept between runs): every 997th window failed,
 * every 1009th never recorded, one day in 30 computed under another definition.
 */
async function ensureLedger(
  db: Db,
  job: WindowedJob,
  windows: number,
  log: (message: string) => void,
): Promise<{ sink: string; fingerprint: string }> {
  // One real window creates (or migrates) the ledger, and says which sink and definition it records.
  await job.backfill({ from: new Date(FROM), to: new Date(FROM + 60_000), force: true });
  const { sink, fingerprint } = await job.status({ maxRanges: 1 });
  const expected = windows - Math.floor((windows - 1) / 1009);
  const [have] = await db.query<mysql.RowDataPacket[]>(
    'SELECT COUNT(*) AS n FROM windowed_runs WHERE job = ? AND sink = ?',
    [JOB, sink],
  );
  if (Number(have[0]?.n) === expected) return { sink, fingerprint: fingerprint! };
  log(`  filling the ledger with ${windows.toLocaleString('en-US')} windows (kept for later runs)…`);
  await db.query('DELETE FROM windowed_runs WHERE job = ?', [JOB]);
  const CHUNK = 100_000;
  for (let from = 0; from < windows; from += CHUNK) {
    const to = Math.min(windows, from + CHUNK) - 1;
    await db.query(
      `INSERT INTO windowed_runs (job, sink, window_start, window_end, status, attempts, last_error, trigger_id, updated_at, fingerprint)
       SELECT ?, ?, ? + INTERVAL seq MINUTE, ? + INTERVAL seq + 1 MINUTE,
              IF(seq % 997 = 1, 'failed', 'succeeded'), 1, IF(seq % 997 = 1, 'SOURCE_FAILED: bench', NULL),
              'bench', NOW(3), IF(FLOOR(seq / 1440) % 30 = 7, 'another-definition', ?)
       FROM seq_${from}_to_${to} WHERE seq = 0 OR seq % 1009 <> 0`,
      [JOB, sink, new Date(FROM), new Date(FROM), fingerprint],
    );
  }
  return { sink, fingerprint: fingerprint! };
}
