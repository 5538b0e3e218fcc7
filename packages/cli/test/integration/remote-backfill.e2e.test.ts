import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startAwsLoopback, startFcServer, startMnsServer, uniqueName } from '@windowed/testing';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awsLoopbackEnv,
  expectedMetrics,
  LOG_MINUTES,
  LOG_START,
  windowed,
  writeLogs,
} from '../helpers/cli.js';

const PROJECT = resolve(import.meta.dirname, '../fixtures/remote');
const FROM = '2026-11-27T10:00:00Z';
const TO = '2026-11-27T13:00:00Z';

/** What the scenario needs of a loopback cloud. */
interface Cloud {
  target: 'aws' | 'aliyun';
  env: Record<string, string | undefined>;
  /** The failure queue, as `windowed replay --queue` takes it. */
  queue: string;
  queued(): number;
  invocations: { attempts: Array<{ requestId: string; error?: string }>; idle(): Promise<void> };
  /** Attempts per invocation: 1 + the platform's default retries. */
  attempts: number;
  /** FC: the API version the invocations must go through, and the ones they went through. */
  fcApi?: { expected: string; served(): string[] };
  close(): Promise<void>;
}

async function awsCloud(): Promise<Cloud> {
  // Lambda waits one and two minutes between attempts; here 50 ms and 100 ms.
  const aws = await startAwsLoopback({ lambdaRetryDelayMs: (n) => n * 50 });
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
  return {
    target: 'aws',
    env: awsLoopbackEnv(aws.endpoint),
    queue: `${aws.endpoint}/123456789012/remote-failures`,
    queued: () => aws.sqs.messages('remote-failures').length,
    invocations: aws.lambda.invocations!,
    attempts: 3,
    close: () => aws.close(),
  };
}

async function aliyunCloud(fcVersion: 2 | 3 = 2): Promise<Cloud> {
  const credentials = [{ accessKeyId: 'LTAI-remote', accessKeySecret: 'remote-secret' }];
  const mns = await startMnsServer({ credentials });
  // FC does not document the wait between retries of a function error; here 10 ms, 20 ms, 30 ms.
  const fc = await startFcServer({
    credentials,
    retryDelayMs: (n) => n * 10,
    deliver: (arn, record) => mns.sendMessage(/\/queues\/([^/]+)\//.exec(arn)![1]!, record),
  });
  return {
    target: 'aliyun',
    env: {
      ALIBABA_CLOUD_ACCESS_KEY_ID: credentials[0]!.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: credentials[0]!.accessKeySecret,
      WINDOWED_FC_ENDPOINT: fc.endpoint,
      E2E_FC_VERSION: String(fcVersion),
    },
    queue: `${mns.endpoint}/queues/remote-failures`,
    queued: () => mns.depth('remote-failures'),
    invocations: fc.invocations,
    attempts: 4,
    fcApi: {
      expected: fcVersion === 3 ? '2023-03-30' : '2016-08-15',
      served: () =>
        fc.calls.filter((c) => c.operation === 'InvokeFunction').map((c) => c.path.split('/')[1]!),
    },
    close: async () => {
      await Promise.all([fc.close(), mns.close()]);
    },
  };
}

/**
 * `windowed backfill --remote` end to end: the CLI deploys the fixture's handler (bundled by
 * esbuild) to the loopback Lambda / FC (through the FC 2.0 and the FC 3.0 API), which runs that bundle for every asynchronous invocation,
 * retries failures and sends the last one's record to the failure queue (SQS / MNS).
 */
describe.each([
  ['aws', awsCloud],
  ['aliyun (FC 2.0)', () => aliyunCloud(2)],
  ['aliyun (FC 3.0)', () => aliyunCloud(3)],
] as const)('windowed backfill --target %s --remote', (_, start) => {
  let cloud: Cloud;
  let dir: string;
  let logs: string;
  const job = uniqueName('remote');
  const table = uniqueName('pv_uv');
  const env = () => ({
    E2E_JOB: job,
    E2E_LOGS: logs,
    E2E_SINK: `sqlite:${join(dir, 'sink.db')}?table=${table}`,
    E2E_FAULTS: dir,
    WINDOWED_REMOTE_POLL_MS: '100',
    ...cloud.env,
  });
  const run = (args: string[], extra: Parameters<typeof windowed>[1] = {}) =>
    windowed(args, { cwd: PROJECT, ...extra, env: { ...env(), ...extra.env } });
  const faults = (f: object) => writeFileSync(join(dir, 'faults.json'), JSON.stringify(f));
  const backfill = () => [
    'backfill',
    '--target',
    cloud.target,
    '--remote',
    '--from',
    FROM,
    '--to',
    TO,
    '--chunk',
    '30m',
  ];

  beforeAll(async () => {
    cloud = await start();
    dir = mkdtempSync(join(tmpdir(), 'windowed-remote-'));
    logs = writeLogs();
  });
  afterAll(async () => {
    await cloud.invocations.idle();
    await cloud.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(logs, { recursive: true, force: true });
  });

  it('deploys, stops on Ctrl-C naming the chunks in flight, then resumes; retried and failed chunks end exact after replay', async () => {
    const deployed = await run(['deploy', '--target', cloud.target]);
    expect(deployed.code, deployed.stderr).toBe(0);

    // Ctrl-C once the first progress line shows: two slow chunks are in flight, four never sent.
    faults({ slowMs: 100 });
    const stopped = await run([...backfill(), '--parallel', '2'], {
      interruptWhen: (stderr) => /\d+\/180 windows/.test(stderr),
      killAfterMs: 60_000,
    });
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toMatch(/2 in flight finish on \S+:/);
    expect(stopped.stderr).toContain('2026-11-27T10:00:00.000Z/2026-11-27T10:30:00.000Z');
    expect(stopped.stderr).toContain('2026-11-27T10:30:00.000Z/2026-11-27T11:00:00.000Z');
    expect(stopped.stderr).toMatch(/4 chunks not sent/);
    await cloud.invocations.idle();
    expect(new Set(cloud.invocations.attempts.map((a) => a.requestId)).size).toBe(2);

    // The rest: 11:00 fails twice then succeeds on the platform's retry; 12:00 fails on every attempt.
    faults({ twice: '2026-11-27T11:00:00.000Z', always: '2026-11-27T12:00:00.000Z' });
    const out = await run([...backfill(), '--parallel', '3', '--json'], { killAfterMs: 120_000 });
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
    await cloud.invocations.idle();
    // The two chunks the first run completed were not sent again.
    expect(new Set(cloud.invocations.attempts.map((a) => a.requestId)).size).toBe(6);
    const failures = (from: string) =>
      cloud.invocations.attempts.filter((a) => a.error?.includes(from)).length;
    expect(failures('2026-11-27T11:00')).toBe(2);
    expect(failures('2026-11-27T12:00')).toBe(cloud.attempts);

    // The failure queue holds the chunk's record; replay re-runs it here and deletes the message.
    expect(cloud.queued()).toBe(1);
    const replayed = await run(['replay', '--target', cloud.target, '--queue', cloud.queue, '--json']);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(JSON.parse(replayed.stdout)).toEqual([
      expect.objectContaining({
        windowStart: '2026-11-27T12:00:00.000Z',
        windowEnd: '2026-11-27T12:30:00.000Z',
        status: 'succeeded',
        records: [expect.objectContaining({ provider: cloud.target, attempts: cloud.attempts })],
      }),
    ]);
    expect(cloud.queued()).toBe(0);
    if (cloud.fcApi) expect(new Set(cloud.fcApi.served())).toEqual(new Set([cloud.fcApi.expected]));

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
