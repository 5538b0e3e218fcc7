import { parseWindowSpec } from '@windowed/core';
import { describe, expect, it } from 'vitest';
import {
  chunkWindowsOf,
  defaultChunkWindows,
  planChunks,
  sinkLimit,
} from '../../src/commands/remote-plan.js';
import { estimateRemoteBackfill, type RemoteBackfillModel } from '../../src/simulator/remote-backfill.js';
import { windowed } from '../helpers/cli.js';

const MINUTE = parseWindowSpec('1m');

describe('remote backfill planning', () => {
  it('sizes the default chunk to a quarter of the timeout at 10 windows/s, within one invocation’s maximum', () => {
    expect(defaultChunkWindows(60_000)).toBe(150);
    expect(defaultChunkWindows(900_000)).toBe(1440);
    expect(defaultChunkWindows(100)).toBe(1);
  });

  it('takes --chunk as whole windows, refusing fractions and more than 1440', () => {
    expect(chunkWindowsOf('30m', MINUTE, 60_000)).toBe(30);
    expect(() => chunkWindowsOf('90s', MINUTE, 60_000)).toThrow(/not a whole number of 1m windows/);
    expect(() => chunkWindowsOf('2d', MINUTE, 60_000)).toThrow(
      /holds 2880 windows; one invocation computes at most 1440/,
    );
  });

  it('splits the range into contiguous chunks, the last one shorter', () => {
    const chunks = planChunks(new Date('2026-11-27T10:00:00Z'), new Date('2026-11-27T11:10:00Z'), MINUTE, 30);
    expect(chunks.map((c) => [c.label, c.windows])).toEqual([
      ['2026-11-27T10:00:00.000Z/2026-11-27T10:30:00.000Z', 30],
      ['2026-11-27T10:30:00.000Z/2026-11-27T11:00:00.000Z', 30],
      ['2026-11-27T11:00:00.000Z/2026-11-27T11:10:00.000Z', 10],
    ]);
  });

  it("caps chunks in flight by the sink's default connection limit", () => {
    expect(sinkLimit('mysql://u:p@db:3306/stats').max).toBe(60);
    expect(sinkLimit({ url: 'postgres://u@db:5432/stats', table: 't' }).max).toBe(40);
    expect(sinkLimit('sqlite:.windowed/x.db').max).toBe(8);
    expect(sinkLimit('stdout:').max).toBe(Number.POSITIVE_INFINITY);
  });

  it('refuses --parallel above the source quota, naming it (CloudWatch Logs Insights: 30)', async () => {
    const out = await windowed(
      [
        'backfill',
        '--target',
        'aws',
        '--remote',
        '--parallel',
        '31',
        '--from',
        '2026-11-27T10:00:00Z',
        '--to',
        '2026-11-27T11:00:00Z',
      ],
      { env: { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' } },
    );
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(
      /--parallel 31 is more than 30: CloudWatch Logs Insights runs at most 30 concurrent queries/,
    );
  });

  it('refuses --stale with --remote, and --parallel without it', async () => {
    const range = ['--from', '2026-11-27T10:00:00Z', '--to', '2026-11-27T11:00:00Z'];
    const stale = await windowed(['backfill', '--target', 'aws', '--remote', '--stale', ...range]);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toMatch(/--stale cannot be used with --remote/);
    const local = await windowed(['backfill', '--parallel', '3', ...range]);
    expect(local.code).toBe(2);
    expect(local.stderr).toMatch(/--parallel and --chunk go with --remote/);
  });
});

describe('estimateRemoteBackfill (simulate --remote-backfill)', () => {
  const base: RemoteBackfillModel = {
    chunks: Array(288).fill(150),
    parallel: 1,
    sourceLimit: 30,
    coldStartMs: 400,
    queryMs: 2000,
    windowMs: 20,
    pollMs: 2000,
    failRate: 0,
    seed: 1,
    platform: { maxRetries: 2, retryDelayMs: (n) => n * 60_000, timeoutMs: 60_000 },
  };

  it('a month of 1-minute windows: ten in flight take a tenth of the time of one; fifty are held back by the source quota', () => {
    const one = estimateRemoteBackfill(base);
    const ten = estimateRemoteBackfill({ ...base, parallel: 10 });
    const fifty = estimateRemoteBackfill({ ...base, parallel: 50 });
    expect(one.windows).toBe(43_200);
    expect(ten.wallMs / one.wallMs).toBeCloseTo(0.1, 1);
    expect(fifty.waitedForSource).toBeGreaterThan(0);
    expect(fifty.wallMs).toBeGreaterThan(one.wallMs / 50);
    expect(fifty.wallMs).toBeLessThan(ten.wallMs);
  });

  it("failed attempts are retried after the platform's delays; a chunk failing every attempt counts as failed", () => {
    const failing = estimateRemoteBackfill({ ...base, chunks: [150], failRate: 1 });
    expect(failing).toMatchObject({ attempts: 3, failed: 1 });
    expect(failing.wallMs).toBeGreaterThan(3 * 60_000);
  });

  it('a chunk longer than the timeout times out on every attempt', () => {
    const slow = estimateRemoteBackfill({ ...base, chunks: [1440], windowMs: 100 });
    expect(slow).toMatchObject({ timedOut: 3, failed: 1 });
  });
});
