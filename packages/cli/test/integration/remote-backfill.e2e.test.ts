import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startAwsLoopback, startFcServer, startMnsServer, uniqueName } from '@windowed/testing';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awsLoopbackEnv,
  type CliOutput,
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

  /** Exit 1: of the six 30-minute chunks, the one starting at `failed` (HH:MM) failed on every attempt. */
  function expectOneFailedChunk(out: CliOutput, failed: string) {
    expect(out.code, out.stderr).toBe(1);
    const states = (JSON.parse(out.stdout) as { chunks: Array<{ from: string; state: string }> }).chunks;
    expect(states.map((c) => [c.from.slice(11, 16), c.state])).toEqual(
      ['10:00', '10:30', '11:00', '11:30', '12:00', '12:30'].map((at) => [
        at,
        at === failed ? 'failed' : 'succeeded',
      ]),
    );
    const from = new Date(`2026-11-27T${failed}:00Z`);
    const label = `${from.toISOString()}/${new Date(from.getTime() + 30 * 60_000).toISOString()}`;
    expect(out.stderr).toContain(`chunk ${label} failed on every attempt`);
  }
  const requests = () => new Set(cloud.invocations.attempts.map((a) => a.requestId)).size;
  /** Runs `check` on the sink's SQLite database (which holds the ledger too). */
  async function inSink(check: (knex: ReturnType<typeof knexFactory>) => Promise<void>) {
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: join(dir, 'sink.db') },
      useNullAsDefault: true,
    });
    try {
      await check(knex);
    } finally {
      await knex.destroy();
    }
  }
  /** The sink is exact: one row per minute, each equal to the ground truth. */
  const expectExactRows = (knex: ReturnType<typeof knexFactory>) =>
    knex(table)
      .where('job', job)
      .orderBy('window_start')
      .then((rows: Array<{ window_start: string; pv: number; uv: number }>) => {
        expect(rows).toHaveLength(LOG_MINUTES);
        for (const [m, row] of rows.entries()) {
          expect(new Date(row.window_start).getTime()).toBe(LOG_START + m * 60_000);
          expect({ pv: Number(row.pv), uv: Number(row.uv) }).toEqual(expectedMetrics(row.window_start));
        }
      });

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
    expect(requests()).toBe(2);

    // The rest: 11:00 fails twice then succeeds on the platform's retry; 12:00 fails on every attempt.
    faults({ twice: '2026-11-27T11:00:00.000Z', always: '2026-11-27T12:00:00.000Z' });
    const out = await run([...backfill(), '--parallel', '3', '--json'], { killAfterMs: 120_000 });
    expectOneFailedChunk(out, '12:00');
    await cloud.invocations.idle();
    // The two chunks the first run completed were not sent again.
    expect(requests()).toBe(6);
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
    await inSink(expectExactRows);
  }, 240_000);

  it('--force computes every window again on the function, following each chunk by the trigger its windows get', async () => {
    // Every window succeeded above. A forced chunk's windows read `succeeded` before, while and after
    // it runs: only the trigger id its payload names tells that it wrote them.
    faults({ always: '2026-11-27T12:30:00.000Z' });
    const sent = requests();
    const out = await run([...backfill(), '--force', '--parallel', '3', '--json'], { killAfterMs: 120_000 });
    expectOneFailedChunk(out, '12:30');
    await cloud.invocations.idle();
    expect(requests() - sent).toBe(6);

    await inSink(async (knex) => {
      const ledger = (await knex('windowed_runs').where('job', job).orderBy('window_start')) as Array<{
        status: string;
        trigger_id: string;
        last_error: string | null;
      }>;
      expect(ledger).toHaveLength(LOG_MINUTES);
      // Each chunk's windows carry its own trigger; the failed chunk's keep the one that wrote them.
      const triggers = (from: number, to: number) => new Set(ledger.slice(from, to).map((r) => r.trigger_id));
      for (let c = 0; c < 5; c++)
        expect([...triggers(c * 30, c * 30 + 30)]).toEqual([
          expect.stringMatching(/^backfill:[0-9a-f]{8}-\d+$/),
        ]);
      expect(triggers(0, 150).size).toBe(5);
      expect([...triggers(150, 180)].every((t) => !t.startsWith('backfill:'))).toBe(true);
      expect(ledger.every((r) => r.status === 'succeeded')).toBe(true);
      expect(ledger.slice(150).every((r) => r.last_error?.includes('injected fault'))).toBe(true);
      await expectExactRows(knex);
    });
    // The failed chunk's record went to the failure queue: `windowed replay` forces it again.
    expect(cloud.queued()).toBe(1);
  }, 240_000);
});
