import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backfillPayload, count, defineWindowedJob, type Source, type WindowedJob } from '@windowed/core';
import { uniqueName } from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaHandler, parseLambdaDestinationRecord } from '../../src/index.js';
import { fixture } from '../fixtures.js';
import { lambdaContext } from '../lambda-context.js';

let dir: string;
const jobs: WindowedJob[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'windowed-aws-backfill-'));
});
afterAll(async () => {
  await Promise.all(jobs.map((j) => j.close()));
  rmSync(dir, { recursive: true, force: true });
});

/** One row per window: its start's minute. */
const minuteSource: Source = {
  type: 'minutes',
  async query(_q, window) {
    return { rows: [{ pv: window.start.getUTCMinutes() }] };
  },
  describe: () => 'minutes',
};

function newJob(): WindowedJob {
  const job = defineWindowedJob({
    name: uniqueName('rb'),
    window: '1m',
    query: { metrics: { pv: count() } },
    source: minuteSource,
    sink: `sqlite:${join(dir, 'sink.db')}`,
    logger: false,
  });
  jobs.push(job);
  return job;
}

const FROM = new Date('2026-11-27T10:00:00Z');
const TO = new Date('2026-11-27T10:30:00Z');

describe('lambdaHandler with a backfill payload (windowed backfill --remote)', () => {
  it('computes the chunk on the ledger and resolves with its summary', async () => {
    const job = newJob();
    const summary = await lambdaHandler(job)(backfillPayload(job.name, FROM, TO), lambdaContext());
    expect(summary).toMatchObject({
      job: job.name,
      backfill: { from: FROM.toISOString(), to: TO.toISOString() },
      total: 30,
      computed: 30,
      skipped: 0,
    });
    // Lambda re-delivers the same payload on a retry: nothing is computed twice.
    const again = await lambdaHandler(job)(backfillPayload(job.name, FROM, TO), lambdaContext());
    expect(again).toMatchObject({ computed: 0, skipped: 30 });
    expect((await job.results({ limit: 100 })).map((r) => Number(r.values.pv)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 30 }, (_, i) => i),
    );
  });

  it("refuses another job's payload with INVALID_TRIGGER_EVENT, so it reaches the failure destination unrun", async () => {
    const job = newJob();
    await expect(
      lambdaHandler(job)(backfillPayload('other_job', FROM, TO), lambdaContext()),
    ).rejects.toMatchObject({ code: 'INVALID_TRIGGER_EVENT' });
    expect((await job.status()).counts.succeeded).toBe(0);
  });

  it("rejects with DEADLINE_EXCEEDED when the function's remaining time is spent", async () => {
    const job = newJob();
    await expect(
      lambdaHandler(job)(backfillPayload(job.name, FROM, TO), lambdaContext(50)),
    ).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  });
});

describe('parseLambdaDestinationRecord with a backfill chunk', () => {
  it('carries the chunk, so replay re-runs the range', () => {
    const payload = backfillPayload('pv_uv', FROM, TO);
    const record = { ...(fixture('destination-record') as Record<string, unknown>), requestPayload: payload };
    expect(parseLambdaDestinationRecord(JSON.stringify(record))).toMatchObject({
      provider: 'aws',
      backfill: payload,
      trigger: { scheduledTime: TO.toISOString(), source: 'manual' },
      condition: 'RetriesExhausted',
      attempts: 3,
    });
  });
});
