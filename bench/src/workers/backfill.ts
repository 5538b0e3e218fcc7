/**
 * One backfill in a fresh process: the pv-uv example job's `backfill` over a range, or the
 * hand-written baseline — a single `INSERT … SELECT … GROUP BY <minute>` with the same filters, on
 * the server. Sink tables start empty.
 */
import mysql from 'mysql2/promise';
import { job as pvUv } from '../../../examples/pv-uv/job.js';
import { answer, workerInput } from '../lib/worker-io.js';

const PAGES = ['/', '/search', '/products', '/cart', '/checkout', '/login', '/account', '/help'];

interface Input {
  mode: 'windowed' | 'hand';
  /** `mysql://…/windowed_bench` */
  url: string;
  logTable: string;
  sinkTable: string;
  from: number;
  to: number;
}

await answer(async () => {
  const input = workerInput<Input>();
  return input.mode === 'windowed' ? windowed(input) : hand(input);
});

async function windowed(input: Input) {
  const started = performance.now();
  const job = pvUv.with({
    source: { type: 'sql', url: input.url, table: input.logTable, timeColumn: 'ts' },
    sink: { url: input.url, table: input.sinkTable },
  });
  const result = await job.backfill({ from: new Date(input.from), to: new Date(input.to) });
  await job.close();
  if (result.failed > 0)
    throw new Error(
      `${result.failed} windows failed: ${result.windows.find((w) => w.error)?.error?.message}`,
    );
  return { ms: performance.now() - started, windows: result.computed };
}

async function hand(input: Input) {
  const started = performance.now();
  const db = await mysql.createConnection({ uri: input.url, timezone: 'Z' });
  // Sessions in UTC, so UNIX_TIMESTAMP/FROM_UNIXTIME read the DATETIME column as UTC. The minute is a
  // DATETIME, not DATE_FORMAT text: grouping text under mysql2's default utf8mb4_unicode_ci
  // collation is 2-3× slower, and a careful engineer would not pay that.
  await db.query("SET time_zone = '+00:00'");
  const [res] = await db.query<mysql.ResultSetHeader>(
    `INSERT INTO ${input.sinkTable} (window_start, window_end, pv, uv)
     SELECT minute, minute + INTERVAL 1 MINUTE, COUNT(*), COUNT(DISTINCT user_id)
     FROM (SELECT FROM_UNIXTIME(UNIX_TIMESTAMP(ts) DIV 60 * 60) AS minute, user_id
           FROM ${input.logTable}
           WHERE ts >= ? AND ts < ? AND status < 400 AND path IN (?)) AS logs
     GROUP BY minute`,
    [new Date(input.from), new Date(input.to), PAGES],
  );
  await db.end();
  return { ms: performance.now() - started, windows: res.affectedRows };
}
