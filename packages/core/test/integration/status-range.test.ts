import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count, defineWindowedJob } from '@windowed/core';
import { uniqueName } from '@windowed/testing';
import { describe, expect, it } from 'vitest';

describe('job.status over a range', () => {
  it("after the last success lists the range's failures (no gaps); before later successes, no gaps past its end", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'windowed-status-'));
    const job = defineWindowedJob({
      name: uniqueName('st'),
      window: '1m',
      query: { metrics: { pv: count() } },
      source: {
        type: 'failing-after',
        describe: () => 'fails from 10:30',
        async query(_q, window) {
          if (
            window.start >= new Date('2026-11-27T10:30:00Z') &&
            window.start < new Date('2026-11-27T11:00:00Z')
          )
            throw new Error('down');
          return { rows: [] };
        },
      },
      sink: `sqlite:${join(dir, 'sink.db')}`,
      logger: false,
    });
    try {
      await job.backfill({ from: '2026-11-27T10:00:00Z', to: '2026-11-27T11:00:00Z' });
      const status = await job.status({
        from: new Date('2026-11-27T10:30:00Z'),
        to: new Date('2026-11-27T11:00:00Z'),
      });
      expect(status.counts).toEqual({ succeeded: 0, failed: 30, running: 0, missing: 0, stale: 0 });
      // A range before later successes: the windows after it are not gaps of the range.
      await job.backfill({ from: '2026-11-27T11:00:00Z', to: '2026-11-27T11:30:00Z' });
      const earlier = await job.status({
        from: new Date('2026-11-27T10:00:00Z'),
        to: new Date('2026-11-27T10:10:00Z'),
      });
      expect(earlier.counts).toEqual({ succeeded: 10, failed: 0, running: 0, missing: 0, stale: 0 });
    } finally {
      await job.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
