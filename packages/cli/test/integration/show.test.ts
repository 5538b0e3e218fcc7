import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/index.js';
import { capture } from '../helpers/cli.js';

/** Inside the package (git-ignored), so that the config's `@windowed/core` resolves to the build. */
const SCRATCH = fileURLToPath(new URL('../../.windowed/', import.meta.url));

/** A project whose hourly job runs in New York, over the day its clocks go back. */
function project(): string {
  mkdirSync(SCRATCH, { recursive: true });
  const dir = mkdtempSync(join(SCRATCH, 'show-'));
  writeFileSync(
    join(dir, 'windowed.config.ts'),
    `import { defineWindowedJob } from '@windowed/core';
export default {
  job: defineWindowedJob({
    name: 'fall_back',
    window: { size: '1h', timeZone: 'America/New_York' },
    query: async ({ window }) => [{ n: window.start.getUTCHours() }],
    logger: false,
  }),
  targets: { local: { sink: ${JSON.stringify(`sqlite:${join(dir, 'sink.db')}`)} } },
};
`,
  );
  return dir;
}

describe('windowed show', () => {
  const dir = project();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints times with their UTC offset on the day the local hour repeats', async () => {
    const err = capture();
    const backfill = await runCli(
      ['backfill', '--from', '2026-11-01T03:00:00Z', '--to', '2026-11-01T09:00:00Z'],
      {
        cwd: dir,
        stdout: capture().stream,
        stderr: err.stream,
      },
    );
    expect(backfill, err.text()).toBe(0);
    const out = capture();
    expect(
      await runCli(['show', '--last', '6', '--no-color'], {
        cwd: dir,
        stdout: out.stream,
        stderr: err.stream,
      }),
    ).toBe(0);
    const table = out.text();
    // 01:00 New York time happened twice: once at -04:00 (05:00Z), once at -05:00 (06:00Z).
    expect(table).toContain('2026-11-01 01:00 -04:00');
    expect(table).toContain('2026-11-01 01:00 -05:00');
    const labels = table.match(/2026-11-01 \d\d:\d\d [+-]\d\d:\d\d/g) ?? [];
    const rows = labels.slice(0, 6);
    expect(rows).toHaveLength(6);
    expect(new Set(rows).size).toBe(6);
  });
});

describe('windowed show of a grouped job', () => {
  mkdirSync(SCRATCH, { recursive: true });
  const dir = mkdtempSync(join(SCRATCH, 'show-groups-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const views = [
    ['2026-11-27T10:00:05Z', 'u1', '/a', 10],
    ['2026-11-27T10:00:15Z', 'u2', '/a', 30],
    ['2026-11-27T10:00:25Z', 'u1', '/b', 5],
    ['2026-11-27T10:00:35Z', 'u2', '/b', 7],
    ['2026-11-27T10:01:05Z', 'u1', '/a', 1],
    ['2026-11-27T10:01:15Z', 'u3', '/b', 2],
  ] as const;
  writeFileSync(
    join(dir, 'logs.ndjson'),
    views.map(([time, user_id, path, ms]) => JSON.stringify({ time, user_id, path, ms })).join('\n'),
  );
  writeFileSync(
    join(dir, 'windowed.config.ts'),
    `import { count, countDistinct, defineWindowedJob, max } from '@windowed/core';
export default {
  job: defineWindowedJob({
    name: 'by_path',
    window: '1m',
    query: { groupBy: ['path'], metrics: { pv: count(), uv: countDistinct('user_id'), slowest: max('ms') } },
    logger: false,
  }),
  targets: {
    local: { source: { type: 'ndjson', path: './logs.ndjson' }, sink: ${JSON.stringify(`sqlite:${join(dir, 'sink.db')}`)} },
  },
};
`,
  );
  const cli = async (args: string[]) => {
    const out = capture();
    const err = capture();
    const code = await runCli([...args, '--no-color'], { cwd: dir, stdout: out.stream, stderr: err.stream });
    return { code, stdout: out.text(), stderr: err.text() };
  };

  it('totals counts over the groups, and shows distinct counts and maxima per group, saying so', async () => {
    const backfill = await cli([
      'backfill',
      '--from',
      '2026-11-27T10:00:00Z',
      '--to',
      '2026-11-27T10:02:00Z',
    ]);
    expect(backfill.code, backfill.stderr).toBe(0);
    const out = await cli(['show', '--last', '2']);
    expect(out.code, out.stderr).toBe(0);
    const line = (label: string) => out.stdout.split('\n').find((l) => l.startsWith(`${label} `)) ?? '';
    expect(line('pv (all groups)')).toMatch(/min 2 {2}max 4$/);
    expect(line('uv path=/a')).toMatch(/min 1 {2}max 2$/);
    expect(line('uv path=/b')).toMatch(/min 1 {2}max 2$/);
    expect(line('slowest path=/a')).toMatch(/min 1 {2}max 30$/);
    // Never the sum of the groups' distinct counts (4) or maxima (37).
    expect(out.stdout).not.toMatch(/^uv {2,}/m);
    expect(out.stdout).not.toMatch(/^(uv|slowest) .*max (4|37)$/m);
    expect(out.stdout).toContain('uv, slowest shown per group');
  });

  it('--group shows one group: its rows and its own values', async () => {
    const out = await cli(['show', '--last', '2', '--group', '/b']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('group path=/b');
    expect(out.stdout).not.toContain('/a');
    const line = (label: string) => out.stdout.split('\n').find((l) => l.startsWith(`${label} `)) ?? '';
    expect(line('pv')).toMatch(/min 1 {2}max 2$/);
    expect(line('slowest')).toMatch(/min 2 {2}max 7$/);
    const none = await cli(['show', '--group', '/c']);
    expect(none.stdout).toContain('no rows of group path=/c');
  });
});
