import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/index.js';

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

function capture() {
  let text = '';
  return {
    stream: {
      write(chunk: string) {
        text += chunk;
        return true;
      },
      isTTY: false,
      columns: 120,
    },
    text: () => text,
  };
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
