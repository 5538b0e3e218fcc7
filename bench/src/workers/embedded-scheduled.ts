/**
 * Scheduled runs on a warm cache: the pv-uv job's `run` for one window at a time, in one process,
 * over the cache and sink a backfill left in the work folder (nothing to ingest: the file did not
 * change). The first run also opens DuckDB and the sink; the others are a warm process's runs.
 */
import { manualTrigger } from '@windowed/core';
import { job as pvUv } from '../../../examples/pv-uv/job.js';
import { answer, workerInput } from '../lib/worker-io.js';

interface Input {
  file: string;
  workDir: string;
  /** Scheduled times (ms): each computes the minute that ended 30 s before. */
  at: number[];
}

await answer(async () => {
  const input = workerInput<Input>();
  const job = pvUv.with({
    source: { type: 'ndjson', path: input.file, cacheDir: `${input.workDir}/cache` },
    sink: `sqlite:${input.workDir}/pv_uv.db`,
  });
  const runs: number[] = [];
  for (const [i, at] of input.at.entries()) {
    const started = performance.now();
    const result = await job.run(manualTrigger(new Date(at), { id: `bench-${i}` }));
    runs.push(performance.now() - started);
    if (result.windows.some((w) => w.status !== 'succeeded') || result.windows.length !== 1)
      throw new Error(`scheduled run ${new Date(at).toISOString()}: ${JSON.stringify(result.windows)}`);
  }
  await job.close();
  return { runs, maxRssKb: process.resourceUsage().maxRSS };
});
