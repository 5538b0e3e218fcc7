/**
 * The motivating handler, exactly as a newcomer writes it — DO NOT COPY. Every line looks fine in a
 * quick test; each marked one is wrong on Function Compute / Lambda:
 *
 * 1. The window is computed at module scope. Module scope runs once per cold start, and FC/Lambda
 *    reuse a warm instance for later invocations: every warm invocation re-counts the same minute.
 * 2. The window comes from the wall clock. Async invocations queue behind the concurrency limit
 *    and are retried; a run scheduled for 12:00 may start at 12:10 and count the wrong minute.
 * 3. A plain INSERT: when the platform retries an invocation, the minute is stored twice.
 * 4. The error is swallowed: the platform sees success, so it neither retries nor delivers the
 *    event to the failure destination. The minute is silently lost.
 *
 * `windowed simulate --handler ./handler.ts` shows all four; examples/pv-uv/aliyun.ts is the fix.
 */
import knex from 'knex';

// Fine: connections are worth reusing across warm invocations.
const db = knex({
  client: 'better-sqlite3',
  connection: { filename: (process.env.DATABASE_URL ?? 'sqlite:.windowed/lab.db').replace(/^sqlite:/, '') },
  useNullAsDefault: true,
});

// BUG 1 + 2: frozen at cold start, and taken from the clock instead of the trigger.
const now = new Date();
const end = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
const start = new Date(end.getTime() - 60_000);

type Callback = (error: Error | null, result?: unknown) => void;

export const handler = (_event: unknown, _context: unknown, callback: Callback): void => {
  (async () => {
    const [row] = await db('access_log')
      .where('ts', '>=', start.toISOString())
      .andWhere('ts', '<', end.toISOString())
      .select(db.raw('count(*) as pv'), db.raw('count(distinct user_id) as uv'));
    // BUG 3: a retried invocation inserts the minute again.
    await db('pv_uv').insert({
      window_start: start.toISOString(),
      window_end: end.toISOString(),
      pv: (row as { pv: number }).pv,
      uv: (row as { uv: number }).uv,
    });
  })()
    // BUG 4: swallowed — FC records a success.
    .catch((error) => console.error('pv_uv failed', error))
    .finally(() => callback(null, 'ok'));
};

export async function close(): Promise<void> {
  await db.destroy();
}
