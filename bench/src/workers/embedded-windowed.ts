/**
 * The embedded defaults end to end in a fresh process: the pv-uv example job's `backfill` of a day
 * of per-minute PV/UV from an NDJSON file into SQLite (fresh cache, sink and ledger unless the work
 * folder already holds them). Reports wall time, the process's peak RSS, and (read after the clock
 * stops) a digest of the numbers written.
 */
import Database from 'better-sqlite3';
import { job as pvUv } from '../../../examples/pv-uv/job.js';
import type { DayInput } from '../lib/day.js';
import { digestMinutes } from '../lib/digest.js';
import { answer, cpuTime, workerInput } from '../lib/worker-io.js';

await answer(async () => {
  const input = workerInput<DayInput>();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const job = pvUv.with({
    source: { type: 'ndjson', path: input.file, cacheDir: `${input.workDir}/cache` },
    sink: `sqlite:${input.workDir}/pv_uv.db`,
  });
  const result = await job.backfill({ from: new Date(input.from), to: new Date(input.to) });
  await job.close();
  const ms = performance.now() - started;
  const cpuMs = cpuTime(cpu);
  const maxRssKb = process.resourceUsage().maxRSS;
  if (result.failed > 0)
    throw new Error(
      `${result.failed} windows failed: ${result.windows.find((w) => w.error)?.error?.message}`,
    );
  const db = new Database(`${input.workDir}/pv_uv.db`, { readonly: true });
  const rows = db.prepare('select window_start, pv, uv from pv_uv').all() as Array<{
    window_start: string;
    pv: number;
    uv: number;
  }>;
  db.close();
  return {
    ms,
    cpuMs,
    computed: result.computed,
    maxRssKb,
    ...digestMinutes(rows.map((r) => [Date.parse(r.window_start), r.pv, r.uv] as const)),
  };
});
