/**
 * The DuckDB baseline for the embedded default: the one query a team would type instead of windowed —
 * `read_json … GROUP BY minute` over the same file, with the pv-uv filters, exact distinct users —
 * in a fresh process, with the thread count and memory limit windowed's file sources default to.
 */
import { type DayInput, openDuckDB } from '../lib/day.js';
import { digestMinutes } from '../lib/digest.js';
import { MAX_STATUS, PAGES } from '../lib/pv-uv.js';
import { answer, cpuTime, workerInput } from '../lib/worker-io.js';

await answer(async () => {
  const input = workerInput<DayInput>();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const { connection, close } = await openDuckDB();
  const pages = PAGES.map((p) => `'${p}'`).join(', ');
  const reader = await connection.runAndReadAll(
    `select (epoch_ms(time::timestamptz) // 60000) * 60000 as minute, count(*) as pv, count(distinct user_id) as uv
     from read_json('${input.file.replaceAll("'", "''")}', format = 'newline_delimited',
       columns = {time: 'VARCHAR', user_id: 'VARCHAR', path: 'VARCHAR', status: 'BIGINT'})
     where status < ${MAX_STATUS} and path in (${pages})
       and epoch_ms(time::timestamptz) >= ${input.from} and epoch_ms(time::timestamptz) < ${input.to}
     group by all`,
  );
  const rows = reader.getRowObjectsJS() as Array<{ minute: bigint; pv: bigint; uv: bigint }>;
  close();
  const ms = performance.now() - started;
  const cpuMs = cpuTime(cpu);
  return {
    ms,
    cpuMs,
    maxRssKb: process.resourceUsage().maxRSS,
    ...digestMinutes(rows.map((r) => [Number(r.minute), Number(r.pv), Number(r.uv)] as const)),
  };
});
