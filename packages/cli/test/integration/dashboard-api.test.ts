import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { count, defineWindowedJob, type WindowedJob } from '@windowed/core';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DashboardServer, startDashboard } from '../../src/dashboard/server.js';

const SCRATCH = fileURLToPath(new URL('../../.windowed/', import.meta.url));
const YEAR_START = Date.parse('2025-01-01T00:00:00Z');
const YEAR_END = Date.parse('2026-01-01T00:00:00Z');
const MINUTE = 60_000;
/** Every 997th minute of the year failed, and a run of 300 minutes in June never ran. */
const FAILED_EVERY = 997;
const HOLE_FROM = Date.parse('2025-06-10T00:00:00Z');
const HOLE_TO = HOLE_FROM + 300 * MINUTE;

/**
 * A year of one-minute windows in the ledger and the sink, written straight into the tables a run
 * created: each row a copy of that run's own rows (whatever columns they have) with the window's values.
 */
function seedYear(file: string): void {
  const db = new Database(file);
  const iso = (ms: number) => new Date(ms).toISOString();
  const insert = (table: string, template: Record<string, unknown>) => {
    const columns = Object.keys(template);
    const statement = db.prepare(
      `insert or replace into ${table} (${columns.join(', ')}) values (${columns.map((c) => `@${c}`).join(', ')})`,
    );
    return (values: Record<string, unknown>) => statement.run({ ...template, ...values });
  };
  const ledger = insert(
    'windowed_runs',
    db.prepare('select * from windowed_runs').get() as Record<string, unknown>,
  );
  const sink = insert('pv', db.prepare('select * from pv').get() as Record<string, unknown>);
  db.transaction(() => {
    for (let t = YEAR_START, i = 0; t < YEAR_END; t += MINUTE, i++) {
      if (t >= HOLE_FROM && t < HOLE_TO) continue;
      const failed = i % FAILED_EVERY === 0;
      const window = { window_start: iso(t), window_end: iso(t + MINUTE) };
      ledger({
        ...window,
        status: failed ? 'failed' : 'succeeded',
        attempts: failed ? 2 : 1,
        last_error: failed ? 'source timed out' : null,
        updated_at: iso(t + MINUTE),
      });
      if (!failed) sink({ ...window, computed_at: iso(t + MINUTE), pv: i % 60 });
    }
  })();
  db.close();
}

// Reading a year of windows is slow on a loaded machine until the ledger summarizes in SQL: a wide timeout.
describe('the dashboard API over a year of one-minute windows', { timeout: 180_000 }, () => {
  let dir: string;
  let job: WindowedJob;
  let server: DashboardServer;
  const api = async (path: string, init?: RequestInit) => {
    const res = await fetch(new URL(path, server.url), init);
    const text = await res.text();
    return { status: res.status, bytes: text.length, body: JSON.parse(text) };
  };

  beforeAll(async () => {
    mkdirSync(SCRATCH, { recursive: true });
    dir = mkdtempSync(join(SCRATCH, 'dashboard-api-'));
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    writeFileSync(join(logs, 'a.ndjson'), `${JSON.stringify({ time: '2025-01-01T00:00:10Z' })}\n`);
    const file = join(dir, 'sink.db');
    job = defineWindowedJob({
      name: 'year',
      window: '1m',
      query: { metrics: { pv: count() } },
      source: { type: 'ndjson', path: logs },
      sink: { url: `sqlite:${file}`, table: 'pv' },
      logger: false,
    });
    // A real run creates the tables, whatever their shape is today.
    const first = await job.backfill({ from: '2025-01-01T00:00:00Z', to: '2025-01-01T00:01:00Z' });
    expect(first.computed).toBe(1);
    seedYear(file);
    server = await startDashboard({ job, readOnly: true, port: 0 });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await job?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers status with a default range ending at the last recorded window', async () => {
    const { status, body } = await api('/api/status');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      job: 'year',
      windowSize: '1m',
      readOnly: true,
      ledger: true,
      metrics: ['pv'],
    });
    expect(body.latestEnd).toBe('2026-01-01T00:00:00.000Z');
    expect(body.missing).toBe(300);
    expect(body.defaultRange).toEqual({ from: '2025-12-31T00:00:00.000Z', to: '2026-01-01T00:00:00.000Z' });
  });

  it('buckets the whole year into a bounded grid and a bounded list of problems', async () => {
    const { status, bytes, body } = await api(
      '/api/windows?from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z',
    );
    expect(status).toBe(200);
    expect(body.grid.total).toBe(525_600);
    expect(body.grid.rows.length).toBeLessThanOrEqual(62);
    expect(body.grid.cols.length).toBeLessThanOrEqual(96);
    expect(body.grid.cells.length).toBeLessThanOrEqual(62 * 96);
    expect(body.grid.counts).toEqual({
      succeeded: 525_600 - 300 - Math.ceil(525_600 / FAILED_EVERY),
      failed: Math.ceil(525_600 / FAILED_EVERY),
      missing: 300,
    });
    expect(body.problems.total).toBe(Math.ceil(525_600 / FAILED_EVERY) + 1);
    expect(body.problems.ranges).toHaveLength(200);
    expect(body.problems.ranges[0]).toMatchObject({
      state: 'failed',
      lastError: 'source timed out',
      attempts: 2,
    });
    expect(bytes).toBeLessThan(1_000_000);
  });

  it('draws the year as at most 300 points per metric', async () => {
    const { status, bytes, body } = await api(
      '/api/series?from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z',
    );
    expect(status).toBe(200);
    expect(body.t.length).toBeLessThanOrEqual(300);
    expect(body.windowsPerPoint).toBe(Math.ceil(525_600 / 300));
    expect(body.groups).toHaveLength(1);
    expect(body.groups[0].values.pv).toHaveLength(body.t.length);
    expect(bytes).toBeLessThan(100_000);
  });

  it('shows one window exactly, one cell per window when zoomed in', async () => {
    const at = new Date(YEAR_START + FAILED_EVERY * MINUTE).toISOString();
    const one = await api(`/api/window?at=${at}`);
    expect(one.body).toMatchObject({
      start: at,
      state: 'failed',
      attempts: 2,
      lastError: 'source timed out',
    });
    const hour = await api('/api/windows?from=2025-03-01T10:00:00Z&to=2025-03-01T11:00:00Z');
    expect(hour.body.grid.windowsPerCell).toBe(1);
    expect(hour.body.grid.cells).toHaveLength(60);
  });

  it('refuses writes and bad input with a code and what to do', async () => {
    const rerun = await api('/api/rerun', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: '2025-03-01T10:00:00Z', to: '2025-03-01T10:01:00Z' }),
    });
    expect(rerun.status).toBe(403);
    expect(rerun.body.error.code).toBe('READ_ONLY');
    const bad = await api('/api/windows?from=yesterday&to=2025-03-01T11:00:00Z');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_ARGUMENT');
    const unknown = await api('/api/windows?since=2025-03-01T10:00:00Z');
    expect(unknown.body.error.message).toContain('unknown parameter since');
  });
});
