import {
  count,
  countDistinct,
  createSqlSource,
  defineWindowedJob,
  type JobSpec,
  type Logger,
  manualTrigger,
  type Source,
  WindowedError,
  type WindowedJob,
} from '@windowed/core';
import { openTestKnex, testDatabases, uniqueName } from '@windowed/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogTable, insertLogs, type LogRow, sleep } from '../helpers.js';

const [sqlite] = await testDatabases(['sqlite']);
const db = sqlite!;
const knex = openTestKnex(db);
const logs = uniqueName('logs');
const jobs: WindowedJob[] = [];

/** One view per minute 10:00–10:59, user u<minute % 5>. */
const HOUR: LogRow[] = Array.from({ length: 60 }, (_, m) => ({
  ts: `2026-11-27T10:${String(m).padStart(2, '0')}:30.000Z`,
  user_id: `u${m % 5}`,
  path: '/',
  bytes: m,
}));

beforeAll(() => createLogTable(knex, db.dialect, logs, HOUR));
afterAll(async () => {
  await Promise.all(jobs.map((j) => j.close()));
  await knex.destroy();
});
afterEach(() => {
  delete process.env.WINDOWED_SINK;
});

const at = (hhmm: string) => manualTrigger(`2026-11-27T${hhmm}:00Z`, { id: `t-${hhmm}` });

function makeJob(patch: Partial<JobSpec> = {}): WindowedJob {
  const job = defineWindowedJob({
    name: uniqueName('job'),
    window: '1m',
    query: { metrics: { pv: count(), uv: countDistinct('user_id') } },
    source: { type: 'sql', url: db.url, table: logs, timeColumn: 'ts' },
    sink: db.url,
    logger: false,
    ...patch,
  });
  jobs.push(job);
  return job;
}

const stored = async (job: WindowedJob) =>
  (await knex(job.name).select('window_start', 'pv').orderBy('window_start')).map(
    (r: { window_start: string; pv: number }) => [new Date(r.window_start).toISOString().slice(11, 16), r.pv],
  );
const ledger = (job: WindowedJob) => knex('windowed_runs').where({ job: job.name }).orderBy('window_start');

/** A real source that can be told to fail, as a log service outage would. */
function flakySource(): Source & { failing: boolean } {
  const inner = createSqlSource({ url: db.url, table: logs, timeColumn: 'ts' });
  return {
    type: 'flaky',
    failing: false,
    describe: () => 'flaky',
    async query(query, window, options) {
      if (this.failing) throw new Error('log service unavailable (password=s3cretPW)');
      return inner.query(query, window, options);
    },
    close: () => inner.close!(),
  };
}

describe('catch-up of missed windows', () => {
  it('re-runs the windows between the last success and a later trigger, oldest first', async () => {
    const job = makeJob();
    await job.run(at('10:01'));
    const result = await job.run(at('10:05'));
    expect(result.window.key).toBe('2026-11-27T10:04:00.000Z');
    expect(result.windows.map((w) => [w.window.key.slice(11, 16), w.reason, w.status])).toEqual([
      ['10:01', 'catch-up', 'succeeded'],
      ['10:02', 'catch-up', 'succeeded'],
      ['10:03', 'catch-up', 'succeeded'],
      ['10:04', 'scheduled', 'succeeded'],
    ]);
    expect(await stored(job)).toEqual([
      ['10:00', 1],
      ['10:01', 1],
      ['10:02', 1],
      ['10:03', 1],
      ['10:04', 1],
    ]);
  });

  it('is capped by catchUp.maxWindows and continues on the next invocation', async () => {
    const job = makeJob({ catchUp: { maxWindows: 2 } });
    await job.run(at('10:01'));
    const second = await job.run(at('10:10'));
    expect(
      second.windows.filter((w) => w.reason === 'catch-up').map((w) => w.window.key.slice(11, 16)),
    ).toEqual(['10:01', '10:02']);
    const third = await job.run(at('10:11'));
    expect(
      third.windows.filter((w) => w.reason === 'catch-up').map((w) => w.window.key.slice(11, 16)),
    ).toEqual(['10:03', '10:04']);
  });

  it('a failed window is recorded, rethrown, and fixed by a later catch-up', async () => {
    const source = flakySource();
    const job = makeJob({ source });
    await job.run(at('10:01'));
    source.failing = true;
    const error = await job.run(at('10:02')).catch((e) => e);
    expect(error).toBeInstanceOf(WindowedError);
    expect(error.code).toBe('SOURCE_FAILED');
    expect(error.window.key).toBe('2026-11-27T10:01:00.000Z');
    expect(error.message).not.toContain('s3cretPW');
    const failed = (await ledger(job)).find((r: { window_start: string }) =>
      r.window_start.startsWith('2026-11-27T10:01'),
    );
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    expect(failed.last_error).toContain('log service unavailable');
    expect(failed.last_error).not.toContain('s3cretPW');
    source.failing = false;
    const later = await job.run(at('10:03'));
    expect(later.windows.map((w) => [w.window.key.slice(11, 16), w.reason, w.status])).toEqual([
      ['10:01', 'catch-up', 'succeeded'],
      ['10:02', 'scheduled', 'succeeded'],
    ]);
    const fixed = (await ledger(job)).find((r: { window_start: string }) =>
      r.window_start.startsWith('2026-11-27T10:01'),
    );
    expect(fixed).toMatchObject({ status: 'succeeded', attempts: 2, last_error: null });
  });

  it('treats a running row older than the function timeout as dead, and leaves a fresh one alone', async () => {
    const job = makeJob();
    await job.run(at('10:01'));
    const old = new Date(Date.now() - 60 * 60_000).toISOString();
    const fresh = new Date().toISOString();
    const { sink } = (await ledger(job))[0];
    await knex('windowed_runs').insert([
      {
        job: job.name,
        sink,
        window_start: '2026-11-27T10:01:00.000Z',
        window_end: '2026-11-27T10:02:00.000Z',
        status: 'running',
        attempts: 1,
        updated_at: old,
      },
      {
        job: job.name,
        sink,
        window_start: '2026-11-27T10:02:00.000Z',
        window_end: '2026-11-27T10:03:00.000Z',
        status: 'running',
        attempts: 1,
        updated_at: fresh,
      },
    ]);
    const result = await job.run(at('10:04'), { functionTimeoutMs: 15 * 60_000 });
    expect(result.windows.map((w) => [w.window.key.slice(11, 16), w.reason])).toEqual([
      ['10:01', 'catch-up'],
      ['10:03', 'scheduled'],
    ]);
  });
});

describe('a warm process and the windows it saw succeed', () => {
  it('asks the ledger again within 10 minutes of scheduled time, and a fresh process at once', async () => {
    const job = makeJob();
    for (const hhmm of ['10:01', '10:02', '10:03']) await job.run(at(hhmm));
    // Another invocation's failed re-run of 10:01 (its rows from the first run are still there).
    await knex('windowed_runs')
      .where({ job: job.name, window_start: '2026-11-27T10:01:00.000Z' })
      .update({ status: 'failed', last_error: 'a re-run failed elsewhere' });
    const catchUps: Record<string, string[]> = {};
    for (let m = 4; m <= 11; m++) {
      const hhmm = `10:${String(m).padStart(2, '0')}`;
      const result = await job.run(at(hhmm));
      catchUps[hhmm] = result.windows
        .filter((w) => w.reason === 'catch-up')
        .map((w) => w.window.key.slice(11, 16));
    }
    // The process last asked at 10:01; it asks again once 10 minutes of scheduled time have passed.
    expect(Object.entries(catchUps).filter(([, windows]) => windows.length > 0)).toEqual([
      ['10:11', ['10:01']],
    ]);
    const fixed = (await ledger(job)).find((r: { window_start: string }) =>
      r.window_start.startsWith('2026-11-27T10:01'),
    );
    expect(fixed).toMatchObject({ status: 'succeeded' });

    await knex('windowed_runs')
      .where({ job: job.name, window_start: '2026-11-27T10:05:00.000Z' })
      .update({ status: 'failed' });
    const fresh = job.with({});
    jobs.push(fresh);
    const result = await fresh.run(at('10:12'));
    expect(result.windows.map((w) => [w.window.key.slice(11, 16), w.reason])).toEqual([
      ['10:05', 'catch-up'],
      ['10:11', 'scheduled'],
    ]);
  });
});

describe('lateness', () => {
  it('re-computes recent windows so late-arriving rows are counted', async () => {
    const lateLogs = uniqueName('late');
    await createLogTable(knex, db.dialect, lateLogs, [
      { ts: '2026-11-27T12:01:10Z', user_id: 'a', path: '/', bytes: 1 },
    ]);
    const job = makeJob({
      window: { size: '1m', lateness: '2m' },
      source: { type: 'sql', url: db.url, table: lateLogs, timeColumn: 'ts' },
    });
    const first = await job.run(at('12:03'));
    expect(first.windows.map((w) => [w.window.key.slice(11, 16), w.reason])).toEqual([
      ['12:01', 'lateness'],
      ['12:02', 'scheduled'],
    ]);
    await insertLogs(knex, db.dialect, lateLogs, [
      { ts: '2026-11-27T12:02:40Z', user_id: 'b', path: '/', bytes: 1 },
    ]);
    await job.run(at('12:04'));
    expect(await stored(job)).toEqual([
      ['12:01', 1],
      ['12:02', 1],
      ['12:03', 0],
    ]);
    const row = await knex(job.name).where('window_start', '2026-11-27T12:02:00.000Z').first();
    expect(row.pv).toBe(1);
  });
});

describe('deadlines and failures reach the platform', () => {
  it('stops before the deadline, records DEADLINE_EXCEEDED and rethrows', async () => {
    const job = makeJob({
      query: async ({ signal }) => {
        await sleep(5_000, signal);
        return [{ pv: 1 }];
      },
    });
    const started = Date.now();
    const error = await job.run(at('10:01'), { deadline: Date.now() + 1_000 }).catch((e) => e);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    const [entry] = await ledger(job);
    expect(entry).toMatchObject({ status: 'failed' });
    expect(entry.last_error).toContain('DEADLINE_EXCEEDED');
  });

  it('an unreachable source with a password in its URL fails without leaking it', async () => {
    const job = makeJob({
      source: { type: 'sql', url: 'mysql://root:s3cretPW@127.0.0.1:1/test', table: 'logs' },
    });
    const error = await job.run(at('10:01')).catch((e) => e);
    expect(error.code).toBe('SOURCE_FAILED');
    expect(error.message).not.toContain('s3cretPW');
    const [entry] = await ledger(job);
    expect(entry.status).toBe('failed');
    expect(entry.last_error).not.toContain('s3cretPW');
  });
});

describe('an unreachable sink', () => {
  it('fails the run with LEDGER_FAILED before any work, without leaking the password', async () => {
    const job = makeJob({ sink: 'mysql://root:s3cretPW@127.0.0.1:1/test' });
    const error = await job.run(at('10:01')).catch((e) => e);
    expect(error).toBeInstanceOf(WindowedError);
    expect(error.code).toBe('LEDGER_FAILED');
    expect(error.message).toContain('127.0.0.1:1');
    expect(error.message).not.toContain('s3cretPW');
  });
});

describe('functional queries', () => {
  it('write whatever columns the function returns, once per window', async () => {
    const job = makeJob({
      query: async ({ window }) => [
        { region: 'cn', hits: window.start.getUTCMinutes() },
        { region: 'us', hits: 2.5 },
      ],
    });
    await job.run(at('10:08'));
    await job.run(at('10:08'));
    const rows = await knex(job.name).select('region', 'hits').orderBy('region');
    expect(rows).toEqual([
      { region: 'cn', hits: 7 },
      { region: 'us', hits: 2.5 },
    ]);
  });
});

describe('backfill', () => {
  it('is resumable after an interruption and skips windows already done', async () => {
    const job = makeJob();
    const controller = new AbortController();
    const first = await job.backfill({
      from: '2026-11-27T10:00:00Z',
      to: '2026-11-27T11:00:00Z',
      batchSize: 10,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.computed >= 20) controller.abort();
      },
    });
    expect(first.aborted).toBe(true);
    expect(first.total).toBe(60);
    expect(first.computed).toBe(20);
    const second = await job.backfill({
      from: '2026-11-27T10:00:00Z',
      to: '2026-11-27T11:00:00Z',
      batchSize: 10,
    });
    expect(second).toMatchObject({ total: 60, skipped: 20, computed: 40, failed: 0, aborted: false });
    const rows = await stored(job);
    expect(rows).toHaveLength(60);
    expect(rows.every(([, pv]) => pv === 1)).toBe(true);
    const forced = await job.backfill({
      from: '2026-11-27T10:00:00Z',
      to: '2026-11-27T11:00:00Z',
      force: true,
    });
    expect(forced).toMatchObject({ total: 60, computed: 60, skipped: 0 });
    expect(await stored(job)).toHaveLength(60);
  });

  it('rejects a range that is not ISO-8601', async () => {
    const job = makeJob();
    await expect(job.backfill({ from: 'yesterday', to: '2026-11-27T11:00:00Z' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('status reports the last success, failures and gaps', async () => {
    const source = flakySource();
    const job = makeJob({ source });
    await job.backfill({ from: '2026-11-27T10:00:00Z', to: '2026-11-27T10:03:00Z' });
    source.failing = true;
    await expect(job.run(at('10:04'))).rejects.toMatchObject({ code: 'SOURCE_FAILED' });
    const broken = await job.status();
    expect(broken.lastSucceeded?.start.toISOString()).toBe('2026-11-27T10:02:00.000Z');
    expect(broken.counts).toMatchObject({ succeeded: 3, failed: 1, missing: 0 });
    expect(broken.ranges.map((r) => [r.state, r.from.toISOString(), r.windows])).toEqual([
      ['succeeded', '2026-11-27T10:00:00.000Z', 3],
      ['failed', '2026-11-27T10:03:00.000Z', 1],
    ]);
    const failed = await job.windows({ from: '2026-11-27T10:03:00Z', to: '2026-11-27T10:04:00Z' });
    expect(failed.map((w) => [w.key, w.state, w.attempts])).toEqual([
      ['2026-11-27T10:03:00.000Z', 'failed', 1],
    ]);
    source.failing = false;
    await job.run(at('10:06'));
    const healed = await job.status();
    expect(healed.lastSucceeded?.start.toISOString()).toBe('2026-11-27T10:05:00.000Z');
    expect(healed.counts).toEqual({ succeeded: 6, failed: 0, running: 0, missing: 0, stale: 0 });
    expect(healed.ranges).toHaveLength(1);
    // From inside a window: the windows starting at or after it.
    const later = await job.status({ from: new Date('2026-11-27T10:01:30Z') });
    expect(later.counts).toMatchObject({ succeeded: 4, missing: 0 });
    expect(later.ranges.map((r) => [r.state, r.from.toISOString()])).toEqual([
      ['succeeded', '2026-11-27T10:02:00.000Z'],
    ]);
    await expect(job.status({ from: new Date(), bogus: 1 } as never)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('reading results back', () => {
  it('results() reads the newest windows from the sink the job writes to', async () => {
    const job = makeJob();
    await job.backfill({ from: '2026-11-27T10:00:00Z', to: '2026-11-27T10:05:00Z' });
    const rows = await job.results({ limit: 2 });
    expect(rows.map((r) => [r.windowStart.toISOString(), r.values.pv, r.values.uv])).toEqual([
      ['2026-11-27T10:04:00.000Z', 1, 1],
      ['2026-11-27T10:03:00.000Z', 1, 1],
    ]);
    expect((await job.describe()).sink).toContain(job.name);
  });

  it('results() says so when the sink keeps no rows', async () => {
    const job = makeJob({ sink: 'stdout:', state: db.url });
    await expect(job.results()).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });
});

describe('configuration', () => {
  it('WINDOWED_SINK overrides the job sink', async () => {
    const other = `sqlite:${db.url.slice('sqlite:'.length).replace(/\.db$/, '-override.db')}`;
    process.env.WINDOWED_SINK = `${other}?table=override_${uniqueName('x')}`;
    const job = makeJob({ sink: 'stdout:' });
    const result = await job.run(at('10:01'));
    expect(result.windows[0]!.status).toBe('succeeded');
    const check = openTestKnex({ dialect: 'sqlite', url: other });
    const table = process.env.WINDOWED_SINK.split('table=')[1]!;
    expect(await check(table).select('pv')).toEqual([{ pv: 1 }]);
    await check.destroy();
  });

  it('says once that there is no ledger when the sink keeps none', async () => {
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (m) => warnings.push(m) };
    const job = makeJob({
      sink: {
        write: async () => {},
        close: async () => {},
        ledger: undefined,
        type: 'memory',
        describe: () => 'memory',
      },
      logger,
    });
    await job.run(at('10:01'));
    await job.run(at('10:02'));
    expect(warnings.filter((w) => w.includes('no run ledger'))).toHaveLength(1);
  });
});
