import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count, defineWindowedJob, type WindowedJob } from '@windowed/core';
import { type AwsLoopback, startAwsLoopback, uniqueName } from '@windowed/testing';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LambdaRunSummary, lambdaHandler } from '../../src/index.js';
import { lambdaContext } from '../lambda-context.js';

const HOUR = 3_600_000;
const ZONE = 'America/New_York';
const SCHEDULE_ARN = 'arn:aws:scheduler:us-east-1:123456789012:schedule/default/windowed-dst';

/**
 * The instants EventBridge Scheduler invokes a `cron(<minute> <hour> * * ? *)` schedule evaluated in
 * `zone`, as documented: "When the time shifts forward in Spring, your schedule invocation gets
 * skipped if the cron expression falls on a non-existent date and time. When the time shifts back in
 * the Fall, your schedule runs only once and doesn't repeat its invocation."
 * (https://repost.aws/knowledge-center/eventbridge-scheduler-adjust-dst, and
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#daylist-savings-time).
 * Which of a repeated local time's two instants it runs at is not documented: `repeated` picks.
 */
function schedulerFirings(
  cron: { minute: number; hour?: number },
  from: string,
  to: string,
  repeated: 'first' | 'second' = 'first',
): Date[] {
  const local = new Intl.DateTimeFormat('en-US', {
    timeZone: ZONE,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
  const byWallTime = new Map<string, Date>();
  for (let t = Date.parse(from); t < Date.parse(to); t += 60_000) {
    const parts = Object.fromEntries(local.formatToParts(t).map((p) => [p.type, p.value]));
    if (Number(parts.minute) !== cron.minute) continue;
    if (cron.hour !== undefined && Number(parts.hour) !== cron.hour) continue;
    const wall = `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
    if (repeated === 'second' || !byWallTime.has(wall)) byWallTime.set(wall, new Date(t));
  }
  return [...byWallTime.values()].sort((a, b) => a.getTime() - b.getTime());
}

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe('the Scheduler model used below, against the documented DST behaviour', () => {
  it('skips 02:30 on the day New York springs forward (02:00 → 03:00)', () => {
    expect(
      iso(schedulerFirings({ minute: 30, hour: 2 }, '2026-03-07T00:00:00Z', '2026-03-10T00:00:00Z')),
    ).toEqual(['2026-03-07T07:30:00.000Z', '2026-03-09T06:30:00.000Z']);
  });

  it('runs 01:05 once on the day New York falls back (01:00–02:00 happens twice)', () => {
    const range = ['2026-11-01T04:00:00Z', '2026-11-01T08:00:00Z'] as const;
    expect(iso(schedulerFirings({ minute: 5 }, ...range, 'first'))).toEqual([
      '2026-11-01T04:05:00.000Z', // 00:05 EDT
      '2026-11-01T05:05:00.000Z', // 01:05 EDT; 01:05 EST (06:05Z) is not run
      '2026-11-01T07:05:00.000Z', // 02:05 EST
    ]);
    expect(iso(schedulerFirings({ minute: 5 }, ...range, 'second'))).toContain('2026-11-01T06:05:00.000Z');
    expect(schedulerFirings({ minute: 5 }, ...range, 'second')).toHaveLength(3);
  });
});

let aws: AwsLoopback;
let dir: string;
const jobs: WindowedJob[] = [];

beforeAll(async () => {
  aws = await startAwsLoopback();
  dir = mkdtempSync(join(tmpdir(), 'windowed-aws-dst-'));
});
afterAll(async () => {
  await Promise.all(jobs.map((j) => j.close()));
  await aws.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A job on the CloudWatch loopback with one log event at minute 17 of every UTC hour of the range. */
function dstJob(window: { size: '1d' | '1h'; delay: string }, range: [string, string]) {
  const name = uniqueName('dst');
  const group = `/windowed/${name}`;
  const events = [];
  for (let t = Date.parse(range[0]) + 17 * 60_000; t < Date.parse(range[1]); t += HOUR)
    events.push({ timestamp: t, message: { user_id: 'u' } });
  aws.logs.putEvents(group, events);
  const sinkFile = join(dir, `${name}.db`);
  const job = defineWindowedJob({
    name,
    window: { ...window, timeZone: ZONE },
    query: { metrics: { pv: count() } },
    source: {
      type: 'cloudwatch',
      logGroupNames: [group],
      ...aws.clientConfig,
      poll: { initialMs: 2, maxMs: 5 },
    },
    sink: `sqlite:${sinkFile}?table=pv`,
    catchUp: { lookback: '7d' },
    logger: false,
  });
  jobs.push(job);
  return { job, sinkFile };
}

async function invokeAll(job: WindowedJob, firings: Date[]): Promise<LambdaRunSummary[]> {
  const handler = lambdaHandler(job);
  const summaries: LambdaRunSummary[] = [];
  for (const [i, at] of firings.entries()) {
    const event = {
      source: 'aws.scheduler',
      scheduledTime: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      executionId: `exec-${i}`,
      attemptNumber: '1',
      scheduleArn: SCHEDULE_ARN,
    };
    summaries.push((await handler(event, lambdaContext())) as LambdaRunSummary);
  }
  return summaries;
}

/** Stored windows with their event counts, and the ledger's verdict on each. */
async function stored(sinkFile: string, job: WindowedJob) {
  const db = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: sinkFile },
    useNullAsDefault: true,
  });
  try {
    const rows = await db('pv').where('job', job.name).orderBy('window_start');
    const ledger = await db('windowed_runs').where('job', job.name).orderBy('window_start');
    return {
      windows: rows.map((r: Record<string, unknown>) => ({
        start: utc(r.window_start),
        end: utc(r.window_end),
        pv: Number(r.pv),
      })),
      statuses: ledger.map((r: Record<string, unknown>) => String(r.status)),
    };
  } finally {
    await db.destroy();
  }
}

/** SQLite hands timestamps back as text without a zone: they are UTC. */
function utc(value: unknown): string {
  const text = String(value);
  return new Date(/[zZ]$/.test(text) ? text : `${text.replace(' ', 'T')}Z`).toISOString();
}

/** Windows are contiguous, and each holds one event per hour it spans (23 on a spring-forward day). */
function expectContiguousAndComplete(windows: Array<{ start: string; end: string; pv: number }>) {
  for (const [i, w] of windows.entries()) {
    expect(w.pv).toBe((Date.parse(w.end) - Date.parse(w.start)) / HOUR);
    if (i > 0) expect(w.start).toBe(windows[i - 1]!.end);
  }
}

describe('EventBridge Scheduler across DST, with a ledger', () => {
  it('catches up the daily window whose 02:30 firing did not exist (spring forward)', async () => {
    const range: [string, string] = ['2026-03-06T05:00:00Z', '2026-03-10T04:00:00Z'];
    const { job, sinkFile } = dstJob({ size: '1d', delay: '150m' }, range);
    // cron(30 2 * * ? *) in America/New_York: each local day's window, 2 h 30 min after it ends.
    const firings = schedulerFirings({ minute: 30, hour: 2 }, '2026-03-07T00:00:00Z', '2026-03-11T00:00:00Z');
    expect(iso(firings)).not.toContain('2026-03-08T07:30:00.000Z');
    const summaries = await invokeAll(job, firings);

    const { windows, statuses } = await stored(sinkFile, job);
    expect(windows.map((w) => w.start)).toEqual([
      '2026-03-06T05:00:00.000Z', // Mar 6 (EST)
      '2026-03-07T05:00:00.000Z', // Mar 7: its firing (Mar 8 02:30) did not exist
      '2026-03-08T05:00:00.000Z', // Mar 8: 23 hours
      '2026-03-09T04:00:00.000Z', // Mar 9 (EDT)
    ]);
    expectContiguousAndComplete(windows);
    expect(windows.map((w) => w.pv)).toEqual([24, 24, 23, 24]);
    expect(statuses).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    const caughtUp = summaries.flatMap((s) => s.windows.filter((w) => w.reason === 'catch-up'));
    expect(caughtUp).toEqual([
      expect.objectContaining({ start: '2026-03-07T05:00:00.000Z', status: 'succeeded' }),
    ]);
  });

  it.each(['first', 'second'] as const)(
    'catches up the hourly window whose firing fell in the repeated hour (fall back, runs at the %s 01:05)',
    async (repeated) => {
      const range: [string, string] = ['2026-11-01T02:00:00Z', '2026-11-01T09:00:00Z'];
      const { job, sinkFile } = dstJob({ size: '1h', delay: '5m' }, range);
      // cron(5 * * * ? *) in America/New_York: each hour's window, 5 minutes after it ends.
      const firings = schedulerFirings(
        { minute: 5 },
        '2026-11-01T03:00:00Z',
        '2026-11-01T09:00:00Z',
        repeated,
      );
      const summaries = await invokeAll(job, firings);

      const { windows, statuses } = await stored(sinkFile, job);
      expect(windows.map((w) => w.start)).toEqual(
        [2, 3, 4, 5, 6, 7].map((h) => `2026-11-01T0${h}:00:00.000Z`),
      );
      expectContiguousAndComplete(windows);
      expect(statuses.every((s) => s === 'succeeded')).toBe(true);
      expect(summaries.flatMap((s) => s.windows.filter((w) => w.reason === 'catch-up'))).toHaveLength(1);
    },
  );
});
