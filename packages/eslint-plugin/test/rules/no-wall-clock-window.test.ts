import { noWallClockWindow } from '../../src/rules/no-wall-clock-window.js';
import { ruleTester } from '../rule-tester.js';

const WHERE = { handler: 'a handler', query: "a job's query function", sink: "a sink's write()" } as const;
const FIX = {
  handler:
    "Take the window from the trigger: the event's scheduled time (`fromScheduledEvent` / `fromFcTimerEvent`) and `job.windowFor(trigger)`, or let `lambdaHandler(job)` / `fcHandler(job)` do it.",
  query: 'Use the `window` the query receives: query the range [window.start, window.end).',
  sink: 'Use the windows write() receives: each one carries its window.start and window.end.',
} as const;

const TRUNCATED = 'truncated to a window boundary';
const MOVED_BACK = 'moved back by a fixed duration';
const BOUND = 'used as a time bound of a query';

/** One error at `line`: `read`, `use`d, in a function of `kind`. */
const error = (line: number, read: string, use: string, kind: keyof typeof WHERE = 'handler') => ({
  messageId: 'wallClockWindow',
  data: { read, use, where: WHERE[kind], fix: FIX[kind] },
  line,
});

/** A job whose query function is `query`. */
const job = (query: string) =>
  `import { defineWindowedJob } from '@windowed/core';\nexport const job = defineWindowedJob({\n  name: 'pv',\n  window: '1m',\n  query: ${query},\n});`;

ruleTester().run('no-wall-clock-window', noWallClockWindow, {
  valid: [
    {
      name: 'timing: performance.now() - t0',
      code: `export const handler = async (event) => {\n  const t0 = performance.now();\n  await job.run(fromScheduledEvent(event));\n  console.log('took', performance.now() - t0, 'ms');\n};`,
    },
    {
      name: 'timing with Date.now() and a let assigned later',
      code: `export const handler = async (event) => {\n  let started;\n  started = Date.now();\n  await work(event);\n  metrics.put({ durationMs: Date.now() - started });\n  await db.query('INSERT INTO slow SELECT * FROM runs WHERE duration_ms > ?', [Date.now() - started]);\n};`,
    },
    {
      name: 'lag of the run behind its schedule: now minus a parsed instant',
      code: `export const handler = async (event) => {\n  const lagMs = Date.now() - Date.parse(event.time);\n  const lag2 = Date.now() - new Date(event.time).getTime();\n  log({ lagMs, lag2 });\n};`,
    },
    {
      name: 'elapsed time from a parameter, returned by a helper the handler calls',
      code: `function elapsed(since) { return Date.now() - since; }\nexport const handler = async (event) => {\n  log({ ms: elapsed(event.startedAt) });\n};`,
    },
    {
      name: 'timestamps: computedAt, updated_at, an INSERT parameter, an UPDATE … SET parameter',
      code: `export const handler = async (event) => {\n  const rows = (await query(event)).map((r) => ({ ...r, computedAt: new Date() }));\n  await db('pv').insert({ ...rows[0], updated_at: new Date().toISOString() });\n  await db.query('INSERT INTO pv (pv, computed_at) VALUES (?, ?)', [1, new Date()]);\n  await db.query('UPDATE runs SET updated_at = ? WHERE job = ?', [new Date(), 'pv']);\n  await db.query('UPDATE runs SET updated_at = $1 WHERE job = $2', [Date.now(), 'pv']);\n};`,
    },
    {
      name: 'unix seconds and a logged time are timestamps, not windows',
      code: `export const handler = async () => {\n  const ts = Math.floor(Date.now() / 1000);\n  console.log(\`run at \${new Date().toISOString()} (\${ts})\`);\n};`,
    },
    {
      name: 'deadlines and expiries look forward: now + duration, now > deadline',
      code: `export const handler = async (event, context) => {\n  const deadline = Date.now() + context.getRemainingTimeInMillis();\n  if (Date.now() > deadline) throw new Error('late');\n  const expiresAt = new Date(Date.now() + 3_600_000);\n  await cache.set('k', 1, { expiresAt });\n};`,
    },
    {
      name: 'a functional query that uses the window it is given',
      code: job(
        `async ({ window, source }) => {\n    const t0 = performance.now();\n    const rows = await source.rows(window.start, window.end);\n    log(performance.now() - t0);\n    return rows;\n  }`,
      ),
    },
    {
      name: "a sink's write() that stamps computed_at and uses each window",
      code: `export const sink = {\n  type: 'custom',\n  ledger: undefined,\n  async write(windows) {\n    for (const { window, rows } of windows)\n      await db.query('DELETE FROM pv WHERE window_start >= ? AND window_start < ?', [window.start, window.end]);\n    await db.query('INSERT INTO pv (computed_at) VALUES (?)', [new Date()]);\n  },\n  describe: () => 'custom',\n  async close() {},\n};`,
    },
    {
      name: 'a clock window outside any handler, query or sink is not this rule’s business',
      code: 'export function lastMinute() {\n  return new Date(Math.floor(Date.now() / 60_000) * 60_000);\n}',
    },
    {
      name: 'an object with write() but no close() is not a sink',
      code: 'export const log = { write(line) { const at = Date.now() - 60_000; out(line, at); } };',
    },
    {
      name: 'an equality on the clock in a query is not a range bound',
      code: `export const handler = async () => {\n  await db('runs').where('day', new Date().getUTCDay());\n  await db('runs').where('at', '=', new Date());\n};`,
    },
  ],
  invalid: [
    {
      name: 'the naive window, inside the handler: truncated with Math.floor(… / size) * size',
      code: `export const handler = async () => {\n  const now = new Date();\n  const end = new Date(Math.floor(now.getTime() / 60_000) * 60_000);\n  const start = new Date(end.getTime() - 60_000);\n  return { start, end };\n};`,
      errors: [error(2, 'new Date()', `${TRUNCATED} (Math.floor(now / size) * size)`)],
    },
    {
      name: 'moved back by a constant, also through a const duration',
      code: `const FIVE_MINUTES = 5 * 60 * 1000;\nexport const handler = async () => {\n  const from = Date.now() - 60_000;\n  const since = new Date(Date.now() - FIVE_MINUTES);\n  return { from, since };\n};`,
      errors: [error(3, 'Date.now()', MOVED_BACK), error(4, 'Date.now()', MOVED_BACK)],
    },
    {
      name: 'moved back by an unknown amount into a Date',
      code: 'export const handler = async (event) => {\n  const start = new Date(Date.now() - event.lookbackMs);\n  return start;\n};',
      errors: [error(2, 'Date.now()', 'moved back into a Date (new Date(now - …))')],
    },
    {
      name: 'now - now % size, and Date#setSeconds',
      code: `export const handler = async () => {\n  const now = Date.now();\n  const start = now - (now % 60_000);\n  const d = new Date();\n  d.setSeconds(0, 0);\n  return { start, d };\n};`,
      errors: [
        error(2, 'Date.now()', `${TRUNCATED} (now - now % size)`),
        error(4, 'new Date()', `${TRUNCATED} with .setSeconds()`),
      ],
    },
    {
      name: 'a trigger or window from the clock: manualTrigger, windowFor, scheduledTime, backfill',
      code: `export const handler = async () => {\n  await job.run(manualTrigger(new Date()));\n  const w = job.windowFor(Date.now());\n  await job.run({ source: 'manual', scheduledTime: new Date().toISOString() });\n  await job.backfill({ from: lastRun, to: new Date() });\n  return w;\n};`,
      errors: [
        error(2, 'new Date()', 'passed to manualTrigger()'),
        error(3, 'Date.now()', 'passed to windowFor()'),
        error(4, 'new Date()', 'used as the scheduled time of a trigger'),
        error(5, 'new Date()', 'passed to backfill()'),
      ],
    },
    {
      name: 'the ISO string cut to the minute',
      code: "export const handler = async () => {\n  const minute = new Date().toISOString().slice(0, 16);\n  await db('pv').where('minute', minute);\n};",
      errors: [error(2, 'new Date()', `${TRUNCATED} by cutting its text with .slice(0, …)`)],
    },
    {
      name: 'a functional query bounded by the clock in SQL template text',
      code: job(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the linted code holds a template literal
        'async ({ source }) => {\n    const end = Date.now();\n    return source.sql(`SELECT count(*) FROM logs WHERE ts >= ${lastEnd} AND ts < ${end}`);\n  }',
      ),
      errors: [error(6, 'Date.now()', BOUND, 'query')],
    },
    {
      name: 'a functional query (method syntax) bounded by the clock with knex where/whereBetween',
      code: job(
        "async function ({ db }) {\n    await db('logs').where('ts', '<', new Date()).count();\n    return db('logs').whereBetween('ts', [start, new Date()]);\n  }",
      ),
      errors: [error(6, 'new Date()', BOUND, 'query'), error(7, 'new Date()', BOUND, 'query')],
    },
    {
      name: 'a job spec object with window and query, outside defineWindowedJob; a tagged sql template',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the linted code holds a template literal
      code: 'export const spec = {\n  window: { size: "1h" },\n  query: async ({ sql }) => sql`SELECT 1 FROM t WHERE ts BETWEEN ${from} AND ${new Date()}`,\n};',
      errors: [error(3, 'new Date()', BOUND, 'query')],
    },
    {
      name: "a sink's write() bounded by the clock through ? and $n parameters",
      code: `export const sink = {\n  async write(windows) {\n    await db.query('DELETE FROM pv WHERE window_end <= ?', [new Date()]);\n    await pg.query('DELETE FROM pv WHERE job = $1 AND window_start > $2', ['pv', Date.now()]);\n  },\n  async close() {},\n};`,
      errors: [error(3, 'new Date()', BOUND, 'sink'), error(4, 'Date.now()', BOUND, 'sink')],
    },
    {
      name: 'a sink class (implements Sink) truncating the clock; a Mongo range',
      code: `import type { Sink } from '@windowed/core';\nexport class MongoSink implements Sink {\n  async write(windows) {\n    const d = new Date();\n    d.setUTCMinutes(0, 0, 0);\n    await this.c.deleteMany({ at: { $gte: new Date() } });\n  }\n}`,
      errors: [
        error(4, 'new Date()', `${TRUNCATED} with .setUTCMinutes()`, 'sink'),
        error(6, 'new Date()', BOUND, 'sink'),
      ],
    },
    {
      name: 'a sink typed with satisfies Sink',
      code: `export const sink = {\n  write: async () => { await db.query('DELETE FROM t WHERE ts < ?', [new Date()]); },\n} satisfies Sink;`,
      errors: [error(2, 'new Date()', BOUND, 'sink')],
    },
    {
      name: 'luxon, dayjs and date-fns arithmetic on the clock',
      code: `import { DateTime } from 'luxon';\nimport dayjs from 'dayjs';\nimport { subMinutes, startOfMinute } from 'date-fns';\nexport const handler = async () => {\n  const a = DateTime.now().minus({ minutes: 1 }).startOf('minute');\n  const b = dayjs().subtract(1, 'minute');\n  const c = startOfMinute(subMinutes(new Date(), 1));\n  return [a, b, c];\n};`,
      errors: [
        error(5, 'DateTime.now()', 'shifted with .minus()'),
        error(6, 'dayjs()', 'shifted with .subtract()'),
        error(7, 'new Date()', 'shifted with subMinutes()'),
      ],
    },
    {
      name: "a helper of the module called from the handler, and a clock helper's return value",
      code: `function currentMinute() {\n  const n = Date.now();\n  return n - (n % 60_000);\n}\nconst now = () => Date.now();\nexport const handler = async () => {\n  const start = now() - 60_000;\n  return job.run(manualTrigger(new Date(currentMinute())));\n};`,
      errors: [error(2, 'Date.now()', `${TRUNCATED} (now - now % size)`), error(5, 'Date.now()', MOVED_BACK)],
    },
    {
      name: 'a wrapped handler (middy), a CommonJS handler, and handlerExports',
      code: `exports.handler = middy(async () => ({ from: Date.now() - 300_000 }));\nexports.main = async function () { return Date.now() - 300_000; };`,
      options: [{ handlerExports: ['handler', 'main'] }],
      languageOptions: { sourceType: 'commonjs' },
      errors: [error(1, 'Date.now()', MOVED_BACK), error(2, 'Date.now()', MOVED_BACK)],
    },
    {
      name: 'a local function exported as the handler; nested callbacks belong to it',
      code: `async function run(event) {\n  return Promise.all([1, 2].map((i) => db('pv').where('ts', '>=', new Date(Date.now() - i * 60_000))));\n}\nexport { run as handler };`,
      errors: [error(2, 'Date.now()', 'moved back into a Date (new Date(now - …))')],
    },
    {
      name: 'TypeScript wrappers and conditionals do not hide the flow',
      code: `export const handler = async (event: { at?: string }) => {\n  const at = (event.at ? new Date(event.at) : (new Date() as Date))!;\n  return new Date(Math.floor(at.getTime() / 3_600_000) * 3_600_000);\n};`,
      errors: [error(2, 'new Date()', `${TRUNCATED} (Math.floor(now / size) * size)`)],
    },
  ],
});
