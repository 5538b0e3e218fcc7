import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  count,
  countDistinct,
  defineWindowedJob,
  type PlatformEvents,
  type Window,
  type WindowedJob,
} from '@windowed/core';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from './databases.js';

/** An adapter as the conformance suite drives it: the way its platform would. */
export interface AdapterUnderTest {
  /** 'aws' | 'aliyun' (a suffix such as 'aws (Scheduler)' names a variant). */
  name: string;
  /**
   * The platform-facing handler for a job, invoked the way the platform invokes it: resolves on
   * success, rejects on failure (as the platform sees it). `remainingMs` simulates the platform's
   * remaining time.
   */
  invoker(job: WindowedJob): (nativeEvent: unknown, options?: { remainingMs?: number }) => Promise<unknown>;
  /**
   * The platform's events (its `Platform.events(deploy)`): what it delivers when a schedule fires
   * (with its jitter, e.g. EventBridge's seconds within the minute), and what a handler must reject.
   */
  events: PlatformEvents;
}

const MINUTE = 60_000;
/** 10:00 in Asia/Shanghai: the jobs' windows are local minutes. */
const T0 = Date.parse('2026-11-27T02:00:00Z');
const WINDOWS = 8;
const SINK_TABLE = 'conformance';

interface LogEvent {
  ts: number;
  user_id: string;
}

/** Logs for minutes 0..7 after T0: a different pv and uv each minute, events on both boundaries. */
function fixtureEvents(): LogEvent[] {
  const events: LogEvent[] = [];
  for (let i = 0; i < WINDOWS; i++) {
    const n = 3 + i;
    for (let j = 0; j < n; j++) {
      const offset = j === n - 1 ? MINUTE - 1 : j * 7_000;
      events.push({ ts: T0 + i * MINUTE + offset, user_id: `u${(i + j) % (2 + (i % 3))}` });
    }
  }
  return events;
}

function expectedFor(window: Window, events: readonly LogEvent[]): { pv: number; uv: number } {
  const inside = events.filter((e) => e.ts >= window.start.getTime() && e.ts < window.end.getTime());
  return { pv: inside.length, uv: new Set(inside.map((e) => e.user_id)).size };
}

/** The schedule for a window fires on the whole minute after `end + delay` (delay 30s → end + 1 min). */
const scheduledFor = (i: number) => new Date(T0 + (i + 2) * MINUTE);

function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  const text = String(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
}

/**
 * The behaviour every adapter owes its users, checked with real components (a SQLite log table as
 * the source, a SQLite sink and ledger in temp files, read back with knex):
 * the window comes from the trigger, warm reuse moves on to the next window, duplicate and retried
 * deliveries write one copy, failures reach the platform and the ledger and are fixed by a retry,
 * and malformed events are rejected without writing anything.
 */
export function runAdapterConformance(under: AdapterUnderTest): void {
  const adapter = {
    ...under,
    scheduledEvent: (time: Date, options?: { attempt?: number; id?: string }) =>
      under.events.deliver(under.events.scheduled(time, options)),
    malformedEvents: under.events.malformed,
  };
  describe(`adapter conformance: ${adapter.name}`, () => {
    let dir: string;
    let logsUrl: string;
    const events = fixtureEvents();
    const jobs: WindowedJob[] = [];
    const readers: Knex[] = [];

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'windowed-conformance-'));
      logsUrl = `sqlite:${join(dir, 'logs.db')}`;
      const logs = knexFactory({
        client: 'better-sqlite3',
        connection: { filename: join(dir, 'logs.db') },
        useNullAsDefault: true,
      });
      await createLogTable(logs, 'access_log', events);
      await logs.destroy();
    });

    afterAll(async () => {
      await Promise.all(jobs.map((job) => job.close()));
      await Promise.all(readers.map((reader) => reader.destroy()));
      rmSync(dir, { recursive: true, force: true });
    });

    function makeJob(options: { logsUrl?: string; table?: string } = {}) {
      const name = uniqueName('conf');
      const sinkFile = join(dir, `${name}.db`);
      const job = defineWindowedJob({
        name,
        window: { size: '1m', delay: '30s', timeZone: 'Asia/Shanghai' },
        query: { metrics: { pv: count(), uv: countDistinct('user_id') } },
        source: {
          type: 'sql',
          url: options.logsUrl ?? logsUrl,
          table: options.table ?? 'access_log',
          timeColumn: 'ts',
          timeType: 'epoch_ms',
        },
        sink: `sqlite:${sinkFile}?table=${SINK_TABLE}`,
        catchUp: { maxWindows: 0 },
        logger: false,
      });
      jobs.push(job);
      return { job, sinkFile };
    }

    function reader(sinkFile: string): Knex {
      const knex = knexFactory({
        client: 'better-sqlite3',
        connection: { filename: sinkFile },
        useNullAsDefault: true,
      });
      readers.push(knex);
      return knex;
    }

    async function stored(sinkFile: string, job: WindowedJob) {
      if (!existsSync(sinkFile)) return [];
      const db = reader(sinkFile);
      if (!(await db.schema.hasTable(SINK_TABLE))) return [];
      const rows = await db(SINK_TABLE).where('job', job.name).orderBy('window_start');
      return rows.map((r: Record<string, unknown>) => ({
        start: toDate(r.window_start).toISOString(),
        end: toDate(r.window_end).toISOString(),
        pv: Number(r.pv),
        uv: Number(r.uv),
      }));
    }

    async function ledger(sinkFile: string, job: WindowedJob) {
      if (!existsSync(sinkFile)) return [];
      const db = reader(sinkFile);
      if (!(await db.schema.hasTable('windowed_runs'))) return [];
      const rows = await db('windowed_runs').where('job', job.name).orderBy('window_start');
      return rows.map((r: Record<string, unknown>) => ({
        start: toDate(r.window_start).toISOString(),
        status: String(r.status),
        attempts: Number(r.attempts),
        lastError: r.last_error === null || r.last_error === undefined ? null : String(r.last_error),
      }));
    }

    /** The `trigger_id` the ledger recorded for each window, by window start. */
    async function triggerIds(sinkFile: string, job: WindowedJob): Promise<Record<string, unknown>> {
      const rows = await reader(sinkFile)('windowed_runs').where('job', job.name).orderBy('window_start');
      return Object.fromEntries(
        rows.map((r: Record<string, unknown>) => [toDate(r.window_start).toISOString(), r.trigger_id]),
      );
    }

    const expectedRow = (window: Window) => ({
      start: window.start.toISOString(),
      end: window.end.toISOString(),
      ...expectedFor(window, events),
    });

    it('derives the window from the scheduled time the trigger carries (same trigger, same window)', async () => {
      const { job, sinkFile } = makeJob();
      const invoke = adapter.invoker(job);
      const times = [scheduledFor(0), scheduledFor(3), scheduledFor(6)];
      for (const time of times) await invoke(adapter.scheduledEvent(time));
      const windows = times.map((t) => job.windowFor(t));
      expect(windows.map((w) => w.start.getTime())).toEqual([T0, T0 + 3 * MINUTE, T0 + 6 * MINUTE]);
      expect(await stored(sinkFile, job)).toEqual(windows.map(expectedRow));
      // Another delivery of the same schedule firing (another id, a later attempt) names the same window.
      await invoke(adapter.scheduledEvent(times[1]!, { id: 'another-delivery', attempt: 2 }));
      expect(await stored(sinkFile, job)).toEqual(windows.map(expectedRow));
      expect((await ledger(sinkFile, job)).map((e) => e.start)).toEqual(
        windows.map((w) => w.start.toISOString()),
      );
    });

    it('warm reuse: one handler instance moves on to each next window, each written once', async () => {
      const { job, sinkFile } = makeJob();
      const invoke = adapter.invoker(job);
      for (let i = 0; i < 5; i++) await invoke(adapter.scheduledEvent(scheduledFor(i)));
      const windows = [0, 1, 2, 3, 4].map((i) => job.windowFor(scheduledFor(i)));
      expect(new Set(windows.map((w) => w.key)).size).toBe(5);
      expect(await stored(sinkFile, job)).toEqual(windows.map(expectedRow));
      expect((await ledger(sinkFile, job)).map((e) => [e.status, e.attempts])).toEqual(
        windows.map(() => ['succeeded', 1]),
      );
    });

    it('duplicate and retried deliveries of one event write exactly one copy', async () => {
      const { job, sinkFile } = makeJob();
      const invoke = adapter.invoker(job);
      const time = scheduledFor(4);
      const event = adapter.scheduledEvent(time, { id: 'delivery-1', attempt: 1 });
      await invoke(event);
      await invoke(event);
      await Promise.all([invoke(event), invoke(structuredClone(event))]);
      await invoke(adapter.scheduledEvent(time, { id: 'delivery-1', attempt: 2 }));
      await invoke(adapter.scheduledEvent(time, { attempt: 3 }));
      expect(await stored(sinkFile, job)).toEqual([expectedRow(job.windowFor(time))]);
      const entries = await ledger(sinkFile, job);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ status: 'succeeded', lastError: null });
      expect(entries[0]!.attempts).toBeGreaterThanOrEqual(1);
    });

    it('records one trigger id for every delivery and retry of one scheduled invocation, another for the next', async () => {
      // Platforms retry an invocation with a new request (Scheduler: a new execution id per attempt);
      // the id in the ledger names the scheduled invocation, so it must not change with them.
      const { job, sinkFile } = makeJob();
      const invoke = adapter.invoker(job);
      const time = scheduledFor(5);
      await invoke(adapter.scheduledEvent(time, { id: 'delivery-1', attempt: 1 }));
      const first = (await triggerIds(sinkFile, job))[job.windowFor(time).start.toISOString()];
      expect(first).toEqual(expect.any(String));
      expect((first as string).length).toBeLessThanOrEqual(255); // the ledger's trigger_id is varchar(255)
      await invoke(adapter.scheduledEvent(time, { id: 'delivery-2', attempt: 2 }));
      await invoke(adapter.scheduledEvent(time, { attempt: 3 }));
      const next = scheduledFor(6);
      await invoke(adapter.scheduledEvent(next, { id: 'delivery-3', attempt: 1 }));
      const ids = await triggerIds(sinkFile, job);
      expect(ids[job.windowFor(time).start.toISOString()]).toBe(first);
      expect(ids[job.windowFor(next).start.toISOString()]).toEqual(expect.any(String));
      expect(ids[job.windowFor(next).start.toISOString()]).not.toBe(first);
    });

    it('a failing run rejects to the platform, the ledger shows it failed with attempts counted, and a retry fixes it', async () => {
      // The log table does not exist yet: the source throws, as a database that is down would.
      const lateLogs = join(dir, `late-${uniqueName('logs')}.db`);
      const { job, sinkFile } = makeJob({ logsUrl: `sqlite:${lateLogs}`, table: 'late_log' });
      const invoke = adapter.invoker(job);
      const time = scheduledFor(2);
      const window = job.windowFor(time);
      await expect(invoke(adapter.scheduledEvent(time, { attempt: 1 }))).rejects.toBeDefined();
      expect(await ledger(sinkFile, job)).toEqual([
        { start: window.start.toISOString(), status: 'failed', attempts: 1, lastError: expect.any(String) },
      ]);
      expect(await stored(sinkFile, job)).toEqual([]);
      await expect(invoke(adapter.scheduledEvent(time, { attempt: 2 }))).rejects.toBeDefined();
      expect((await ledger(sinkFile, job))[0]).toMatchObject({ status: 'failed', attempts: 2 });

      const logs = knexFactory({
        client: 'better-sqlite3',
        connection: { filename: lateLogs },
        useNullAsDefault: true,
      });
      await createLogTable(logs, 'late_log', events);
      await logs.destroy();
      await invoke(adapter.scheduledEvent(time, { attempt: 3 }));
      expect((await ledger(sinkFile, job))[0]).toMatchObject({ status: 'succeeded', attempts: 3 });
      expect(await stored(sinkFile, job)).toEqual([expectedRow(window)]);
    });

    it('a run with no time left rejects with DEADLINE_EXCEEDED, records nothing as succeeded, and a retry with time writes the window', async () => {
      // With 1 ms left there is no time to record the failure either: the run refuses before any
      // statement (the budget keeps the deadline), so the window stays unrecorded — which catch-up
      // treats as missed — and the platform's retry computes it. Recording DEADLINE_EXCEEDED when
      // there is time for it is tested in core (deadline.test.ts, runner.test.ts).
      const { job, sinkFile } = makeJob();
      const invoke = adapter.invoker(job);
      const time = scheduledFor(1);
      await expect(invoke(adapter.scheduledEvent(time), { remainingMs: 1 })).rejects.toMatchObject({
        code: 'DEADLINE_EXCEEDED',
      });
      expect(await stored(sinkFile, job)).toEqual([]);
      expect((await ledger(sinkFile, job)).filter((e) => e.status === 'succeeded')).toEqual([]);
      await invoke(adapter.scheduledEvent(time), { remainingMs: 60_000 });
      expect(await stored(sinkFile, job)).toEqual([expectedRow(job.windowFor(time))]);
    });

    it('rejects malformed events with INVALID_TRIGGER_EVENT and writes nothing', async () => {
      expect(adapter.malformedEvents.length).toBeGreaterThan(0);
      const { job, sinkFile } = makeJob();
      const invoke = adapter.invoker(job);
      for (const event of adapter.malformedEvents) {
        await expect(invoke(event), JSON.stringify(event) ?? String(event)).rejects.toMatchObject({
          code: 'INVALID_TRIGGER_EVENT',
        });
      }
      expect(await stored(sinkFile, job)).toEqual([]);
      expect(await ledger(sinkFile, job)).toEqual([]);
    });
  });
}

async function createLogTable(db: Knex, table: string, events: readonly LogEvent[]): Promise<void> {
  await db.schema.createTable(table, (t) => {
    t.bigInteger('ts').notNullable().index();
    t.string('user_id');
  });
  for (let i = 0; i < events.length; i += 200) await db(table).insert(events.slice(i, i + 200));
}
