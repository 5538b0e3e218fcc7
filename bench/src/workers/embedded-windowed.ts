/**
 * The embedded defaults end to end in a fresh process: the pv-uv example job's `backfill` of a day
 * of per-minute PV/UV from an NDJSON file into SQLite (fresh index cache and sink each time).
 * Reports wall time and the process's peak RSS.
 */
import { job as pvUv } from '../../../examples/pv-uv/job.js';
import { answer, workerInput } from '../lib/worker-io.js';

interface Input {
  file: string;
  workDir: string;
  from: number;
  to: number;
}

await answer(async () => {
  const input = workerInput<Input>();
  const started = performance.now();
  const job = pvUv.with({
    source: { type: 'ndjson', path: input.file, cacheDir: `${input.workDir}/cache` },
    sink: `sqlite:${input.workDir}/pv_uv.db`,
  });
  const result = await job.backfill({ from: new Date(input.from), to: new Date(input.to) });
  await job.close();
  const ms = performance.now() - started;
  if (result.failed > 0)
    throw new Error(
      `${result.failed} windows failed: ${result.windows.find((w) => w.error)?.error?.message}`,
    );
  return { ms, windows: result.computed, maxRssKb: process.resourceUsage().maxRSS };
});
