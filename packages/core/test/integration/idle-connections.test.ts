import { count, defineWindowedJob, manualTrigger } from '@windowed/core';
import { openTestKnex, startFaultProxy, testDatabases, uniqueName } from '@windowed/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogTable, MINUTE_LOGS } from '../helpers.js';

// A warm function runs its job again a schedule's period later: its pooled connections must still be
// there, or every warm run pays a connection's handshake (and the database a new session) — what a
// hand-written handler holding its connection does not. The minute passes on fake clocks (the pools'
// idle timers and Date.now), everything else in real time.

const databases = await testDatabases(['mysql', 'postgres']);
afterEach(() => {
  vi.useRealTimers();
});

describe.each(databases)('a warm per-minute job on $dialect', (db) => {
  it('keeps its connections from one run to the next a minute later, and lets them go after five idle minutes', async () => {
    const knex = openTestKnex(db);
    const logs = uniqueName('logs');
    await createLogTable(knex, db.dialect, logs, MINUTE_LOGS);
    const proxy = await startFaultProxy(db.url);
    vi.useFakeTimers({
      shouldAdvanceTime: true,
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
    const job = defineWindowedJob({
      name: uniqueName('warm'),
      window: '1m',
      query: { metrics: { pv: count() } },
      source: { type: 'sql', url: proxy.url, table: logs, timeColumn: 'ts' },
      sink: proxy.url,
      logger: false,
    });
    try {
      await job.run(manualTrigger('2026-11-27T10:01:00Z'));
      await job.run(manualTrigger('2026-11-27T10:02:00Z'));
      const opened = proxy.stats.connections;
      await vi.advanceTimersByTimeAsync(61_000);
      const next = await job.run(manualTrigger('2026-11-27T10:03:00Z'));
      expect(next.windows.map((w) => w.status)).toEqual(['succeeded']);
      expect(proxy.stats.connections - opened).toBe(0);
      // Idle for longer than a NAT gateway keeps an idle connection (350 s on AWS), they are gone:
      // the next run opens new ones rather than write into a connection the network forgot.
      await vi.advanceTimersByTimeAsync(300_000);
      const later = await job.run(manualTrigger('2026-11-27T10:04:00Z'));
      expect(later.windows.map((w) => w.status)).toEqual(['succeeded']);
      expect(proxy.stats.connections - opened).toBeGreaterThan(0);
    } finally {
      vi.useRealTimers();
      await job.close();
      await proxy.close();
      await knex.destroy();
    }
  });
});
