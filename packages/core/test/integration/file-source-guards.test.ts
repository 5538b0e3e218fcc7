import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  count,
  countDistinct,
  defineWindowedJob,
  manualTrigger,
  type SourceConfig,
  type WindowedJob,
} from '@windowed/core';
import { openTestKnex, testDatabases, uniqueName } from '@windowed/testing';
import { afterAll, describe, expect, it } from 'vitest';

// issue 11 §3: a misconfigured file source fails the run with INVALID_CONFIG; nothing is recorded as
// succeeded, so fixing the configuration recomputes every window.

const [sqlite] = await testDatabases(['sqlite']);
const db = sqlite!;
const knex = openTestKnex(db);
const jobs: WindowedJob[] = [];
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(jobs.map((j) => j.close()));
  await knex.destroy();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const START = Date.parse('2026-11-27T10:00:00Z');

/** Ten views per minute 10:00–10:09; `time` is what `at(ms)` makes of the instant. */
function writeLogs(at: (ms: number) => Record<string, unknown>): { path: string; cacheDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'windowed-guards-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'logs'));
  const lines: string[] = [];
  for (let i = 0; i < 100; i++)
    lines.push(JSON.stringify({ ...at(START + i * 6_000), user_id: `u${i % 4}` }));
  const path = join(dir, 'logs', 'access.ndjson');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return { path, cacheDir: join(dir, 'cache') };
}

function makeJob(name: string, source: SourceConfig): WindowedJob {
  const job = defineWindowedJob({
    name,
    window: '1m',
    query: { metrics: { pv: count(), uv: countDistinct('user_id') } },
    source,
    sink: db.url,
    logger: false,
  });
  jobs.push(job);
  return job;
}

const succeeded = async (job: string) =>
  Number((await knex('windowed_runs').where({ job, status: 'succeeded' }).count({ n: '*' }))[0]!.n);

describe.each([
  {
    name: 'times in "ts", not "time"',
    line: (ms: number) => ({ ts: new Date(ms).toISOString() }),
    wrong: {},
    right: { timeField: 'ts' },
    message: /field "time".*did you mean "ts"\?/,
  },
  {
    name: 'epoch seconds read as milliseconds',
    line: (ms: number) => ({ time: ms / 1000 }),
    wrong: {},
    right: { timeUnit: 's' as const },
    message: /epoch seconds: set timeUnit: 's'/,
  },
])('a file source with $name', ({ line, wrong, right, message }) => {
  const logs = writeLogs(line);
  const source = (more: object): SourceConfig => ({ type: 'ndjson', ...logs, ...more });

  it('fails job.backfill and job.run with INVALID_CONFIG, records nothing as succeeded, and recomputes once fixed', async () => {
    const name = uniqueName('guard');
    const job = makeJob(name, source(wrong));
    const result = await job.backfill({ from: '2026-11-27T10:00:00Z', to: '2026-11-27T10:10:00Z' });
    expect(result).toMatchObject({ total: 10, computed: 0, failed: 10 });
    for (const w of result.windows)
      expect(w.error).toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringMatching(message) });
    await expect(job.run(manualTrigger('2026-11-27T10:06:00Z', { id: 'g1' }))).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringMatching(message),
    });
    expect(await succeeded(name)).toBe(0);
    const sinkRows = (await knex.schema.hasTable(name)) ? await knex(name).count({ n: '*' }) : [{ n: 0 }];
    expect(Number(sinkRows[0]!.n)).toBe(0);

    // The configuration fixed: every window is computed, with the right numbers.
    const fixed = makeJob(name, source(right));
    const again = await fixed.backfill({ from: '2026-11-27T10:00:00Z', to: '2026-11-27T10:10:00Z' });
    expect(again).toMatchObject({ total: 10, computed: 10, failed: 0, malformed: 0 });
    expect(await succeeded(name)).toBe(10);
    const stored = await knex(name).select('pv', 'uv').orderBy('window_start');
    expect(stored).toEqual(Array.from({ length: 10 }, () => ({ pv: 10, uv: 4 })));
  });
});
