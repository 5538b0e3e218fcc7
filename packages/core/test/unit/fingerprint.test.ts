import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { definitionFingerprint } from '../../src/fingerprint.js';
import { defineWindowedJob } from '../../src/job.js';
import { count, countDistinct } from '../../src/query/metrics.js';
import { parseWindowSpec } from '../../src/window/index.js';

const run = promisify(execFile);
const child = fileURLToPath(new URL('../fixtures/fingerprint-child.ts', import.meta.url));

const fingerprintIn = async (locale: string) =>
  (
    await run(process.execPath, ['--import', 'tsx', child], {
      env: { ...process.env, LC_ALL: locale, LANG: locale },
      timeout: 30_000,
    })
  ).stdout.trim();

describe('definitionFingerprint', () => {
  // The function and the laptop running `windowed status` must agree, or every window looks stale.
  it('is the same whatever the process locale', async () => {
    const [english, swedish, posix] = await Promise.all(
      ['en_US.UTF-8', 'sv_SE.UTF-8', 'C'].map((locale) => fingerprintIn(locale)),
    );
    expect(english).toMatch(/^[0-9a-f]{32}$/);
    expect(swedish).toBe(english);
    expect(posix).toBe(english);
  });

  it('ignores the order filters, in-lists and metrics are written in', () => {
    const window = parseWindowSpec('1m');
    const a = definitionFingerprint(
      {
        metrics: { pv: count(), uv: countDistinct('user_id') },
        where: [
          { field: 'status', op: '<', value: 400 },
          { field: 'path', op: 'in', value: ['/b', '/a', '/B'] },
        ],
      },
      window,
      'src',
    );
    const b = definitionFingerprint(
      {
        metrics: { uv: countDistinct('user_id'), pv: count() },
        where: [
          { field: 'path', op: 'in', value: ['/B', '/a', '/b'] },
          { field: 'status', op: '<', value: 400 },
        ],
      },
      window,
      'src',
    );
    expect(b).toBe(a);
    const other = definitionFingerprint(
      {
        metrics: { pv: count(), uv: countDistinct('user_id') },
        where: [{ field: 'status', op: '<', value: 500 }],
      },
      window,
      'src',
    );
    expect(other).not.toBe(a);
  });

  // Ledgers keep the fingerprint of every succeeded window: if the validated query a job keeps
  // changed shape (a default added or dropped by the schema library, a key renamed), every window
  // written before would read as stale. This pins v2 for the pv-uv job as defineWindowedJob keeps it.
  it('is stable for a job as defineWindowedJob keeps it', () => {
    const job = defineWindowedJob({
      name: 'pv_uv',
      window: { size: '1m', delay: '30s', timeZone: 'Asia/Shanghai' },
      query: {
        metrics: { pv: count(), uv: countDistinct('user_id') },
        where: [
          { field: 'status', op: '<', value: 400 },
          { field: 'path', op: 'in', value: ['/', '/search'] },
        ],
      },
    });
    expect(job.query!.metrics.uv).toEqual({ kind: 'countDistinct', field: 'user_id', approximate: false });
    expect(definitionFingerprint(job.query!, job.windowSpec, 'sql mysql://db/logs access_log')).toBe(
      'c91dfac7fff3556034228c79a6506e6d',
    );
  });
});
