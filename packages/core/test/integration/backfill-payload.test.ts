import {
  backfillChunkTrigger,
  backfillPayload,
  count,
  defineWindowedJob,
  MAX_BACKFILL_CHUNK_WINDOWS,
  parseBackfillPayload,
  runBackfillPayload,
  type WindowedJob,
} from '@windowed/core';
import { openTestKnex, testDatabases, uniqueName } from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogTable, type LogRow } from '../helpers.js';

const [sqlite] = await testDatabases(['sqlite']);

const LOGS: LogRow[] = Array.from({ length: 120 }, (_, m) => ({
  ts: new Date(Date.parse('2026-11-27T00:00:30Z') + m * 60_000).toISOString(),
  user_id: `u${m % 3}`,
  path: '/',
  bytes: m,
}));

describe('backfill payloads (windowed backfill --remote)', () => {
  const knex = openTestKnex(sqlite!);
  const logs = uniqueName('logs');
  const jobs: WindowedJob[] = [];
  const newJob = () => {
    const job = defineWindowedJob({
      name: uniqueName('bp'),
      window: '1m',
      query: { metrics: { pv: count() } },
      source: { type: 'sql', url: sqlite!.url, table: logs, timeColumn: 'ts' },
      sink: sqlite!.url,
      logger: false,
    });
    jobs.push(job);
    return job;
  };
  beforeAll(() => createLogTable(knex, 'sqlite', logs, LOGS));
  afterAll(async () => {
    await Promise.all(jobs.map((j) => j.close()));
    for (const j of jobs) await knex.schema.dropTableIfExists(j.name);
    await knex.schema.dropTableIfExists(logs);
    await knex.destroy();
  });

  it('accepts the payload the CLI builds, normalizing its instants', () => {
    const job = newJob();
    const payload = backfillPayload(
      job.name,
      new Date('2026-11-27T00:00:00Z'),
      new Date('2026-11-27T01:00:00Z'),
    );
    expect(parseBackfillPayload(JSON.parse(JSON.stringify(payload)), job)).toEqual(payload);
    expect(parseBackfillPayload({ ...payload, from: '2026-11-27T08:00:00+08:00' }, job).from).toBe(
      '2026-11-27T00:00:00.000Z',
    );
  });

  it.each([
    ['another job', { job: 'someone_else' }, /is for job "someone_else", but this function runs/],
    [
      'a range larger than one chunk',
      { to: '2026-11-28T00:01:00Z' },
      new RegExp(`more than ${MAX_BACKFILL_CHUNK_WINDOWS}`),
    ],
    ['a backwards range', { from: '2026-11-27T02:00:00Z' }, /must be before its "to"/],
    ['an instant without a zone', { to: '2026-11-27T01:00:00' }, /at "to": expected an ISO-8601 instant/],
    ['an unknown key', { extra: 1 }, /Invalid backfill payload/],
    ['another version', { version: 2 }, /at "version"/],
    ['an id that is not a plain token', { id: 'chunk 1' }, /at "id": expected 1–64 letters/],
  ])('refuses %s with INVALID_TRIGGER_EVENT', (_, change, message) => {
    const job = newJob();
    const payload = {
      ...backfillPayload(job.name, new Date('2026-11-27T00:00:00Z'), new Date('2026-11-27T01:00:00Z')),
      ...change,
    };
    expect(() => parseBackfillPayload(payload, job)).toThrow(
      expect.objectContaining({ code: 'INVALID_TRIGGER_EVENT', message: expect.stringMatching(message) }),
    );
  });

  it('runs the chunk on the ledger: a second delivery skips what succeeded', async () => {
    const job = newJob();
    const payload = backfillPayload(
      job.name,
      new Date('2026-11-27T00:00:00Z'),
      new Date('2026-11-27T01:00:00Z'),
    );
    const first = await runBackfillPayload(job, payload, { deadline: Date.now() + 60_000 });
    expect(first).toMatchObject({ job: job.name, total: 60, computed: 60, skipped: 0 });
    const again = await runBackfillPayload(job, payload);
    expect(again).toMatchObject({ total: 60, computed: 0, skipped: 60 });
    const rows = (await knex(job.name).orderBy('window_start')) as Array<{ pv: number }>;
    expect(rows.map((r) => r.pv)).toEqual(Array(60).fill(1));
  });

  it("a forced chunk with an id computes its windows again and records them under the chunk's trigger", async () => {
    const job = newJob();
    const [from, to] = [new Date('2026-11-27T02:00:00Z'), new Date('2026-11-27T02:30:00Z')];
    await runBackfillPayload(job, backfillPayload(job.name, from, to));
    const triggers = async () => new Set((await job.windows({ from, to })).map((w) => w.triggerId));
    expect(await triggers()).toEqual(new Set(['backfill']));
    const forced = backfillPayload(job.name, from, to, { force: true, id: 'c1.x' });
    expect(parseBackfillPayload(JSON.parse(JSON.stringify(forced)), job)).toEqual(forced);
    expect(await runBackfillPayload(job, forced)).toMatchObject({ total: 30, computed: 30, skipped: 0 });
    expect(await triggers()).toEqual(new Set([backfillChunkTrigger('c1.x')]));
  });

  it('rejects with DEADLINE_EXCEEDED when the function has no time left, writing nothing', async () => {
    const job = newJob();
    const payload = backfillPayload(
      job.name,
      new Date('2026-11-27T01:00:00Z'),
      new Date('2026-11-27T02:00:00Z'),
    );
    await expect(runBackfillPayload(job, payload, { deadline: Date.now() + 100 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    expect((await job.status()).counts.succeeded).toBe(0);
  });
});
