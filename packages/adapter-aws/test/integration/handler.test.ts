import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  count,
  countDistinct,
  createSource,
  defineWindowedJob,
  type Source,
  type WindowedJob,
} from '@windowed/core';
import { type AwsLoopback, startAwsLoopback, uniqueName } from '@windowed/testing';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LambdaRunSummary, lambdaHandler } from '../../src/index.js';
import { fixture } from '../fixtures.js';
import { lambdaContext } from '../lambda-context.js';

let aws: AwsLoopback;
let dir: string;
const jobs: WindowedJob[] = [];
const T0 = Date.parse('2026-11-27T02:00:00Z');

beforeAll(async () => {
  aws = await startAwsLoopback();
  dir = mkdtempSync(join(tmpdir(), 'windowed-aws-handler-'));
});
afterAll(async () => {
  await Promise.all(jobs.map((j) => j.close()));
  await aws.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A source that answers nothing and remembers what the runner passed it. */
function probeSource(seen: Array<number | undefined>): Source {
  return {
    type: 'probe',
    async query(_q, _w, options) {
      seen.push(options.deadline);
      return { rows: [] };
    },
    describe: () => 'probe',
  };
}

describe('lambdaHandler', () => {
  it('runs the window of the event it is given and resolves with a JSON summary', async () => {
    const job = defineWindowedJob({
      name: uniqueName('h'),
      window: '1m',
      query: { metrics: { pv: count() } },
      source: probeSource([]),
      sink: 'stdout:',
      logger: false,
    });
    jobs.push(job);
    const summary = await lambdaHandler(job)(fixture('scheduled-rule-event'), lambdaContext());
    expect(summary).toMatchObject({
      job: job.name,
      scheduledTime: '2015-10-08T16:53:00.000Z',
      window: { start: '2015-10-08T16:52:00.000Z', end: '2015-10-08T16:53:00.000Z' },
      windows: [{ start: '2015-10-08T16:52:00.000Z', reason: 'scheduled', status: 'succeeded', rows: 1 }],
    });
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
  });

  it("turns the context's remaining time into the run's deadline (the source answers by where the run gives up)", async () => {
    const seen: Array<number | undefined> = [];
    const job = defineWindowedJob({
      name: uniqueName('h'),
      window: '1m',
      query: { metrics: { pv: count() } },
      source: probeSource(seen),
      sink: 'stdout:',
      logger: false,
    });
    jobs.push(job);
    const before = Date.now();
    await lambdaHandler(job)(fixture('manual-invocation'), lambdaContext(42_000));
    expect(seen).toHaveLength(1);
    // The run gives up 10 % of the remaining time (4.2 s) before the deadline, to record a failure.
    expect(seen[0]).toBeGreaterThanOrEqual(before + 42_000 - 4_200 - 1_000);
    expect(seen[0]).toBeLessThanOrEqual(Date.now() + 42_000 - 4_200);
  });

  it('rejects a malformed event before touching the source', async () => {
    const seen: Array<number | undefined> = [];
    const job = defineWindowedJob({
      name: uniqueName('h'),
      window: '1m',
      query: { metrics: { pv: count() } },
      source: probeSource(seen),
      sink: 'stdout:',
      logger: false,
    });
    jobs.push(job);
    await expect(lambdaHandler(job)({ hello: 'world' }, lambdaContext())).rejects.toMatchObject({
      code: 'INVALID_TRIGGER_EVENT',
    });
    expect(seen).toEqual([]);
  });

  it('end to end: a Scheduler invocation counts pv/uv in CloudWatch Logs Insights into SQLite', async () => {
    const group = '/windowed/e2e';
    aws.logs.putEvents(group, [
      { timestamp: T0 - 1, message: { user_id: 'before' } },
      { timestamp: T0, message: { user_id: 'a' } },
      { timestamp: T0 + 20_000, message: { user_id: 'b' } },
      { timestamp: T0 + 40_000, message: { user_id: 'a' } },
      { timestamp: T0 + 59_999, message: { user_id: 'c' } },
      { timestamp: T0 + 60_000, message: { user_id: 'after' } },
    ]);
    const sinkFile = join(dir, 'e2e.db');
    const job = defineWindowedJob({
      name: uniqueName('e2e'),
      window: { size: '1m', delay: '30s', timeZone: 'Asia/Shanghai' },
      query: { metrics: { pv: count(), uv: countDistinct('user_id') } },
      // By configuration, as a job file or WINDOWED_SOURCE would say it: the adapter registered the type.
      source: {
        type: 'cloudwatch',
        logGroupNames: [group],
        ...aws.clientConfig,
        poll: { initialMs: 5, maxMs: 20 },
      },
      sink: `sqlite:${sinkFile}?table=pv_uv`,
      logger: false,
    });
    jobs.push(job);
    const event = {
      source: 'aws.scheduler',
      scheduledTime: '2026-11-27T02:02:00Z',
      executionId: 'e-1',
      attemptNumber: '1',
    };
    const summary = (await lambdaHandler(job)(event, lambdaContext())) as LambdaRunSummary;
    expect(summary.window).toEqual({ start: '2026-11-27T02:00:00.000Z', end: '2026-11-27T02:01:00.000Z' });
    const db = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: sinkFile },
      useNullAsDefault: true,
    });
    const rows = await db('pv_uv').select('pv', 'uv');
    await db.destroy();
    expect(rows).toEqual([{ pv: 4, uv: 3 }]);
  });

  it('registers the cloudwatch source type, so a config string can name it', () => {
    const source = createSource(
      JSON.stringify({ type: 'cloudwatch', logGroupNames: ['/a'], region: 'eu-west-1' }),
    );
    expect(source.describe()).toBe('cloudwatch:eu-west-1:/a');
    expect(() => createSource({ type: 'cloudwatch', logGroupNames: [] })).toThrowError(
      expect.objectContaining({ code: 'INVALID_CONFIG' }),
    );
  });

  it('reads the function timeout the deploy sets, for judging stale running rows', async () => {
    process.env.WINDOWED_FUNCTION_TIMEOUT_MS = '90000';
    let ctx: unknown;
    const job = {
      name: 'spy',
      run: async (_trigger: unknown, context: unknown) => {
        ctx = context;
        return {
          job: 'spy',
          trigger: { scheduledTime: '2026-11-27T02:02:00.000Z', source: 'manual' },
          window: { start: new Date(0), end: new Date(60_000), key: '' },
          windows: [],
          malformed: 0,
          durationMs: 1,
        };
      },
    } as unknown as WindowedJob;
    const event = fixture('manual-invocation');
    await lambdaHandler(job)(event, lambdaContext());
    delete process.env.WINDOWED_FUNCTION_TIMEOUT_MS;
    expect(ctx).toMatchObject({ functionTimeoutMs: 90_000, rawEvent: event, requestId: expect.any(String) });
  });
});
