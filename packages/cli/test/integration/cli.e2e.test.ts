import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTestKnex, testDatabases, uniqueName } from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BIN,
  expectedMetrics,
  hasAnsi,
  NO_CREDENTIALS,
  RECORDS,
  windowed,
  writeLogs,
} from '../helpers/cli.js';

const databases = await testDatabases(['sqlite', 'mysql']);
let logs: string;

beforeAll(() => {
  if (!existsSync(BIN))
    throw new Error(
      `${BIN} is missing: run \`npx tsup\` in packages/cli (npm test does) before the e2e tests.`,
    );
  logs = writeLogs();
});

describe.each(databases)('windowed CLI end to end on $dialect', (db) => {
  const job = uniqueName('e2e');
  const table = uniqueName('pv_uv');
  const sink = `${db.url}?table=${table}`;
  const env = { E2E_JOB: job, E2E_SINK: sink, E2E_LOGS: '' };
  const knex = openTestKnex(db);
  const run = (args: string[], extra: Record<string, string | undefined> = {}, more = {}) =>
    windowed(args, { env: { ...env, E2E_LOGS: logs, ...extra }, ...more });
  const rows = async () =>
    (await knex(table).where('job', job).orderBy('window_start')) as Array<{
      window_start: unknown;
      pv: number;
      uv: number;
    }>;
  const iso = (v: unknown) =>
    new Date(
      v instanceof Date ? v : `${String(v).replace(' ', 'T')}${/Z$/.test(String(v)) ? '' : 'Z'}`,
    ).toISOString();

  afterAll(async () => {
    await knex.destroy();
  });

  it('run --at computes the window the scheduled time names, and says which', async () => {
    const out = await run(['run', '--at', '2026-11-27T10:03:30Z']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toContain('window [2026-11-27T10:02:00.000Z, 2026-11-27T10:03:00.000Z)');
    expect(out.stdout).toMatch(/2026-11-27T10:02:00\.000Z.*scheduled\s+succeeded\s+1/);
    // And the values it computed for the scheduled window.
    const { pv, uv } = expectedMetrics('2026-11-27T10:02:00Z');
    expect(out.stdout).toMatch(
      new RegExp(`values of the scheduled window\\n\\s*pv\\s+uv\\n.*\\n\\s*${pv}\\s+${uv}\\n`),
    );
    const json = await run(['run', '--at', '2026-11-27T10:03:30Z', '--json']);
    expect(JSON.parse(json.stdout).values).toEqual([{ pv, uv }]);
    const stored = await rows();
    expect(stored.map((r) => iso(r.window_start))).toEqual(['2026-11-27T10:02:00.000Z']);
    expect({ pv: stored[0]!.pv, uv: stored[0]!.uv }).toEqual(expectedMetrics('2026-11-27T10:02:00Z'));
  });

  it('run without --at uses the current time and prints it', async () => {
    const out = await run(['run', '--json'], { E2E_JOB: uniqueName('e2e_now') });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(
      /No --at given: using the current time \d{4}-\d\d-\d\dT[\d:.]+Z as the scheduled time/,
    );
    const result = JSON.parse(out.stdout) as { scheduledTime: string };
    expect(Math.abs(Date.parse(result.scheduledTime) - Date.now())).toBeLessThan(60_000);
  });

  it('backfill computes a range once; a rerun skips it; show prints the table and a sparkline', async () => {
    const first = await run([
      'backfill',
      '--from',
      '2026-11-27T10:00:00Z',
      '--to',
      '2026-11-27T11:00:00Z',
      '--json',
    ]);
    expect(first.code, first.stderr).toBe(0);
    // The truncated line says no time it can be read at: it belongs to no window, and is said apart.
    expect(JSON.parse(first.stdout)).toMatchObject({
      total: 60,
      failed: 0,
      aborted: false,
      malformed: 0,
      unplaced: { not_json: 1 },
    });
    const again = await run([
      'backfill',
      '--from',
      '2026-11-27T10:00:00Z',
      '--to',
      '2026-11-27T11:00:00Z',
      '--json',
    ]);
    expect(JSON.parse(again.stdout)).toMatchObject({ total: 60, computed: 0, skipped: 60 });
    const stored = (await rows()).filter((r) => iso(r.window_start) < '2026-11-27T11:00:00.000Z');
    expect(stored).toHaveLength(60);
    for (const r of stored) expect({ pv: r.pv, uv: r.uv }).toEqual(expectedMetrics(iso(r.window_start)));

    const shown = await run(['show', '--last', '60', '--rows', '3']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(hasAnsi(shown.stdout)).toBe(false);
    const tableLines = shown.stdout.split('\n').filter((l) => /^2026-11-27 10:5[7-9]/.test(l));
    expect(tableLines).toHaveLength(3);
    expect(tableLines[2]).toMatch(
      new RegExp(
        `10:59\\s+${expectedMetrics('2026-11-27T10:59:00Z').pv}\\s+${expectedMetrics('2026-11-27T10:59:00Z').uv}$`,
      ),
    );
    expect(shown.stdout).toMatch(/^pv\s+[▁▂▃▄▅▆▇█]{20,}\s+min 1\s+max 7$/m);
    const json = JSON.parse((await run(['show', '--last', '2', '--json'])).stdout) as Array<{
      windowStart: string;
      pv: number;
    }>;
    expect(json.map((r) => r.windowStart)).toEqual(['2026-11-27T10:58:00.000Z', '2026-11-27T10:59:00.000Z']);
  });

  it('backfill stops cleanly on Ctrl-C (exit 130, no half-written window) and resumes', async () => {
    // 20 days of 1-minute windows: 20 batches, so the interrupt lands between batches of writes.
    const args = ['backfill', '--from', '2026-11-28T00:00:00Z', '--to', '2026-12-18T00:00:00Z'];
    const stopped = await run(args, {}, { interruptWhen: (stderr: string) => /\b[1-9]\d\.\d%/.test(stderr) });
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain('Stopping after the windows in flight');
    expect(stopped.stderr).toContain('run the same command again to resume'.replace('run', 'Run'));
    const from = '2026-11-28 00:00:00';
    const inRange = async () => {
      const r = await knex(table)
        .where('job', job)
        .where('window_start', '>=', db.dialect === 'sqlite' ? '2026-11-28T00:00:00.000Z' : from)
        .count({ n: '*' });
      const l = await knex('windowed_runs')
        .where('job', job)
        .where('status', 'succeeded')
        .where('window_start', '>=', db.dialect === 'sqlite' ? '2026-11-28T00:00:00.000Z' : from)
        .count({ n: '*' });
      return { rows: Number(r[0]!.n), succeeded: Number(l[0]!.n) };
    };
    const partial = await inRange();
    expect(partial.succeeded).toBeGreaterThan(0);
    expect(partial.succeeded).toBeLessThan(20 * 1440);
    // Every window the ledger calls done has its row; nothing else was written.
    expect(partial.rows).toBe(partial.succeeded);

    const resumed = await run([...args, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const result = JSON.parse(resumed.stdout) as { total: number; computed: number; skipped: number };
    expect(result.total).toBe(20 * 1440);
    expect(result.skipped).toBe(partial.succeeded);
    expect(result.computed).toBe(20 * 1440 - partial.succeeded);
    expect(await inRange()).toEqual({ rows: 20 * 1440, succeeded: 20 * 1440 });
  }, 120_000);

  it('a failing run exits 1 with one line and a hint; status lists the failed window with attempts and error', async () => {
    const own = { E2E_JOB: uniqueName('e2e_fail') };
    expect(
      (await run(['backfill', '--from', '2026-11-27T10:00:00Z', '--to', '2026-11-27T10:30:00Z'], own)).code,
    ).toBe(0);
    expect(
      (await run(['backfill', '--from', '2026-11-27T10:40:00Z', '--to', '2026-11-27T10:50:00Z'], own)).code,
    ).toBe(0);
    const missing = join(mkdtempSync(join(tmpdir(), 'windowed-none-')), 'nothing-here');
    for (let i = 0; i < 2; i++) {
      const out = await run(['run', '--at', '2026-11-27T10:55:30Z'], {
        ...own,
        WINDOWED_SOURCE: `ndjson:${missing}`,
      });
      expect(out.code).toBe(1);
      expect(out.stderr).toMatch(/^error: SOURCE_FAILED: .+$/m);
      expect(out.stderr).toMatch(/^hint: /m);
      expect(out.stderr).not.toMatch(/^\s+at /m);
    }
    const status = await run(['status'], own);
    expect(status.code).toBe(1);
    expect(hasAnsi(status.stdout)).toBe(false);
    expect(status.stdout).toMatch(/last succeeded\s+2026-11-27T10:49:00\.000Z/);
    // Catch-up (5 windows per run here) tried the oldest windows never run, and they failed too.
    expect(status.stdout).toMatch(/^succeeded 40 {2}failed 6 {2}running 0 {2}missing 9 {2}stale 0$/m);
    expect(status.stdout).toMatch(/failed\s+2026-11-27T10:30:00\.000Z\s+2026-11-27T10:35:00\.000Z\s.*\s5$/m);
    expect(status.stdout).toMatch(/missing\s+2026-11-27T10:35:00\.000Z\s+2026-11-27T10:40:00\.000Z\s.*\s5$/m);
    expect(status.stdout).toMatch(/2026-11-27T10:54:00\.000Z.*\s2\s.*SOURCE_FAILED/);
    const json = JSON.parse((await run(['status', '--json'], own)).stdout) as {
      counts: Record<string, number>;
      ranges: Array<{ state: string; from: string; to: string; windows: number }>;
    };
    expect(json.counts).toEqual({ succeeded: 40, failed: 6, running: 0, missing: 9, stale: 0 });
    const t = (hhmm: string) => `2026-11-27T${hhmm}:00.000Z`;
    expect(json.ranges).toEqual([
      { state: 'succeeded', from: t('10:00'), to: t('10:30'), windows: 30 },
      { state: 'failed', from: t('10:30'), to: t('10:35'), windows: 5 },
      { state: 'missing', from: t('10:35'), to: t('10:40'), windows: 5 },
      { state: 'succeeded', from: t('10:40'), to: t('10:50'), windows: 10 },
      { state: 'missing', from: t('10:50'), to: t('10:54'), windows: 4 },
      { state: 'failed', from: t('10:54'), to: t('10:55'), windows: 1 },
    ]);

    // --verbose adds the stack.
    const verbose = await run(['--verbose', 'run', '--at', '2026-11-27T10:55:30Z'], {
      ...own,
      WINDOWED_SOURCE: `ndjson:${missing}`,
    });
    expect(verbose.stderr).toMatch(/^\s+at /m);
  });

  it('another sink table is computed there; another source makes windows stale, and backfill --stale recomputes exactly those', async () => {
    // issue 11 §1–2: a new sink table printed "0 computed, … already done" and was never created.
    const own = { E2E_JOB: uniqueName('e2e_ledger') };
    const range = ['--from', '2026-11-27T10:00:00Z', '--to', '2026-11-27T10:05:00Z'];
    expect((await run(['backfill', ...range], own)).code).toBe(0);
    const other = uniqueName('pv_uv_b');
    const moved = await run(['backfill', ...range, '--json'], {
      ...own,
      E2E_SINK: `${db.url}?table=${other}`,
    });
    expect(JSON.parse(moved.stdout)).toMatchObject({ computed: 5, skipped: 0 });
    expect(Number((await knex(other).count({ n: '*' }))[0]!.n)).toBe(5);
    await knex.schema.dropTable(other);

    // The same logs read from another place: another source, so the windows were computed under another definition.
    const copy = join(mkdtempSync(join(tmpdir(), 'windowed-moved-')), 'logs');
    cpSync(logs, copy, { recursive: true });
    const moved2 = { ...own, E2E_LOGS: copy };
    const stale = JSON.parse((await run(['status', '--json'], moved2)).stdout) as {
      counts: Record<string, number>;
      ranges: Array<{ state: string; windows: number }>;
    };
    expect(stale.counts).toMatchObject({ succeeded: 0, stale: 5 });
    expect(stale.ranges).toEqual([
      { state: 'stale', from: '2026-11-27T10:00:00.000Z', to: '2026-11-27T10:05:00.000Z', windows: 5 },
    ]);
    const recomputed = await run(['backfill', '--stale'], moved2);
    expect(recomputed.code, recomputed.stderr).toBe(0);
    expect(recomputed.stdout).toMatch(/5 computed, 0 not stale/);
    const after = JSON.parse((await run(['status', '--json'], moved2)).stdout) as {
      counts: Record<string, number>;
    };
    expect(after.counts).toMatchObject({ succeeded: 5, stale: 0 });
    expect((await run(['backfill', '--stale'], moved2)).stdout).toMatch(/no stale windows/);
  });

  it('a source whose times are in another field fails backfill and run (non-zero exit, the field named, did you mean); nothing recorded as succeeded', async () => {
    // issue 11 §3: this printed `… computed, 2000 malformed log line(s) skipped`, exit 0, and stored zeros.
    const own = { E2E_JOB: uniqueName('e2e_ts') };
    const dir = mkdtempSync(join(tmpdir(), 'windowed-ts-logs-'));
    const lines = Array.from({ length: 120 }, (_, i) =>
      JSON.stringify({
        ts: new Date(Date.parse('2026-11-27T10:00:00Z') + i * 5_000).toISOString(),
        user_id: 'u',
      }),
    );
    writeFileSync(join(dir, 'access.ndjson'), `${lines.join('\n')}\n`);
    const backfill = await run(
      ['backfill', '--from', '2026-11-27T10:00:00Z', '--to', '2026-11-27T10:10:00Z'],
      {
        ...own,
        E2E_LOGS: dir,
      },
    );
    expect(backfill.code).not.toBe(0);
    expect(backfill.stderr).toMatch(/INVALID_CONFIG: .*field "time".*did you mean "ts"\?/);
    expect(backfill.stderr).not.toMatch(/\b10 computed/);
    const ran = await run(['run', '--at', '2026-11-27T10:05:30Z'], { ...own, E2E_LOGS: dir });
    expect(ran.code).not.toBe(0);
    expect(ran.stderr).toMatch(/^error: INVALID_CONFIG: .*did you mean "ts"\?/m);
    const succeeded = await knex('windowed_runs')
      .where({ job: own.E2E_JOB, status: 'succeeded' })
      .count({ n: '*' });
    expect(Number(succeeded[0]!.n)).toBe(0);
  });

  it("says why lines were skipped, counting the run's windows only", async () => {
    const own = { E2E_JOB: uniqueName('e2e_bad') };
    const dir = mkdtempSync(join(tmpdir(), 'windowed-bad-logs-'));
    const at = (minute: number, second: number) =>
      new Date(Date.parse('2026-11-27T10:00:00Z') + minute * 60_000 + second * 1000).toISOString();
    const lines = Array.from({ length: 400 }, (_, i) =>
      JSON.stringify({ time: at(Math.floor(i / 10), i % 10), user_id: `u${i % 7}` }),
    );
    // Not JSON, but its time can be read: it belongs to 10:00 and to 10:30. And a line with no time.
    lines.push(
      `{"time": "${at(0, 30)}", "user_id": `,
      `{"time": "${at(30, 30)}", "user_id": `,
      '{"user_id": "x"}',
    );
    writeFileSync(join(dir, 'access.ndjson'), `${lines.join('\n')}\n`);
    const ran = await run(['run', '--at', '2026-11-27T10:01:30Z'], { ...own, E2E_LOGS: dir });
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).toContain(
      '1 malformed log line(s) in these windows skipped (1 not a JSON object or CSV row); the files read also have lines without a usable time, skipped: 1 no time field.',
    );
    const json = await run(['run', '--at', '2026-11-27T10:05:30Z', '--json'], { ...own, E2E_LOGS: dir });
    expect(JSON.parse(json.stdout)).toMatchObject({
      malformed: 0,
      malformedReasons: {},
      unplaced: { no_time: 1 },
    });
  });

  it('replay re-runs the windows named by failure records of both clouds (object, NDJSON, array; MNS and SQS wrappers)', async () => {
    const fc = await run(['replay', join(RECORDS, 'fc-destination.json')]);
    expect(fc.code, fc.stderr).toBe(0);
    expect(fc.stdout).toMatch(/2026-11-27T10:04:00\.000Z.*aliyun\s+UnhandledInvocationError\s+4\s.*replayed/);
    const lambda = await run(['replay', join(RECORDS, 'lambda-destination.ndjson'), '--json']);
    expect(lambda.code, lambda.stderr).toBe(0);
    expect(JSON.parse(lambda.stdout)).toEqual([
      expect.objectContaining({
        windowStart: '2026-11-27T10:09:00.000Z',
        status: 'succeeded',
        records: [expect.objectContaining({ provider: 'aws', condition: 'RetriesExhausted', attempts: 3 })],
      }),
      expect.objectContaining({
        windowStart: '2026-11-27T10:19:00.000Z',
        status: 'succeeded',
        records: [expect.objectContaining({ provider: 'aws', condition: 'EventAgeExceeded' })],
      }),
    ]);
    const mixed = await run(
      ['replay', '-', '--json'],
      {},
      { input: readFileSync(join(RECORDS, 'mixed.json'), 'utf8') },
    );
    expect(mixed.code, mixed.stderr).toBe(0);
    expect((JSON.parse(mixed.stdout) as Array<{ windowStart: string }>).map((o) => o.windowStart)).toEqual([
      '2026-11-27T10:30:00.000Z',
      '2026-11-27T10:39:00.000Z',
    ]);
    const stored = new Map((await rows()).map((r) => [iso(r.window_start), r]));
    for (const w of ['10:04', '10:09', '10:19', '10:30', '10:39']) {
      const r = stored.get(`2026-11-27T${w}:00.000Z`);
      expect(r, w).toBeDefined();
      expect({ pv: r!.pv, uv: r!.uv }).toEqual(expectedMetrics(`2026-11-27T${w}:00Z`));
    }
    // Something that is no failure record is reported, and the exit code says so.
    const bad = await run(['replay', '-'], {}, { input: '{"hello":"world"}\n' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('skipped a message that is no failure record');
  });

  it('simulate runs the real FC handler in the emulator and reports every window computed once', async () => {
    const out = await run([
      'simulate',
      '--target',
      'aliyun',
      '--from',
      '2026-11-27T10:00:00Z',
      '--to',
      '2026-11-27T11:00:00Z',
      '--fail-rate',
      '0.3',
      '--seed',
      '3',
      '--json',
      '--sink',
      `${db.url}?table=${table}_sim`,
      '--reset',
    ]);
    expect(out.code, out.stderr).toBe(0);
    const summary = JSON.parse(out.stdout) as Record<string, number>;
    expect(summary).toMatchObject({ expected: 60, computed: 60, duplicated: 0, missing: 0 });
    expect(summary.retries).toBeGreaterThan(5);
  }, 60_000);
});

describe('windowed CLI: plan, usage and configuration errors', () => {
  const noCredentials = NO_CREDENTIALS;

  it.each([
    ['aliyun', ['CreateService', 'CreateFunction', 'PutFunctionAsyncInvokeConfig', 'CreateTrigger']],
    ['aws', ['CreateFunction', 'PutFunctionEventInvokeConfig', 'CreateSchedule']],
  ])(
    'plan --target %s --dry-run --json prints the plan JSON without credentials',
    async (target, apis) => {
      const out = await windowed(['plan', '--target', target, '--dry-run', '--json'], { env: noCredentials });
      expect(out.code, out.stderr).toBe(0);
      const plan = JSON.parse(out.stdout) as {
        target: string;
        steps: Array<{ api: string; input: unknown }>;
      };
      expect(plan.target).toBe(target);
      // Exactly the plan format of DESIGN.md: notes and the adapter's own fields stay off stdout.
      expect(Object.keys(plan)).toEqual(['target', 'steps']);
      for (const step of plan.steps) expect(Object.keys(step)).toEqual(['api', 'input']);
      expect(plan.steps.map((s) => s.api)).toEqual(apis);
      for (const step of plan.steps) expect(typeof step.input).toBe('object');
      // The function gets the target's source and sink; the sink's password never reaches the output.
      expect(out.stdout).toContain('WINDOWED_SINK');
      expect(out.stdout).not.toContain('secret-password');
      expect(JSON.stringify(plan)).toMatch(/"bytes":\d+,"sha256":"[0-9a-f]{64}"/);
    },
    60_000,
  );

  it('plan warns when the job names no start (its failed first windows would never be caught up)', async () => {
    const without = await windowed(['plan', '--target', 'aws', '--dry-run', '--json'], {
      env: noCredentials,
    });
    expect(without.code, without.stderr).toBe(0);
    const warning = without.stderr.match(/warning: job e2e_job names no "start".*e\.g\. start: '([^']+)'/);
    expect(warning, without.stderr).not.toBeNull();
    // The example it gives is one the job accepts: a window boundary, taken as it is.
    const start = warning![1]!;
    const withStart = await windowed(['plan', '--target', 'aws', '--dry-run', '--json'], {
      env: { ...noCredentials, E2E_START: start },
    });
    expect(withStart.code, withStart.stderr).toBe(0);
    expect(withStart.stderr).not.toMatch(/names no "start"/);
    expect(JSON.parse(withStart.stdout)).toEqual(JSON.parse(without.stdout));
  }, 60_000);

  it('deploy without credentials fails with a usage error and a hint', async () => {
    const out = await windowed(['deploy', '--target', 'aliyun'], { env: noCredentials });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/^error: INVALID_CONFIG: Deploying to FC needs credentials/m);
  }, 60_000);

  /** No credentials anywhere the SDK's chain looks: no variables, no shared files, no instance metadata. */
  const noAwsAtAll = {
    ...noCredentials,
    AWS_SESSION_TOKEN: undefined,
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
    AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
    AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
    // The test runner silences the SDK's Node-version notice; the CLI must do so itself.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined,
  };

  it('deploy --target aws without credentials: INVALID_CONFIG naming the variables, no SDK warning', async () => {
    const out = await windowed(['deploy', '--target', 'aws'], { env: noAwsAtAll });
    expect(out.code, out.stderr).toBe(2);
    expect(out.stderr).toMatch(
      /^error: INVALID_CONFIG: Deploying to AWS Lambda needs AWS credentials .*AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/m,
    );
    expect(out.stderr).toMatch(/^hint: set the variables the message names/m);
    expect(out.stderr).not.toMatch(/NodeVersionSupportWarning|Warning:/);
  }, 60_000);

  it('replay --queue of an SQS queue without credentials: INVALID_CONFIG naming the variables', async () => {
    const out = await windowed(
      ['replay', '--queue', 'https://sqs.us-east-1.amazonaws.com/123456789012/pv-uv-failures'],
      { env: noAwsAtAll },
    );
    expect(out.code, out.stderr).toBe(2);
    expect(out.stderr).toMatch(
      /^error: INVALID_CONFIG: Reading the SQS failure queue needs AWS credentials/m,
    );
    expect(out.stderr).not.toMatch(/Warning:/);
  }, 60_000);

  it('replay --queue of an MNS queue without credentials: INVALID_CONFIG naming the variables', async () => {
    const out = await windowed(['replay', '--queue', 'mns:pv-uv-failures'], { env: noCredentials });
    expect(out.code, out.stderr).toBe(2);
    expect(out.stderr).toMatch(/^error: INVALID_CONFIG: .*ALIBABA_CLOUD_ACCESS_KEY_ID/m);
  }, 60_000);

  it('usage errors exit 2 with a hint', async () => {
    const unknown = await windowed([
      'backfill',
      '--from',
      '2026-11-27T00:00:00Z',
      '--to',
      '2026-11-28T00:00:00Z',
      '--bogus',
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--bogus'/);
    expect(unknown.stderr).toMatch(/hint: see `windowed backfill --help`/);
    const missing = await windowed(['backfill', '--from', '2026-11-27T00:00:00Z']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/backfill needs --from and --to \(only --stale may leave them out\)/);
    const both = await windowed(['backfill', '--stale', '--force']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--stale and --force exclude each other/);
    const badTime = await windowed(['run', '--at', '2026-11-27 10:00']);
    expect(badTime.code).toBe(2);
    expect(badTime.stderr).toMatch(
      /^error: INVALID_ARGUMENT: --at: "2026-11-27 10:00" is not a valid instant: it is not YYYY-MM-DDTHH:mm.*\nhint: /m,
    );
    // The same refusal, in the same words, as job.backfill({ from: '2026-11-27T10:00' }) — never the host zone.
    const zoneless = await windowed([
      'backfill',
      '--from',
      '2026-11-27T10:00',
      '--to',
      '2026-11-28T00:00:00Z',
    ]);
    expect(zoneless.code).toBe(2);
    expect(zoneless.stderr).toContain(
      'error: INVALID_ARGUMENT: --from: "2026-11-27T10:00" is not a valid instant: it has no time zone, and the host\'s is never assumed',
    );
    const impossible = await windowed(['run', '--at', '2026-02-30T00:10:00Z']);
    expect(impossible.code).toBe(2);
    expect(impossible.stderr).toContain(
      '"2026-02-30T00:10:00Z" is not a valid instant: 2026-02 has no day 30',
    );
    const badTarget = await windowed(['status', '--target', 'gcp']);
    expect(badTarget.code).toBe(2);
  });

  it.each([
    ['a slash', 'Zq9/wxy/vut', ['Zq9', 'wxy/vut']],
    ['an @', 'Zq9@kjh', ['Zq9', 'kjh']],
    ['spaces', 'Zq9 mnb rt', ['Zq9', 'mnb rt']],
    ['a #', 'Zq9#lkp', ['Zq9', 'lkp']],
  ])(
    '--verbose never prints a sink password with %s, not even in the cause chain',
    async (_form, password, parts) => {
      const out = await windowed(['run', '--at', '2026-11-27T10:03:30Z', '--verbose'], {
        env: { E2E_LOGS: logs, E2E_SINK: `mysql://app:${password}@127.0.0.1:1/stats` },
      });
      expect(out.code).not.toBe(0);
      expect(out.stderr).toMatch(/^error: /m);
      for (const part of parts) {
        expect(out.stderr).not.toContain(part);
        expect(out.stdout).not.toContain(part);
      }
    },
  );

  it('every command has --help (exit 0) documenting the exit codes', async () => {
    for (const command of ['run', 'backfill', 'status', 'replay', 'show', 'plan', 'deploy', 'simulate']) {
      const out = await windowed([command, '--help']);
      expect(out.code, command).toBe(0);
      expect(out.stdout).toContain(`Usage: windowed ${command}`);
      expect(out.stdout).toContain('130  interrupted');
    }
  });

  it('an invalid config is one line naming the key, exit 2, no stack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'windowed-badcfg-'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      join(dir, 'windowed.config.json'),
      JSON.stringify({
        job: { name: 'j', window: '1m', query: { metrics: { n: { kind: 'count' } } } },
        targets: { local: { sinc: 'sqlite:x.db' } },
      }),
    );
    const out = await windowed(['status'], { cwd: dir });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(
      /^error: Invalid config .*windowed\.config\.json at "targets\.local": unknown key "sinc"\.$/m,
    );
    expect(out.stderr).not.toMatch(/^\s+at /m);
    const none = await windowed(['status'], { cwd: mkdtempSync(join(tmpdir(), 'windowed-nocfg-')) });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^error: No windowed\.config\.ts/m);
  });
});
