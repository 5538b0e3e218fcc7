import { CloudWatchLogsClient, StartQueryCommand, StopQueryCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  count,
  countDistinct,
  type DeclarativeQuery,
  type Row,
  silentLogger,
  sum,
  type Window,
  type WindowedError,
} from '@windowed/core';
import { type AwsLoopback, startAwsLoopback } from '@windowed/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCloudWatchSource } from '../../src/cloudwatch/source.js';

const MINUTE = 60_000;
const T0 = Date.parse('2026-11-27T10:00:00Z');
const win = (i: number, size = MINUTE): Window => {
  const start = new Date(T0 + i * size);
  return { start, end: new Date(start.getTime() + size), key: start.toISOString() };
};
const pvUv: DeclarativeQuery = { metrics: { pv: count(), uv: countDistinct('user_id') } };

let aws: AwsLoopback;
let group: string;
let groups = 0;

function source(extra: Record<string, unknown> = {}) {
  return createCloudWatchSource({
    type: 'cloudwatch',
    logGroupNames: [group],
    ...aws.clientConfig,
    poll: { initialMs: 5, maxMs: 20 },
    ...extra,
  });
}

const options = (extra: Partial<{ signal: AbortSignal; deadline: number }> = {}) => ({
  signal: new AbortController().signal,
  logger: silentLogger,
  ...extra,
});

async function failure(promise: Promise<unknown>): Promise<WindowedError> {
  try {
    await promise;
  } catch (error) {
    return error as WindowedError;
  }
  throw new Error('expected a failure');
}

beforeAll(async () => {
  aws = await startAwsLoopback();
});
afterAll(async () => {
  await aws.close();
});
beforeEach(() => {
  group = `/windowed/test-${++groups}`;
  aws.logs.putEvents(group, []);
  aws.logs.hold = false;
  aws.logs.runningPolls = 1;
});

describe('CloudWatch Logs Insights source', () => {
  it('counts exactly the events in [start, end): boundaries to the millisecond', async () => {
    aws.logs.putEvents(group, [
      { timestamp: T0 - 1, message: { user_id: 'early' } },
      { timestamp: T0, message: { user_id: 'a' } },
      { timestamp: T0 + 500, message: { user_id: 'a' } },
      { timestamp: T0 + 30_000, message: { user_id: 'b' } },
      { timestamp: T0 + MINUTE - 1, message: { user_id: 'c' } },
      { timestamp: T0 + MINUTE, message: { user_id: 'late' } },
      { timestamp: T0 + 10_000, message: 'not json at all' },
    ]);
    const result = await source().query(pvUv, win(0), options());
    expect(result.rows).toEqual([{ pv: '5', uv: '3' }]);
  });

  it('counts an event in the last second of a window (t+59.5 s), not one at the next window start', async () => {
    // StartQuery's endTime covers only its first millisecond (aws/aws-sdk#280): asking for
    // endTime = t+59 would never scan t+59.001 … t+59.999.
    aws.logs.putEvents(group, [
      { timestamp: T0 + 59_500, message: { user_id: 'last-second' } },
      { timestamp: T0 + MINUTE, message: { user_id: 'next-window' } },
    ]);
    expect((await source().query(pvUv, win(0), options())).rows).toEqual([{ pv: '1', uv: '1' }]);
    expect((await source().query(pvUv, win(1), options())).rows).toEqual([{ pv: '1', uv: '1' }]);
  });

  it("gives a backfill's windows (last one included) the numbers the same windows get on schedule", async () => {
    const windows = [0, 1, 2, 3].map((i) => win(i));
    aws.logs.putEvents(
      group,
      windows.flatMap((w, i) =>
        [0, 30_000, 59_001, 59_999].slice(0, i + 1).map((ms) => ({
          timestamp: w.start.getTime() + ms,
          message: { user_id: `u${ms}` },
        })),
      ),
    );
    const backfill = await source().queryMany!(pvUv, windows, options());
    const scheduled = await Promise.all(windows.map((w) => source().query(pvUv, w, options())));
    const expected = windows.map((_, i) => [{ pv: String(i + 1), uv: String(i + 1) }]);
    expect(windows.map((w) => backfill.rows.get(w.key))).toEqual(expected);
    expect(scheduled.map((r) => r.rows)).toEqual(expected);
  });

  it('stays exact when a range does not fall on whole seconds (StartQuery only takes seconds)', async () => {
    aws.logs.putEvents(
      group,
      [499, 500, 1_499, 1_500].map((ms) => ({ timestamp: T0 + ms, message: { user_id: `u${ms}` } })),
    );
    const start = new Date(T0 + 500);
    const window: Window = { start, end: new Date(T0 + 1_500), key: start.toISOString() };
    expect((await source().query(pvUv, window, options())).rows).toEqual([{ pv: '2', uv: '2' }]);
  });

  it('answers an idle window with no rows (the core turns that into zeros)', async () => {
    const result = await source().query(pvUv, win(0), options());
    expect(result.rows).toEqual([]);
  });

  it('computes distinct counts exactly with two stats, and count_distinct only when approximate', async () => {
    aws.logs.putEvents(
      group,
      Array.from({ length: 300 }, (_, i) => ({
        timestamp: T0 + i * 100,
        message: { user_id: `u${i % 137}` },
      })),
    );
    const exact = await source().query(pvUv, win(0), options());
    expect(exact.rows).toEqual([{ pv: '300', uv: '137' }]);
    const issued = [...aws.logs.queries.values()].slice(-2).map((q) => q.queryString);
    expect(
      issued.some((q) => /stats count\(\*\) as windowed_n by user_id\n\| stats count\(\*\) as uv/.test(q)),
    ).toBe(true);
    expect(issued.some((q) => q.includes('count_distinct'))).toBe(false);

    await source().query(
      { metrics: { uv: countDistinct('user_id', { approximate: true }) } },
      win(0),
      options(),
    );
    expect([...aws.logs.queries.values()].at(-1)!.queryString).toContain('count_distinct(user_id) as uv');
  });

  it('filters with escaped literals and groups by fields', async () => {
    const tricky = 'say "hi" \\ | stats count(*) as x';
    aws.logs.putEvents(group, [
      { timestamp: T0 + 1, message: { country: 'CN', path: tricky, user_id: 'a', bytes: 10 } },
      { timestamp: T0 + 2, message: { country: 'CN', path: tricky, user_id: 'b', bytes: 5 } },
      { timestamp: T0 + 3, message: { country: 'US', path: tricky, user_id: 'c', bytes: 1 } },
      { timestamp: T0 + 4, message: { country: 'US', path: '/other', user_id: 'd', bytes: 100 } },
      { timestamp: T0 + 5, message: { country: 'US', path: tricky, bytes: 2 } },
    ]);
    const query: DeclarativeQuery = {
      metrics: { pv: count(), uv: countDistinct('user_id'), bytes: sum('bytes') },
      where: [{ field: 'path', op: '=', value: tricky }],
      groupBy: ['country'],
    };
    const result = await source().query(query, win(0), options());
    const byCountry = (rows: Row[]) => Object.fromEntries(rows.map((r) => [r.country, r]));
    expect(byCountry(result.rows)).toEqual({
      CN: { country: 'CN', pv: '2', uv: '2', bytes: '15' },
      US: { country: 'US', pv: '2', uv: '1', bytes: '3' },
    });
  });

  it('polls through Scheduled/Running until Complete', async () => {
    aws.logs.runningPolls = 3;
    aws.logs.putEvents(group, [{ timestamp: T0 + 1, message: { user_id: 'a' } }]);
    const before = aws.operations('logs').length;
    const result = await source().query({ metrics: { pv: count() } }, win(0), options());
    expect(result.rows).toEqual([{ pv: '1' }]);
    expect(
      aws
        .operations('logs')
        .slice(before)
        .filter((o) => o === 'GetQueryResults').length,
    ).toBe(4);
  });

  it.each(['Failed', 'Timeout', 'Cancelled'] as const)(
    'fails with SOURCE_FAILED when the query ends %s',
    async (status) => {
      aws.logs.failNextQuery(status);
      const error = await failure(source().query({ metrics: { pv: count() } }, win(0), options()));
      expect(error.code).toBe('SOURCE_FAILED');
      expect(error.message).toContain(status);
    },
  );

  it("backs off and retries while the account is at its concurrent-query quota (the loopback's is AWS's 100)", async () => {
    aws.logs.hold = true;
    const other = new CloudWatchLogsClient(aws.clientConfig);
    const occupied = await Promise.all(
      Array.from({ length: aws.logs.maxConcurrentQueries }, () =>
        other.send(
          new StartQueryCommand({
            logGroupNames: [group],
            startTime: 0,
            endTime: 1,
            queryString: 'stats count(*)',
          }),
        ),
      ),
    );
    aws.logs.putEvents(group, [{ timestamp: T0 + 1, message: { user_id: 'a' } }]);
    const before = aws.requests.length;
    const pending = source().query({ metrics: { pv: count() } }, win(0), options());
    await new Promise((r) => setTimeout(r, 150));
    const refused = aws.requests
      .slice(before)
      .filter((r) => r.operation === 'StartQuery' && r.status === 400).length;
    for (const { queryId } of occupied) await other.send(new StopQueryCommand({ queryId }));
    aws.logs.hold = false;
    expect((await pending).rows).toEqual([{ pv: '1' }]);
    expect(refused).toBeGreaterThan(0);
    other.destroy();
  });

  it('stops the query and fails at the deadline', async () => {
    aws.logs.hold = true;
    const started = Date.now();
    const error = await failure(
      source().query({ metrics: { pv: count() } }, win(0), options({ deadline: Date.now() + 200 })),
    );
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    expect(Date.now() - started).toBeLessThan(2_000);
    const last = [...aws.logs.queries.values()].at(-1)!;
    expect(last.stopped).toBe(true);
    expect(aws.logs.activeQueries()).toEqual([]);
  });

  it('stops every query of a window when the run is aborted', async () => {
    aws.logs.hold = true;
    const controller = new AbortController();
    const reason = new Error('stop');
    setTimeout(() => controller.abort(reason), 100);
    const error = await failure(source().query(pvUv, win(0), options({ signal: controller.signal })));
    expect(error).toBeDefined();
    expect(aws.logs.activeQueries()).toEqual([]);
    expect([...aws.logs.queries.values()].slice(-2).every((q) => q.stopped)).toBe(true);
  });

  it('refuses a truncated answer instead of storing a wrong number', async () => {
    aws.logs.putEvents(
      group,
      ['a', 'b', 'c'].map((country, i) => ({ timestamp: T0 + i, message: { country } })),
    );
    const error = await failure(
      source({ limit: 2 }).query({ metrics: { pv: count() }, groupBy: ['country'] }, win(0), options()),
    );
    expect(error.code).toBe('SOURCE_FAILED');
    expect(error.message).toMatch(/2-row limit/);
  });

  it('answers many windows with one binned query per run of contiguous windows', async () => {
    for (let i = 0; i < 6; i++) {
      aws.logs.putEvents(
        group,
        Array.from({ length: i + 1 }, (_, j) => ({
          timestamp: T0 + i * MINUTE + j * 1000,
          message: { user_id: `u${j % 2}` },
        })),
      );
    }
    const windows = [win(0), win(1), win(2), win(4), win(5)];
    const before = aws.operations('logs').filter((o) => o === 'StartQuery').length;
    const result = await source().queryMany!(pvUv, windows, options());
    const starts = aws.operations('logs').filter((o) => o === 'StartQuery').length - before;
    expect(starts).toBe(4); // two runs ([0..2], [4..5]) × (base + exact distinct)
    expect(Object.fromEntries(result.rows)).toEqual({
      [win(0).key]: [{ pv: '1', uv: '1' }],
      [win(1).key]: [{ pv: '2', uv: '2' }],
      [win(2).key]: [{ pv: '3', uv: '2' }],
      [win(4).key]: [{ pv: '5', uv: '2' }],
      [win(5).key]: [{ pv: '6', uv: '2' }],
    });
  });

  it('halves a binned query whose answer is truncated', async () => {
    for (let i = 0; i < 4; i++)
      aws.logs.putEvents(group, [{ timestamp: T0 + i * MINUTE, message: { user_id: 'x' } }]);
    const windows = [0, 1, 2, 3].map((i) => win(i));
    const result = await source({ limit: 2 }).queryMany!({ metrics: { pv: count() } }, windows, options());
    expect(windows.map((w) => result.rows.get(w.key))).toEqual([
      [{ pv: '1' }],
      [{ pv: '1' }],
      [{ pv: '1' }],
      [{ pv: '1' }],
    ]);
  });

  it('queries windows one by one when they do not line up with bin() (time-zoned days)', async () => {
    // Asia/Shanghai days start at 16:00 UTC: bin(1d) would cut them at UTC midnight.
    const day = (i: number): Window => {
      const start = new Date(Date.parse('2026-11-26T16:00:00Z') + i * 86_400_000);
      return { start, end: new Date(start.getTime() + 86_400_000), key: start.toISOString() };
    };
    aws.logs.putEvents(group, [
      { timestamp: Date.parse('2026-11-26T17:00:00Z'), message: { user_id: 'a' } },
      { timestamp: Date.parse('2026-11-27T15:59:59.999Z'), message: { user_id: 'b' } },
      { timestamp: Date.parse('2026-11-27T16:00:00Z'), message: { user_id: 'c' } },
    ]);
    const result = await source().queryMany!(pvUv, [day(0), day(1)], options());
    expect(result.rows.get(day(0).key)).toEqual([{ pv: '2', uv: '2' }]);
    expect(result.rows.get(day(1).key)).toEqual([{ pv: '1', uv: '1' }]);
    expect([...aws.logs.queries.values()].slice(-4).some((q) => q.queryString.includes('bin('))).toBe(false);
  });

  it('reports a missing log group as SOURCE_FAILED with advice', async () => {
    const error = await failure(
      source({ logGroupNames: ['/does/not/exist'] }).query(pvUv, win(0), options()),
    );
    expect(error.code).toBe('SOURCE_FAILED');
    expect(error.message).toMatch(/ResourceNotFoundException.*logGroupNames/);
  });

  it('validates its options with INVALID_CONFIG', () => {
    expect(() => createCloudWatchSource({ type: 'cloudwatch' })).toThrowError(
      /exactly one of logGroupNames or logGroupIdentifiers/,
    );
    expect(() =>
      createCloudWatchSource({ type: 'cloudwatch', logGroupNames: ['/a'], region: 'mars' }),
    ).toThrowError(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() =>
      createCloudWatchSource({ type: 'cloudwatch', logGroupNames: ['/a'], limit: 20_000 }),
    ).toThrowError(/"limit": expected <=10000, received 20000/);
    expect(() =>
      createCloudWatchSource({ type: 'cloudwatch', logGroupNames: ['/a'], logGroup: '/b' }),
    ).toThrowError(/unknown key "logGroup"/);
  });

  it("bounds maxConcurrentQueries by the account's quota: 100 by default, or the quota it is told", () => {
    const make = (extra: Record<string, unknown>) => () =>
      createCloudWatchSource({ type: 'cloudwatch', logGroupNames: ['/a'], ...extra });
    expect(make({ maxConcurrentQueries: 100 })).not.toThrow();
    expect(make({ maxConcurrentQueries: 101 })).toThrowError(
      /"maxConcurrentQueries": expected at most concurrentQueryQuota \(100 unless given\)/,
    );
    expect(make({ concurrentQueryQuota: 200, maxConcurrentQueries: 150 })).not.toThrow();
    expect(make({ concurrentQueryQuota: 20, maxConcurrentQueries: 30 })).toThrowError(
      expect.objectContaining({ code: 'INVALID_CONFIG' }),
    );
  });

  it('describes itself without credentials', () => {
    const text = source({ region: 'us-east-1' }).describe();
    expect(text).toBe(`cloudwatch:us-east-1:${group}`);
    expect(text).not.toContain(aws.credentials.secretAccessKey);
  });
});
