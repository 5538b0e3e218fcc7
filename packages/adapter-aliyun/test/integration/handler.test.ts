import {
  backfillPayload,
  count,
  countDistinct,
  defineWindowedJob,
  isWindowedError,
  type RunResult,
  type WindowedJob,
} from '@windowed/core';
import {
  openTestKnex,
  type SlsLoopbackServer,
  startSlsServer,
  type TestDatabase,
  testDatabases,
  uniqueName,
} from '@windowed/testing';
import type { Knex } from 'knex';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
// The package entry: importing it registers the `sls` source type, as a user's handler does.
import {
  type FcContext,
  fcAsyncHandler,
  fcHandler,
  parseFcDestinationRecord,
  setFcCredentials,
} from '../../src/index.js';

const timerEvent = (triggerTime: string) =>
  Buffer.from(JSON.stringify({ triggerTime, triggerName: 'pv_uv-timer', payload: '' }));
const context = (overrides: Partial<FcContext> = {}): FcContext => ({
  requestId: uniqueName('req'),
  credentials: { accessKeyId: 'STS.fn', accessKeySecret: 'sts-secret', securityToken: 'sts-token' },
  function: { name: 'pv_uv', handler: 'index.handler', memory: 512, timeout: 60 },
  region: 'cn-hangzhou',
  accountId: '1234567890123456',
  ...overrides,
});

/** Calls an FC 2.0 handler the way the runtime does and turns the callback into a promise. */
function invoke(handler: ReturnType<typeof fcHandler>, event: unknown, ctx: FcContext): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    handler(event, ctx, (error, result) => (error ? reject(error) : resolve(result as RunResult)));
  });
}

let server: SlsLoopbackServer;
let db: TestDatabase;
let knex: Knex;
const jobs: WindowedJob[] = [];

beforeAll(async () => {
  server = await startSlsServer({
    credentials: [{ accessKeyId: 'STS.fn', accessKeySecret: 'sts-secret', securityToken: 'sts-token' }],
  });
  const logs: Array<{ time: string; user_id: string }> = [];
  // 10:00 → 3 views, 2 users; 10:01 → 1 view; 10:02 → 4 views, 4 users.
  for (const [t, u] of [
    ['10:00:01', 'a'],
    ['10:00:20', 'b'],
    ['10:00:59', 'a'],
    ['10:01:30', 'c'],
    ['10:02:00', 'd'],
    ['10:02:10', 'e'],
    ['10:02:20', 'f'],
    ['10:02:30', 'g'],
  ]) {
    logs.push({ time: `2026-11-27T${t}Z`, user_id: u! });
  }
  server.putLogs('web-logs', 'access', logs);
  db = (await testDatabases(['sqlite']))[0]!;
  knex = openTestKnex(db);
});
afterAll(async () => {
  await Promise.all(jobs.map((j) => j.close()));
  await knex?.destroy();
  await server?.close();
});
afterEach(() => {
  server.setIncompleteAnswers(0);
  setFcCredentials(undefined);
});

function makeJob(): WindowedJob {
  const name = uniqueName('pvuv');
  const job = defineWindowedJob({
    name,
    window: { size: '1m', delay: '30s' },
    query: { metrics: { pv: count(), uv: countDistinct('user_id') } },
    // No keys: the source uses the function's role, handed over from context.credentials.
    source: {
      type: 'sls',
      project: 'web-logs',
      logstore: 'access',
      endpoint: server.endpoint,
      pollIntervalMs: 20,
    },
    sink: db.url,
    catchUp: { maxWindows: 0 },
    logger: false,
  });
  jobs.push(job);
  return job;
}

async function rowsOf(job: WindowedJob): Promise<Array<{ start: string; pv: number; uv: number }>> {
  const rows = await knex(job.name).select('window_start', 'pv', 'uv').orderBy('window_start');
  return rows.map((r) => ({
    start: new Date(
      r.window_start.includes?.('T') ? r.window_start : `${String(r.window_start).replace(' ', 'T')}Z`,
    ).toISOString(),
    pv: Number(r.pv),
    uv: Number(r.uv),
  }));
}

describe('fcHandler driven like FC 2.0 drives it', () => {
  it("computes the window the timer fired for from a Buffer event, with the function's STS credentials", async () => {
    const job = makeJob();
    const handler = fcHandler(job);
    const result = await invoke(handler, timerEvent('2026-11-27T10:01:30Z'), context());
    expect(result.window.key).toBe('2026-11-27T10:00:00.000Z');
    expect(await rowsOf(job)).toEqual([{ start: '2026-11-27T10:00:00.000Z', pv: 3, uv: 2 }]);
    expect(server.requests.at(-1)).toMatchObject({ accessKeyId: 'STS.fn', securityToken: 'sts-token' });
  });

  it('reuses one warm handler across invocations without freezing the window', async () => {
    const job = makeJob();
    const handler = fcHandler(job);
    for (const t of ['10:01:30', '10:02:30', '10:03:30'])
      await invoke(handler, timerEvent(`2026-11-27T${t}Z`), context());
    expect(await rowsOf(job)).toEqual([
      { start: '2026-11-27T10:00:00.000Z', pv: 3, uv: 2 },
      { start: '2026-11-27T10:01:00.000Z', pv: 1, uv: 1 },
      { start: '2026-11-27T10:02:00.000Z', pv: 4, uv: 4 },
    ]);
  });

  it('runs a delayed delivery for the scheduled window, not the delivery time', async () => {
    const job = makeJob();
    // Delivered long after 10:01:30 (queued behind the concurrency limit): still 10:00's window.
    const result = await invoke(fcHandler(job), timerEvent('2026-11-27T10:01:30Z'), context());
    expect(result.window.start.toISOString()).toBe('2026-11-27T10:00:00.000Z');
  });

  it('a retried invocation (same event, another request id) leaves one copy of the window under one trigger id', async () => {
    const job = makeJob();
    const handler = fcHandler(job);
    await invoke(handler, timerEvent('2026-11-27T10:03:30Z'), context());
    await invoke(handler, timerEvent('2026-11-27T10:03:30Z'), context());
    expect(await rowsOf(job)).toEqual([{ start: '2026-11-27T10:02:00.000Z', pv: 4, uv: 4 }]);
    const [last] = await job.windows({ from: '2026-11-27T10:02:00Z', to: '2026-11-27T10:03:00Z' });
    expect(last).toMatchObject({ state: 'succeeded', triggerId: 'pv_uv-timer@2026-11-27T10:03:30.000Z' });
  });

  it('surfaces a failed run through the callback, so FC retries it and finally sends it to the destination', async () => {
    const job = makeJob();
    const handler = fcHandler(job);
    server.failNext(1);
    const error = await invoke(handler, timerEvent('2026-11-27T10:01:30Z'), context()).catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    expect(isWindowedError(error, 'SOURCE_FAILED')).toBe(true);
    expect(await failedWindows(job)).toEqual(['2026-11-27T10:00:00.000Z']);
    // FC's retry of the same event succeeds and replaces nothing twice.
    await invoke(handler, timerEvent('2026-11-27T10:01:30Z'), context());
    expect(await rowsOf(job)).toEqual([{ start: '2026-11-27T10:00:00.000Z', pv: 3, uv: 2 }]);
  });

  it('rejects an event it cannot normalize through the callback, never using the wall clock', async () => {
    const job = makeJob();
    const error = await invoke(fcHandler(job), Buffer.from('{"hello":"world"}'), context()).catch((e) => e);
    expect(isWindowedError(error, 'INVALID_TRIGGER_EVENT')).toBe(true);
    await expect(knex.schema.hasTable(job.name)).resolves.toBe(false);
  });

  it('takes the deadline from context.function.timeout: a query still Incomplete at the deadline fails the run', async () => {
    const job = makeJob();
    server.setIncompleteAnswers(10_000);
    const started = Date.now();
    const error = await invoke(
      fcHandler(job),
      timerEvent('2026-11-27T10:01:30Z'),
      context({ function: { timeout: 1 } }),
    ).catch((e) => e);
    expect(isWindowedError(error, 'DEADLINE_EXCEEDED')).toBe(true);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await failedWindows(job)).toEqual(['2026-11-27T10:00:00.000Z']);
    // Nothing was written: an incomplete answer never reaches the sink.
    if (await knex.schema.hasTable(job.name))
      expect(await knex(job.name).count({ n: '*' })).toEqual([{ n: 0 }]);
  });
});

async function failedWindows(job: WindowedJob): Promise<string[]> {
  const windows = await job.windows({ from: '2026-11-27T10:00:00Z', to: '2026-11-27T10:10:00Z' });
  return windows.filter((w) => w.state === 'failed').map((w) => w.key);
}

describe('fcAsyncHandler (FC 3.0, Node.js 18+)', () => {
  it('resolves with the run result and rejects on failure', async () => {
    const job = makeJob();
    const handler = fcAsyncHandler(job);
    const result = (await handler(timerEvent('2026-11-27T10:02:30Z'), context())) as RunResult;
    expect(result.windows.map((w) => [w.window.key, w.status, w.rows])).toEqual([
      ['2026-11-27T10:01:00.000Z', 'succeeded', 1],
    ]);
    await expect(handler('nonsense', context())).rejects.toMatchObject({ code: 'INVALID_TRIGGER_EVENT' });
  });

  it('accepts a manual invocation naming the time (windowed replay / fc invoke)', async () => {
    const job = makeJob();
    const result = (await fcAsyncHandler(job)(
      Buffer.from('{"scheduledTime":"2026-11-27T10:03:30Z"}'),
      context(),
    )) as RunResult;
    expect(result.trigger.source).toBe('manual');
    expect(result.window.key).toBe('2026-11-27T10:02:00.000Z');
  });
});

describe('a backfill payload (windowed backfill --remote)', () => {
  const payload = (job: string) =>
    backfillPayload(job, new Date('2026-11-27T10:00:00Z'), new Date('2026-11-27T10:03:00Z'));

  it('FC 2.0: computes the chunk from SLS on the ledger; a redelivery skips what succeeded', async () => {
    const job = makeJob();
    const handler = fcHandler(job);
    const bytes = Buffer.from(JSON.stringify(payload(job.name)));
    expect(await invoke(handler, bytes, context())).toMatchObject({ total: 3, computed: 3, skipped: 0 });
    expect(await invoke(handler, bytes, context())).toMatchObject({ total: 3, computed: 0, skipped: 3 });
    expect(await rowsOf(job)).toEqual([
      { start: '2026-11-27T10:00:00.000Z', pv: 3, uv: 2 },
      { start: '2026-11-27T10:01:00.000Z', pv: 1, uv: 1 },
      { start: '2026-11-27T10:02:00.000Z', pv: 4, uv: 4 },
    ]);
  });

  it("refuses another job's chunk with INVALID_TRIGGER_EVENT", async () => {
    const job = makeJob();
    await expect(fcAsyncHandler(job)(payload('another_job'), context())).rejects.toMatchObject({
      code: 'INVALID_TRIGGER_EVENT',
    });
  });

  it('parseFcDestinationRecord carries the chunk for replay', () => {
    const record = {
      timestamp: 1_764_237_600_000,
      requestContext: { requestId: 'r-1', condition: 'UnhandledInvocationError', approximateInvokeCount: 4 },
      requestPayload: JSON.stringify(payload('pv_uv')),
    };
    expect(parseFcDestinationRecord(JSON.stringify(record))).toMatchObject({
      provider: 'aliyun',
      backfill: payload('pv_uv'),
      trigger: { scheduledTime: '2026-11-27T10:03:00.000Z', source: 'manual' },
      attempts: 4,
    });
  });
});
