/**
 * The baseline for a scheduled run on a warm cache: the same minute's PV/UV as one DuckDB query over
 * the Parquet files the cache holds (what windowed's source reads), in one process, one minute at a
 * time — DuckDB's own cost, without windowed's ledger, sink write, manifest and file checks.
 */
import { openDuckDB } from '../lib/day.js';
import { MAX_STATUS, PAGES } from '../lib/pv-uv.js';
import { answer, workerInput } from '../lib/worker-io.js';

interface Input {
  workDir: string;
  at: number[];
}

/** Field columns in the cache are named by the field's UTF-8 bytes in hex (packages/core/src/sources/files/fields.ts). */
const column = (field: string) => `"f_${Buffer.from(field, 'utf8').toString('hex')}"`;

await answer(async () => {
  const input = workerInput<Input>();
  const started = performance.now();
  const { connection, close } = await openDuckDB();
  await connection.run('SET parquet_metadata_cache = true');
  const segments = `read_parquet('${input.workDir.replaceAll("'", "''")}/cache/*/seg-*.parquet', union_by_name = true)`;
  const pages = PAGES.map((p) => `'${JSON.stringify(p)}'`).join(', ');
  const runs: number[] = [];
  for (const at of input.at) {
    // The first run includes loading DuckDB and opening it, as windowed's first run does.
    const begun = runs.length === 0 ? started : performance.now();
    const end = at - 30_000;
    const reader = await connection.runAndReadAll(
      `select count(*) as pv, count(distinct ${column('user_id')}) as uv from ${segments}
       where __windowed_ts >= ${end - 60_000} and __windowed_ts < ${end} and __windowed_bad is null
         and try_cast(${column('status')} as double) < ${MAX_STATUS} and ${column('path')} in (${pages})`,
    );
    reader.getRowObjectsJS();
    runs.push(performance.now() - begun);
  }
  close();
  return { runs, maxRssKb: process.resourceUsage().maxRSS };
});
