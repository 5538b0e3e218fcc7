import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AWS_LOOPBACK_CREDENTIALS, type AwsLoopback, startAwsLoopback, uniqueName } from '@windowed/testing';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedMetrics, LOG_MINUTES, LOG_START, windowed, writeLogs } from '../helpers/cli.js';

const PROJECT = resolve(import.meta.dirname, '../fixtures/remote');
const FROM = '2026-11-27T10:00:00Z';
const TO = '2026-11-27T13:00:00Z';

/**
 * `windowed backfill --remote` end to end: the CLI deploys the fixture's handler (bundled by
 * esbuild) to the loopback Lambda, which runs that bundle for every asynchronous invocation,
 * retries failures and sends the last one's record to the SQS failure queue.
 */
describe('windowed backfill --target aws --remote', () => {
  let aws: AwsLoopback;
  let dir: string;
  let logs: string;
  const job = uniqueName('remote');
  const table = uniqueName('pv_uv');
  const env = () => ({
    E2E_JOB: job,
    E2E_LOGS: logs,
    E2E_SINK: `sqlite:${join(dir, 'sink.db')}?table=${table}`,
    E2E_FAULTS: dir,
    AWS_ACCESS_KEY_ID: AWS_LOOPBACK_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: AWS_LOOPBACK_CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_REGION: 'us-east-1',
    WINDOWED_AWS_ENDPOINT: aws.endpoint,
    WINDOWED_REMOTE_POLL_MS: '100',
  });
  const run = (args: string[], extra: Parameters<typeof windowed>[1] = {}) =>
    windowed(args, { cwd: PROJECT, ...extra, env: { ...env(), ...extra.env } });
  const faults = (f: object) => writeFileSync(join(dir, 'faults.json'), JSON.stringify(f));
  const backfill = ['backfill', '--target', 'aws', '--remote', '--from', FROM, '--to', TO, '--chunk', '30m'];

  beforeAll(async () => {
    // Lambda waits one and two minutes between attempts; here 50 ms and 100 ms.
    aws = await startAwsLoopback({ lambdaRetryDelayMs: (n) => n * 50 });
    dir = mkdtempSync(join(tmpdir(), 'windowed-remote-'));
    logs = writeLogs();
    aws.sqs.createQueue('remote-failures');
    aws.iam.putServiceRole('windowed-remote', 'lambda.amazonaws.com', [
      {
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: 'arn:aws:sqs:us-east-1:123456789012:remote-failures',
      },
    ]);
    aws.iam.putServiceRole('windowed-remote-scheduler', 'scheduler.amazonaws.com', [
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: '*' },
    ]);
  });
  afterAll(async () => {
    await aws.lambda.invocations?.idle();
    await aws.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(logs, { recursive: true, force: true });
  });

  it('deploys, stops on Ctrl-C naming the chunks in flight, then resumes; retried and failed chunks end exact after replay', async () => {
    const deployed = await run(['deploy', '--target', 'aws']);
    expect(deployed.code, deployed.stderr).toBe(0);

    // Ctrl-C once the first progress line shows: two slow chunks are in flight, four never sent.
    faults({ slowMs: 100 });
    const stopped = await run([...backfill, '--parallel', '2'], {
      interruptWhen: (stderr) => /\d+\/180 windows/.test(stderr),
      killAfterMs: 60_000,
    });
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toMatch(/2 in flight finish on \S+:/);
    expect(stopped.stderr).toContain('2026-11-27T10:00:00.000Z/2026-11-27T10:30:00.000Z');
    expect(stopped.stderr).toContain('2026-11-27T10:30:00.000Z/2026-11-27T11:00:00.000Z');
    expect(stopped.stderr).toMatch(/4 chunks not sent/);
    await aws.lambda.invocations!.idle();
    const sent = new Set(aws.lambda.invocations!.attempts.map((a) => a.requestId));
    expect(sent.size).toBe(2);

    // The rest: 11:00 fails twice then succeeds on Lambda's retry; 12:00 fails on all three attempts.
    faults({ twice: '2026-11-27T11:00:00.000Z', always: '2026-11-27T12:00:00.000Z' });
    const out = await run([...backfill, '--parallel', '3', '--json'], { killAfterMs: 120_000 });
    expect(out.code, out.stderr).toBe(1);
    const report = JSON.parse(out.stdout) as { chunks: Array<{ from: string; state: string }> };
    expect(report.chunks.map((c) => [c.from.slice(11, 16), c.state])).toEqual([
      ['10:00', 'succeeded'],
      ['10:30', 'succeeded'],
      ['11:00', 'succeeded'],
      ['11:30', 'succeeded'],
      ['12:00', 'failed'],
      ['12:30', 'succeeded'],
    ]);
    expect(out.stderr).toMatch(
      /chunk 2026-11-27T12:00:00.000Z\/2026-11-27T12:30:00.000Z failed on every attempt/,
    );
    await aws.lambda.invocations!.idle();
    const attempts = (from: string) =>
      aws.lambda.invocations!.attempts.filter((a) => a.error?.includes(from) || false).length;
    expect(attempts('2026-11-27T11:00')).toBe(2);
    expect(attempts('2026-11-27T12:00')).toBe(3);

    // The failure queue holds the chunk's record; replay re-runs it here and deletes the message.
    expect(aws.sqs.messages('remote-failures')).toHaveLength(1);
    const replayed = await run([
      'replay',
      '--target',
      'aws',
      '--queue',
      `${aws.endpoint}/123456789012/remote-failures`,
      '--json',
    ]);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(JSON.parse(replayed.stdout)).toEqual([
      expect.objectContaining({
        windowStart: '2026-11-27T12:00:00.000Z',
        windowEnd: '2026-11-27T12:30:00.000Z',
        status: 'succeeded',
        records: [expect.objectContaining({ provider: 'aws', condition: 'RetriesExhausted', attempts: 3 })],
      }),
    ]);
    expect(aws.sqs.messages('remote-failures')).toEqual([]);

    // The sink ends exact: one row per minute, each equal to the ground truth.
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: join(dir, 'sink.db') },
      useNullAsDefault: true,
    });
    try {
      const rows = (await knex(table).where('job', job).orderBy('window_start')) as Array<{
        window_start: string;
        pv: number;
        uv: number;
      }>;
      expect(rows).toHaveLength(LOG_MINUTES);
      for (const [m, row] of rows.entries()) {
        expect(new Date(row.window_start).getTime()).toBe(LOG_START + m * 60_000);
        expect({ pv: Number(row.pv), uv: Number(row.uv) }).toEqual(expectedMetrics(row.window_start));
      }
    } finally {
      await knex.destroy();
    }
  }, 240_000);
});
