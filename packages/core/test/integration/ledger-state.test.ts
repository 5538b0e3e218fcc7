import { count, createSqlSource, defineWindowedJob, manualTrigger, type Source, sum } from '@windowed/core';
import { testDatabases, uniqueName } from '@windowed/testing';
import { describe, expect, it } from 'vitest';
import type { LogRow } from '../helpers.js';
import { dbTime, ledgerFixture } from '../ledger-db.js';

const databases = await testDatabases();
const minute = (m: number) => `2026-11-27T10:${String(m).padStart(2, '0')}:00.000Z`;
const at = (m: number, id?: string) => manualTrigger(minute(m), id ? { id } : {});

/** Two views per minute, 10:00–10:29: one of '/a', one of '/b'. */
const LOGS: LogRow[] = Array.from({ length: 30 }, (_, m) => [
  { ts: minute(m).replace(':00.000Z', ':10.000Z'), user_id: 'u1', path: '/a', bytes: 10 },
  { ts: minute(m).replace(':00.000Z', ':20.000Z'), user_id: 'u2', path: '/b', bytes: 1 },
]).flat();

describe.each(databases)('window states on $dialect', (base) => {
  const fx = ledgerFixture(base, LOGS, () => ({ query: { metrics: { pv: count(), bytes: sum('bytes') } } }));
  const { jobs, makeJob } = fx;
  const source = { type: 'sql', url: '', table: fx.logs, timeColumn: 'ts' };
  const stored = async (table: string) =>
    (await fx.scratch.knex(table).select('window_start', 'pv').orderBy('window_start')).map((r) =>
      Number(r.pv),
    );
  const ledgerRows = (job: string) => fx.scratch.knex('windowed_runs').where({ job }).orderBy('window_start');

  it('a changed definition makes succeeded windows stale; only backfill --stale recomputes them, exactly those', async () => {
    const name = uniqueName('stale');
    const v1 = makeJob(name);
    await v1.backfill({ from: minute(0), to: minute(10) });
    // The same query written another way (metrics and filters in another order) is the same definition.
    const reordered = makeJob(name, {
      query: { metrics: { bytes: sum('bytes'), pv: count() } },
    });
    expect((await reordered.status()).counts).toEqual({
      succeeded: 10,
      failed: 0,
      running: 0,
      missing: 0,
      stale: 0,
    });
    const v2 = makeJob(name, {
      query: {
        metrics: { pv: count(), bytes: sum('bytes') },
        where: [{ field: 'path', op: '=', value: '/a' }],
      },
    });
    const stale = await v2.status();
    expect(stale.counts).toMatchObject({ succeeded: 0, stale: 10 });
    expect(stale.ranges).toEqual([
      { state: 'stale', from: new Date(minute(0)), to: new Date(minute(10)), windows: 10 },
    ]);
    expect(stale.fingerprint).not.toBe((await v1.status()).fingerprint);

    // A scheduled run computes its own window only; catch-up leaves stale windows alone.
    const run = await v2.run(at(11));
    expect(run.windows.map((w) => [w.window.key, w.reason])).toEqual([[minute(10), 'scheduled']]);
    expect((await v2.status()).counts).toMatchObject({ succeeded: 1, stale: 10 });
    // A plain backfill skips them (they succeeded), --stale recomputes exactly them.
    expect(await v2.backfill({ from: minute(0), to: minute(11) })).toMatchObject({
      computed: 0,
      skipped: 11,
    });
    expect(await v2.backfill({ from: minute(0), to: minute(4), stale: true })).toMatchObject({
      computed: 4,
      skipped: 0,
    });
    expect((await v2.status()).ranges.map((r) => [r.state, r.windows])).toEqual([
      ['succeeded', 4],
      ['stale', 6],
      ['succeeded', 1],
    ]);
    expect(await v2.backfill({ from: minute(0), to: minute(20), stale: true })).toMatchObject({
      total: 20,
      computed: 6,
      skipped: 14,
    });
    expect((await v2.status()).counts).toMatchObject({ succeeded: 11, stale: 0 });
    expect(await stored(name)).toEqual(Array(11).fill(1));
    await expect(
      v2.backfill({ from: minute(0), to: minute(1), stale: true, force: true }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('a failed re-run of a succeeded window keeps it succeeded, with its rows, and records the error', async () => {
    const name = uniqueName('rerun');
    const job = makeJob(name);
    await job.backfill({ from: minute(0), to: minute(3) });
    const broken = job.with({ source: { ...source, url: fx.scratch.db.url, table: `${fx.logs}_gone` } });
    jobs.push(broken);
    const forced = await broken.backfill({ from: minute(0), to: minute(2), force: true, triggerId: 'again' });
    expect(forced).toMatchObject({ computed: 0, failed: 2 });
    await expect(broken.run(at(3, 'later'))).rejects.toMatchObject({ code: 'SOURCE_FAILED' });
    const windows = await job.windows({ from: minute(0), to: minute(3) });
    expect(windows.map((w) => w.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    for (const w of windows) {
      expect(w.lastError).toContain('SOURCE_FAILED');
      expect(w.failedAt).toBeInstanceOf(Date);
      // Still the trigger of the run that wrote its rows, not of the re-run that failed (and the
      // attempt is counted): what tells a forced re-run's progress apart.
      expect(w.triggerId).toBe('backfill');
      expect(w.attempts).toBe(2);
    }
    expect(await stored(name)).toEqual([2, 2, 2]);
    // The next success clears the error, and records its trigger.
    await job.backfill({ from: minute(0), to: minute(1), force: true, triggerId: 'healed' });
    const [healed] = await job.windows({ from: minute(0), to: minute(1) });
    expect(healed).toMatchObject({
      state: 'succeeded',
      lastError: null,
      failedAt: null,
      triggerId: 'healed',
    });
  });

  it('start: catch-up and status never look before it, and windows from it never recorded are caught up', async () => {
    const name = uniqueName('start');
    // A window before the start, recorded by the job without one.
    await makeJob(name).backfill({ from: minute(0), to: minute(1) });
    const job = makeJob(name, { start: minute(2), catchUp: { lookback: '1h' } });
    const before = await job.status();
    expect(before).toMatchObject({ start: new Date(minute(2)), counts: { succeeded: 0 } });
    const result = await job.run(at(7));
    expect(result.windows.map((w) => [w.window.key.slice(11, 16), w.reason])).toEqual([
      ['10:02', 'catch-up'],
      ['10:03', 'catch-up'],
      ['10:04', 'catch-up'],
      ['10:05', 'catch-up'],
      ['10:06', 'scheduled'],
    ]);
    const status = await job.status();
    expect(status.from).toEqual(new Date(minute(2)));
    expect(status.counts).toEqual({ succeeded: 5, failed: 0, running: 0, missing: 0, stale: 0 });
    expect((await job.windows({ from: minute(0), to: minute(3) })).map((w) => w.key)).toEqual([minute(2)]);
    // Missing windows count from the start.
    const later = makeJob(uniqueName('start'), { start: minute(0), catchUp: { maxWindows: 0 } });
    await later.run(at(5));
    expect((await later.status()).counts).toMatchObject({ succeeded: 1, missing: 4 });
    expect(() => makeJob(name, { start: '2026-11-27T10:00:30Z' })).toThrow(/window boundary/);
    expect(() => makeJob(name, { start: '2026-02-30T00:00:00Z' })).toThrow(
      expect.objectContaining({ code: 'INVALID_JOB' }),
    );
  });

  it('stores trigger ids of any length (hashed past the column)', async () => {
    const name = uniqueName('trig');
    const job = makeJob(name, { state: fx.scratch.db.url });
    const long = `arn:aws:events:${'x'.repeat(1_000)}`;
    await job.run(at(1, long));
    await job.run(at(2, 'short'));
    const rows = await ledgerRows(name);
    expect(rows.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    expect(rows[0].trigger_id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(rows[1].trigger_id).toBe('short');
  });

  it('a running row lives until the expiry its invocation recorded, not a fixed 15 minutes', async () => {
    const name = uniqueName('expiry');
    let release: () => void = () => undefined;
    let entered: () => void = () => undefined;
    const inner = createSqlSource({ url: fx.scratch.db.url, table: fx.logs, timeColumn: 'ts' });
    const slow: Source = {
      type: 'slow',
      describe: () => 'slow',
      async query(query, window, options) {
        entered();
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return inner.query(query, window, options);
      },
      close: () => inner.close!(),
    };
    // A ledger in a `state` database: the run marks its window running before it computes.
    const job = makeJob(name, { source: slow, state: fx.scratch.db.url });
    const deadline = Date.now() + 60_000;
    const started = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const running = job.run(at(1), { deadline });
    await started;
    await new Promise((r) => setTimeout(r, 50));
    const [marked] = await ledgerRows(name);
    expect(marked.status).toBe('running');
    expect(new Date(marked.expires_at).getTime()).toBe(deadline);
    expect((await job.status()).counts).toMatchObject({ running: 1 });
    release();
    await running;

    // 10:01 expired a moment ago though just written; 10:02 was written an hour ago but lives on.
    const sink = (await ledgerRows(name))[0].sink;
    const row = (m: number, expires: string, updated: string) => ({
      job: name,
      sink,
      window_start: dbTime(base.dialect, minute(m)),
      window_end: dbTime(base.dialect, minute(m + 1)),
      status: 'running',
      attempts: 1,
      updated_at: dbTime(base.dialect, updated),
      expires_at: dbTime(base.dialect, expires),
    });
    const now = Date.now();
    await fx.scratch
      .knex('windowed_runs')
      .insert([
        row(1, new Date(now - 1_000).toISOString(), new Date(now).toISOString()),
        row(2, new Date(now + 3_600_000).toISOString(), new Date(now - 3_600_000).toISOString()),
      ]);
    const fast = job.with({ source: { ...source, url: fx.scratch.db.url } });
    jobs.push(fast);
    expect((await job.status()).ranges.map((r) => [r.state, r.from.toISOString()])).toEqual([
      ['succeeded', minute(0)],
      ['failed', minute(1)],
      ['running', minute(2)],
    ]);
    const result = await fast.run(at(4), { functionTimeoutMs: 15 * 60_000 });
    expect(result.windows.map((w) => [w.window.key.slice(11, 16), w.reason])).toEqual([
      ['10:01', 'catch-up'],
      ['10:03', 'scheduled'],
    ]);
  });
});

describe.each(databases)('status() agrees with windows() on $dialect', (base) => {
  const fx = ledgerFixture(base, [], () => ({}));
  const { jobs } = fx;

  it.each([
    ['1m', 60_000, 5_000],
    ['1h', 3_600_000, 2_500],
    ['1d', 86_400_000, 3_000],
  ])('over a seeded mix of states and gaps of %s windows', async (size, ms, windows) => {
    const name = uniqueName('mix');
    const job = defineWindowedJob({
      name,
      window: size,
      query: async () => [{ n: 1 }],
      sink: fx.scratch.db.url,
      logger: false,
    });
    jobs.push(job);
    const FROM = Date.parse('2026-01-01T00:00:00Z');
    // One real window: creates the ledger and tells the sink identity and fingerprint.
    await job.backfill({ from: new Date(FROM), to: new Date(FROM + ms) });
    const { sink, fingerprint } = await job.status();
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const rows: Record<string, unknown>[] = [];
    const now = Date.now();
    // Runs of one kind: long succeeded stretches, short failed/running/stale/missing ones, single gaps.
    for (let i = 1; i < windows; ) {
      const kind = random();
      const length =
        kind < 0.5 ? 1 + Math.floor(random() * 1500) : 1 + Math.floor(random() * (random() < 0.5 ? 3 : 40));
      for (let k = i; k < Math.min(windows, i + length); k++) {
        const start = new Date(FROM + k * ms).toISOString();
        const end = new Date(FROM + (k + 1) * ms).toISOString();
        const row = (status: string, extra: Record<string, unknown> = {}) => ({
          job: name,
          sink,
          window_start: dbTime(base.dialect, start),
          window_end: dbTime(base.dialect, end),
          status,
          attempts: 1,
          updated_at: dbTime(base.dialect, new Date(now).toISOString()),
          fingerprint: status === 'succeeded' ? fingerprint : null,
          ...extra,
        });
        if (kind < 0.5) rows.push(row('succeeded'));
        else if (kind < 0.6) rows.push(row('failed', { last_error: 'x' }));
        else if (kind < 0.7)
          rows.push(
            row('running', { expires_at: dbTime(base.dialect, new Date(now + 3_600_000).toISOString()) }),
          );
        else if (kind < 0.75)
          rows.push(
            row('running', { expires_at: dbTime(base.dialect, new Date(now - 1_000).toISOString()) }),
          );
        else if (kind < 0.85) rows.push(row('succeeded', { fingerprint: 'another' }));
        // else: missing
      }
      i += length;
    }
    for (let i = 0; i < rows.length; i += 200)
      await fx.scratch.knex('windowed_runs').insert(rows.slice(i, i + 200));
    const status = await job.status();
    const listed = await job.windows({ from: new Date(FROM), to: status.to! });
    const expected: Array<[string, string, number]> = [];
    for (const w of listed) {
      const last = expected[expected.length - 1];
      if (last && last[0] === w.state) last[2]++;
      else expected.push([w.state, w.key, 1]);
    }
    expect(status.ranges.map((r) => [r.state, r.from.toISOString(), r.windows])).toEqual(expected);
    const counts = { succeeded: 0, failed: 0, running: 0, missing: 0, stale: 0 };
    for (const w of listed) counts[w.state]++;
    expect(status.counts).toEqual(counts);
    expect(counts.missing * counts.stale * counts.failed * counts.running).toBeGreaterThan(0);
  });
});
