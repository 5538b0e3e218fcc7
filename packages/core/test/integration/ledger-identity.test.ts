import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { testDatabases, uniqueName } from '@windowed/testing';
import { describe, expect, it } from 'vitest';
import { MINUTE_LOGS } from '../helpers.js';
import { dbTime, LEDGER_0_1_CREATE, ledgerFixture, ledgerIndexes, scratchDatabase } from '../ledger-db.js';

const databases = await testDatabases();
const run = promisify(execFile);
const FROM = '2026-11-27T10:00:00Z';
const TO = '2026-11-27T10:10:00Z';
const STATUS_INDEX = ['job', 'sink', 'status', 'fingerprint', 'window_start'];
const minute = (m: number) => `2026-11-27T10:${String(m).padStart(2, '0')}:00.000Z`;

describe.each(databases)('the ledger vouches for one sink on $dialect', (base) => {
  const fx = ledgerFixture(base, MINUTE_LOGS, () => ({}));
  const { jobs, makeJob } = fx;

  const sinkUrl = (table: string) =>
    `${fx.scratch.db.url}${fx.scratch.db.url.includes('?') ? '&' : '?'}table=${table}`;

  it('another sink table is a new sink: backfill computes there and creates it; the old one stays done', async () => {
    // issue 11 §1: this printed "0 computed, 10 already done", and the new table was never created.
    const name = uniqueName('moved');
    const first = makeJob(name, { sink: sinkUrl(`${name}_a`) });
    expect(await first.backfill({ from: FROM, to: TO })).toMatchObject({ computed: 10, skipped: 0 });
    expect(await ledgerIndexes(fx.scratch)).toEqual({ windowed_runs_status: STATUS_INDEX });
    const moved = first.with({ sink: sinkUrl(`${name}_b`) });
    jobs.push(moved);
    expect(await moved.backfill({ from: FROM, to: TO })).toMatchObject({ computed: 10, skipped: 0 });
    expect(await fx.scratch.knex(`${name}_b`).count({ n: '*' })).toEqual([{ n: expect.anything() }]);
    expect(Number((await fx.scratch.knex(`${name}_b`).count({ n: '*' }))[0]!.n)).toBe(10);
    // Both sinks are recorded, each for itself.
    expect(await first.backfill({ from: FROM, to: TO })).toMatchObject({ computed: 0, skipped: 10 });
    expect(await moved.backfill({ from: FROM, to: TO })).toMatchObject({ computed: 0, skipped: 10 });
    const [a, b] = await Promise.all([first.status(), moved.status()]);
    expect(a.counts.succeeded).toBe(10);
    expect(b.counts.succeeded).toBe(10);
    expect(a.sink).toMatch(new RegExp(`^${base.dialect}:.+/${name}_a$`));
    expect(b.sink).toMatch(new RegExp(`/${name}_b$`));
    expect(a.sink).not.toContain('@');
  });

  it('another database through a `state` ledger is a new sink too', async () => {
    const name = uniqueName('state');
    const other = await scratchDatabase(base);
    try {
      const job = makeJob(name, { sink: sinkUrl(name), state: fx.scratch.db.url });
      expect(await job.backfill({ from: FROM, to: '2026-11-27T10:03:00Z' })).toMatchObject({ computed: 3 });
      const elsewhere = job.with({
        sink: `${other.db.url}${other.db.url.includes('?') ? '&' : '?'}table=${name}`,
      });
      jobs.push(elsewhere);
      expect(await elsewhere.backfill({ from: FROM, to: '2026-11-27T10:03:00Z' })).toMatchObject({
        computed: 3,
        skipped: 0,
      });
      await elsewhere.close();
    } finally {
      await other.drop();
    }
  });
});

describe.each(databases)('a 0.1 ledger on $dialect', (base) => {
  const fx = ledgerFixture(base, MINUTE_LOGS, () => ({}));
  const { jobs, makeJob } = fx;

  const legacyRow = (
    job: string,
    m: number,
    status: string,
    attempts: number,
    error: string | null = null,
  ) => ({
    job,
    window_start: dbTime(base.dialect, minute(m)),
    window_end: dbTime(base.dialect, minute(m + 1)),
    status,
    attempts,
    last_error: error,
    trigger_id: `evt-${m}`,
    updated_at: dbTime(base.dialect, '2026-11-27T11:00:00Z'),
  });

  it('migrates in place on first use, by two jobs at once: nothing lost, each job’s rows claimed by its sink', async () => {
    const a = uniqueName('a');
    const b = uniqueName('b');
    await fx.scratch.knex.raw(LEDGER_0_1_CREATE[base.dialect]);
    await fx.scratch
      .knex('windowed_runs')
      .insert([
        ...[0, 1, 2, 3, 4].map((m) => legacyRow(a, m, 'succeeded', 1)),
        legacyRow(a, 5, 'failed', 3, 'SOURCE_FAILED: boom'),
        ...[0, 1, 2].map((m) => legacyRow(b, m, 'succeeded', 2)),
      ]);

    // A read-only status reads the 0.1 table as it is, and migrates nothing.
    const reader = makeJob(a).with({ readOnly: true });
    jobs.push(reader);
    const before = await reader.status();
    expect(before.counts).toMatchObject({ succeeded: 5, failed: 1 });
    expect(await fx.scratch.knex.schema.hasColumn('windowed_runs', 'sink')).toBe(false);

    // Three first uses at once (two jobs, one of them twice, each with its own pool).
    const jobA = makeJob(a);
    const jobA2 = makeJob(a).with({});
    jobs.push(jobA2);
    const jobB = makeJob(b, {
      sink: `${fx.scratch.db.url}${fx.scratch.db.url.includes('?') ? '&' : '?'}table=${b}`,
    });
    const [ra, ra2, rb] = await Promise.all([
      jobA.backfill({ from: FROM, to: TO }),
      jobA2.backfill({ from: FROM, to: '2026-11-27T10:05:00Z' }),
      jobB.backfill({ from: FROM, to: TO }),
    ]);
    expect(ra.skipped).toBeGreaterThanOrEqual(5);
    expect(ra.computed + ra.skipped).toBe(10);
    expect(ra2).toMatchObject({ computed: 0, skipped: 5 });
    expect(rb).toMatchObject({ computed: 7, skipped: 3 });

    expect(await fx.scratch.knex.schema.hasColumn('windowed_runs', 'sink')).toBe(true);
    // The migration adds the index `status` reads the windows not succeeded through (issue 15 §2).
    expect(await ledgerIndexes(fx.scratch)).toEqual({ windowed_runs_status: STATUS_INDEX });
    const rows = await fx.scratch.knex('windowed_runs').orderBy(['job', 'window_start']);
    const ofA = rows.filter((r) => r.job === a);
    const ofB = rows.filter((r) => r.job === b);
    expect(ofA).toHaveLength(10);
    expect(ofB).toHaveLength(10);
    expect(new Set(ofA.map((r) => r.sink))).toEqual(new Set([(await jobA.status()).sink]));
    expect(new Set(ofB.map((r) => r.sink))).toEqual(new Set([(await jobB.status()).sink]));
    // The 0.1 rows kept their attempts, trigger ids and times; the failed one was re-run once.
    expect(ofA.slice(0, 5).map((r) => [Number(r.attempts), r.trigger_id, r.status])).toEqual(
      [0, 1, 2, 3, 4].map((m) => [1, `evt-${m}`, 'succeeded']),
    );
    expect(ofA[5]).toMatchObject({ status: 'succeeded', last_error: null });
    expect(Number(ofA[5].attempts)).toBe(4);
    expect(ofB.slice(0, 3).map((r) => Number(r.attempts))).toEqual([2, 2, 2]);
    expect(await jobA.status()).toMatchObject({ counts: { succeeded: 10, failed: 0, missing: 0 } });
  });
});

describe.each(databases)('a 0.1 ledger on $dialect, first used by two processes at once', (base) => {
  const fx = ledgerFixture(base, [], () => ({}));
  const child = fileURLToPath(new URL('../fixtures/first-use-child.ts', import.meta.url));
  const firstUse = (name: string, sink: string) =>
    run(process.execPath, ['--import', 'tsx', child, sink, name, FROM, TO], { timeout: 60_000 }).then(
      ({ stdout }) => JSON.parse(stdout.trim()) as { computed: number; skipped: number; failed: number },
    );

  it('migrates once, loses nothing, and each process finds its job’s rows', async () => {
    const a = uniqueName('pa');
    const b = uniqueName('pb');
    const legacy = (job: string, m: number) => ({
      job,
      window_start: dbTime(base.dialect, minute(m)),
      window_end: dbTime(base.dialect, minute(m + 1)),
      status: 'succeeded',
      attempts: 1,
      updated_at: dbTime(base.dialect, '2026-11-27T11:00:00Z'),
    });
    await fx.scratch.knex.raw(LEDGER_0_1_CREATE[base.dialect]);
    await fx.scratch.knex('windowed_runs').insert([0, 1, 2, 3].flatMap((m) => [legacy(a, m), legacy(b, m)]));
    const url = fx.scratch.db.url;
    const sep = url.includes('?') ? '&' : '?';
    const [ra, rb] = await Promise.all([
      firstUse(a, `${url}${sep}table=${a}`),
      firstUse(b, `${url}${sep}table=${b}`),
    ]);
    expect(ra).toEqual({ computed: 6, skipped: 4, failed: 0 });
    expect(rb).toEqual({ computed: 6, skipped: 4, failed: 0 });
    const rows = await fx.scratch.knex('windowed_runs').select('job', 'sink', 'attempts');
    expect(rows).toHaveLength(20);
    for (const job of [a, b]) {
      const own = rows.filter((r) => r.job === job);
      expect(new Set(own.map((r) => r.sink)).size).toBe(1);
      expect(own[0].sink).toMatch(new RegExp(`/${job}$`));
    }
  });
});
