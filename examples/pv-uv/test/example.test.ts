import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '@windowed/cli';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_DAY_START, generateLogs, trafficCurve } from '../scripts/generate-logs.js';

const here = dirname(fileURLToPath(import.meta.url));
const CONFIG = resolve(here, '..', 'windowed.config.ts');
const PAGES = new Set(['/', '/search', '/products', '/cart', '/checkout', '/login', '/account', '/help']);

function collector() {
  const chunks: string[] = [];
  return {
    write: (s: string) => {
      chunks.push(s);
      return true;
    },
    text: () => chunks.join(''),
  };
}

async function cli(args: string[]) {
  const stdout = collector();
  const stderr = collector();
  const code = await runCli(['--config', CONFIG, ...args], { stdout, stderr, cwd: here });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('the sample-log generator', () => {
  it('writes a realistic, seeded day: ~100–300k lines, a daily curve, late, out-of-order and malformed lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pvuv-day-'));
    const day = await generateLogs({ file: join(dir, 'day.ndjson') });
    expect(day.lines).toBeGreaterThan(100_000);
    expect(day.lines).toBeLessThan(300_000);
    expect(day.late).toBeGreaterThan(10);
    expect(day.malformed).toBeGreaterThan(5);
    const lines = readFileSync(day.file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(day.lines);
    const times: number[] = [];
    const perHour = new Array<number>(24).fill(0);
    const users = new Map<string, number>();
    let bad = 0;
    for (const line of lines) {
      try {
        const r = JSON.parse(line) as {
          time?: string;
          user_id: string;
          path: string;
          status: number;
          bytes: number;
        };
        const t = Date.parse(r.time ?? '');
        if (Number.isNaN(t)) throw new Error('no time');
        times.push(t);
        perHour[Math.floor((t - DEFAULT_DAY_START.getTime()) / 3_600_000)]!++;
        users.set(r.user_id, (users.get(r.user_id) ?? 0) + 1);
      } catch {
        bad++;
      }
    }
    expect(bad).toBe(day.malformed);
    expect(times.some((t, i) => i > 0 && t < times[i - 1]!)).toBe(true);
    // Lines a minute or more behind the newest seen so far: the late ones.
    let newest = 0;
    let lateSeen = 0;
    for (const t of times) {
      if (t < newest - 60_000) lateSeen++;
      newest = Math.max(newest, t);
    }
    expect(lateSeen).toBeGreaterThan(10);
    // Local night (04:00) is far quieter than the evening peak (21:00).
    expect(perHour[21]!).toBeGreaterThan(5 * perHour[4]!);
    expect(trafficCurve(21)).toBeGreaterThan(trafficCurve(4));
    // Heavy-tailed users: the busiest user makes far more requests than the median one.
    const counts = [...users.values()].sort((a, b) => b - a);
    expect(counts[0]!).toBeGreaterThan(50 * counts[Math.floor(counts.length / 2)]!);
  }, 60_000);

  it('is deterministic: the same seed gives the same bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pvuv-seed-'));
    const hash = async (name: string, seed?: number) => {
      const r = await generateLogs({ file: join(dir, name), minutes: 60, ...(seed ? { seed } : {}) });
      return createHash('sha256').update(readFileSync(r.file)).digest('hex');
    };
    expect(await hash('a.ndjson')).toBe(await hash('b.ndjson'));
    expect(await hash('c.ndjson', 7)).not.toBe(await hash('a.ndjson'));
  });
});

describe('the example config, through the CLI', () => {
  let logs: string;
  let expected: Map<string, { pv: number; uv: number }>;
  let sink: string;
  const saved = { source: process.env.WINDOWED_SOURCE, sink: process.env.WINDOWED_SINK };

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pvuv-cli-'));
    const r = await generateLogs({ file: join(dir, 'logs', 'access.ndjson'), minutes: 120 });
    logs = join(dir, 'logs');
    // PV/UV recomputed independently from the file: pages only, status < 400.
    const sets = new Map<string, { pv: number; users: Set<string> }>();
    for (const line of readFileSync(r.file, 'utf8').split('\n')) {
      let rec: { time?: string; user_id: string; path: string; status: number };
      try {
        rec = JSON.parse(line);
      } catch {
        continue;
      }
      const t = Date.parse(rec.time ?? '');
      if (Number.isNaN(t) || rec.status >= 400 || !PAGES.has(rec.path)) continue;
      const key = new Date(Math.floor(t / 60_000) * 60_000).toISOString();
      const s = sets.get(key) ?? { pv: 0, users: new Set<string>() };
      s.pv++;
      s.users.add(rec.user_id);
      sets.set(key, s);
    }
    expected = new Map([...sets].map(([k, v]) => [k, { pv: v.pv, uv: v.users.size }]));
    sink = `sqlite:${join(dir, 'pv_uv.db')}`;
  });
  // The same variables a deployed function reads: here they point the example at the test's files.
  beforeEach(() => {
    process.env.WINDOWED_SOURCE = `ndjson:${logs}`;
    process.env.WINDOWED_SINK = sink;
  });
  afterEach(() => {
    for (const [key, value] of [
      ['WINDOWED_SOURCE', saved.source],
      ['WINDOWED_SINK', saved.sink],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('backfill + show compute PV/UV per minute; a second run changes nothing', async () => {
    const range = ['--from', '2026-11-25T16:00:00Z', '--to', '2026-11-25T18:00:00Z'];
    const first = await cli(['backfill', ...range, '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ total: 120, computed: 120, failed: 0 });
    const shown = await cli(['show', '--last', '120', '--json']);
    const rows = JSON.parse(shown.stdout) as Array<{ windowStart: string; pv: number; uv: number }>;
    expect(rows).toHaveLength(120);
    for (const r of rows)
      expect({ pv: r.pv, uv: r.uv }, r.windowStart).toEqual(expected.get(r.windowStart) ?? { pv: 0, uv: 0 });

    const second = await cli(['backfill', ...range, '--json']);
    expect(JSON.parse(second.stdout)).toMatchObject({ computed: 0, skipped: 120 });
    expect((await cli(['show', '--last', '120', '--json'])).stdout).toBe(shown.stdout);
    const table = await cli(['show', '--last', '120']);
    expect(table.stdout).toMatch(/window \(Asia\/Shanghai\)\s+pv\s+uv/);
    expect(table.stdout).toMatch(/^pv\s+[▁▂▃▄▅▆▇█]+/m);
  }, 60_000);

  it('plans both clouds without credentials: the schedule follows the window, the failure destination is set', async () => {
    const aliyun = await cli(['plan', '--target', 'aliyun', '--dry-run', '--json']);
    expect(aliyun.code, aliyun.stderr).toBe(0);
    const fc = JSON.parse(aliyun.stdout) as {
      steps: Array<{ api: string; input: { body: Record<string, unknown> } }>;
    };
    expect(fc.steps.find((s) => s.api === 'CreateTrigger')!.input.body).toMatchObject({
      triggerType: 'timer',
      triggerConfig: { cronExpression: 'CRON_TZ=Asia/Shanghai 30 * * * * *', enable: true },
    });
    expect(JSON.stringify(fc)).not.toContain('CHANGE_ME');
    const aws = await cli(['plan', '--target', 'aws', '--dry-run', '--json']);
    expect(aws.code, aws.stderr).toBe(0);
    const lambda = JSON.parse(aws.stdout) as {
      steps: Array<{ api: string; input: Record<string, unknown> }>;
    };
    expect(lambda.steps.find((s) => s.api === 'CreateSchedule')!.input).toMatchObject({
      ScheduleExpression: 'cron(* * * * ? *)',
      ScheduleExpressionTimezone: 'Asia/Shanghai',
    });
    expect(lambda.steps.find((s) => s.api === 'PutFunctionEventInvokeConfig')!.input).toMatchObject({
      DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:123456789012:pv-uv-failures' } },
    });
  }, 120_000);
});
