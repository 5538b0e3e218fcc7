import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AWS_LOOPBACK_CREDENTIALS,
  type AwsLoopback,
  type FcLoopbackServer,
  type MnsLoopbackServer,
  openTestKnex,
  startAwsLoopback,
  startFcServer,
  startMnsServer,
  testDatabases,
  uniqueName,
} from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedMetrics, RECORDS, windowed, writeLogs } from '../helpers/cli.js';

const [sqlite] = await testDatabases(['sqlite']);
const records = (name: string) => readFileSync(join(RECORDS, name), 'utf8');

/** The real SDK clients, pointed at loopback servers that play SQS, MNS, FC and Lambda/Scheduler. */
describe('windowed CLI against loopback cloud APIs', () => {
  let aws: AwsLoopback;
  let mns: MnsLoopbackServer;
  let fc: FcLoopbackServer;
  let logs: string;
  const job = uniqueName('cloud');
  const table = uniqueName('pv_uv');
  const knex = openTestKnex(sqlite!);
  const base = () => ({ E2E_JOB: job, E2E_SINK: `${sqlite!.url}?table=${table}`, E2E_LOGS: logs });
  const awsEnv = () => ({
    AWS_ACCESS_KEY_ID: AWS_LOOPBACK_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: AWS_LOOPBACK_CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_REGION: 'us-east-1',
  });
  const starts = async () =>
    (
      (await knex(table).where('job', job).orderBy('window_start')) as Array<{
        window_start: string;
        pv: number;
      }>
    ).map((r) => r.window_start);

  beforeAll(async () => {
    logs = writeLogs();
    aws = await startAwsLoopback();
    mns = await startMnsServer();
    fc = await startFcServer();
  });
  afterAll(async () => {
    await Promise.all([aws.close(), mns.close(), fc.close(), knex.destroy()]);
  });

  it('replay --queue <SQS URL> replays Lambda failure records and deletes their messages', async () => {
    const url = aws.sqs.createQueue('e2e-failures');
    for (const line of records('lambda-destination.ndjson').trim().split('\n'))
      aws.sqs.send('e2e-failures', line);
    const out = await windowed(['replay', '--queue', url, '--json'], { env: { ...base(), ...awsEnv() } });
    expect(out.code, out.stderr).toBe(0);
    expect(
      (JSON.parse(out.stdout) as Array<{ windowStart: string; status: string }>).map((o) => [
        o.windowStart,
        o.status,
      ]),
    ).toEqual([
      ['2026-11-27T10:09:00.000Z', 'succeeded'],
      ['2026-11-27T10:19:00.000Z', 'succeeded'],
    ]);
    expect(aws.sqs.messages('e2e-failures')).toEqual([]);
    expect(await starts()).toEqual(
      expect.arrayContaining(['2026-11-27T10:09:00.000Z', '2026-11-27T10:19:00.000Z']),
    );
  });

  it('replay --queue <MNS queue> replays FC failure records; a failed replay leaves its message', async () => {
    const queue = uniqueName('fails').replaceAll('_', '-');
    mns.sendMessage(queue, records('fc-destination.json'));
    const mnsBody = (JSON.parse(records('mixed.json')) as Array<{ MessageBody?: string }>)[0]!.MessageBody!;
    mns.sendMessage(queue, mnsBody); // base64, as MNS clients send by default
    const env = {
      ...base(),
      ALIBABA_CLOUD_ACCESS_KEY_ID: mns.credentials[0]!.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: mns.credentials[0]!.accessKeySecret,
    };
    const out = await windowed(['replay', '--queue', `${mns.endpoint}/queues/${queue}`, '--json'], { env });
    expect(out.code, out.stderr).toBe(0);
    expect((JSON.parse(out.stdout) as Array<{ windowStart: string }>).map((o) => o.windowStart)).toEqual([
      '2026-11-27T10:04:00.000Z',
      '2026-11-27T10:30:00.000Z',
    ]);
    expect(mns.depth(queue)).toBe(0);
    const rows = (await knex(table)
      .where('job', job)
      .where('window_start', '2026-11-27T10:04:00.000Z')) as Array<{ pv: number }>;
    expect(rows[0]!.pv).toBe(expectedMetrics('2026-11-27T10:04:00Z').pv);

    // The source is down: the replay fails, the message stays for the next try, exit code 1.
    mns.sendMessage(queue, records('fc-destination.json'));
    const failed = await windowed(['replay', '--queue', `${mns.endpoint}/queues/${queue}`], {
      env: { ...env, WINDOWED_SOURCE: 'ndjson:/nonexistent/logs' },
    });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/replay of 2026-11-27T10:04:00\.000Z failed: SOURCE_FAILED/);
    expect(mns.depth(queue)).toBe(1);
  });

  it('deploy --target aliyun creates the service, function, async config and timer; a second deploy updates them', async () => {
    const env = {
      ...base(),
      WINDOWED_FC_ENDPOINT: fc.endpoint,
      ALIBABA_CLOUD_ACCESS_KEY_ID: fc.credentials[0]!.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: fc.credentials[0]!.accessKeySecret,
    };
    const first = await windowed(['deploy', '--target', 'aliyun'], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`Deployed ${job} to aliyun`);
    const second = await windowed(['deploy', '--target', 'aliyun', '--json'], { env });
    expect(second.code, second.stderr).toBe(0);
    expect((JSON.parse(second.stdout) as { steps: Array<{ api: string }> }).steps.map((s) => s.api)).toEqual([
      'UpdateService',
      'UpdateFunction',
      'PutFunctionAsyncInvokeConfig',
      'UpdateTrigger',
    ]);
    expect(fc.counts()).toEqual({ services: 1, functions: 1, triggers: 1, asyncConfigs: 1 });
    const fn = fc.fn('windowed', job)!;
    expect(JSON.stringify(fn)).toContain('WINDOWED_SINK');
    expect(fc.asyncConfig('windowed', job)).toMatchObject({
      destinationConfig: {
        onFailure: { destination: 'acs:mns:cn-hangzhou:1234567890123456:/queues/e2e-failures/messages' },
      },
    });
  }, 120_000);

  it("policy --target aws --json prints the roles' documents; deploy with those roles creates, then updates", async () => {
    const env = { ...base(), ...awsEnv(), WINDOWED_AWS_ENDPOINT: aws.endpoint };
    const policy = await windowed(['policy', '--target', 'aws', '--json'], { env });
    expect(policy.code, policy.stderr).toBe(0);
    const printed = JSON.parse(policy.stdout) as {
      target: string;
      policies: Record<string, { Statement: Array<{ Action: unknown; Resource: unknown }> }>;
      trustPolicies: Record<string, object>;
    };
    expect(printed.target).toBe('aws');
    expect(Object.keys(printed.policies)).toEqual(['execution', 'scheduler']);
    expect(printed.policies.execution!.Statement).toContainEqual({
      Effect: 'Allow',
      Action: 'sqs:SendMessage',
      Resource: 'arn:aws:sqs:us-east-1:123456789012:e2e-failures',
    });
    expect(printed.policies.execution!.Statement).toContainEqual({
      Effect: 'Allow',
      Action: 'logs:StartQuery',
      Resource: 'arn:aws:logs:us-east-1:123456789012:log-group:/e2e/access:*',
    });
    // Without the roles Lambda refuses the function; with exactly what `policy` printed, the deploy goes through.
    const refused = await windowed(['deploy', '--target', 'aws'], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/cannot be assumed by Lambda/);
    expect(refused.stderr).toMatch(
      /arn:aws:iam::123456789012:role\/windowed must grant .*sqs:SendMessage on arn:aws:sqs/,
    );
    aws.iam.putRole('windowed', printed.trustPolicies.execution!, { windowed: printed.policies.execution! });
    aws.iam.putRole('windowed-scheduler', printed.trustPolicies.scheduler!, {
      windowed: printed.policies.scheduler!,
    });
    const first = await windowed(['deploy', '--target', 'aws'], { env });
    expect(first.code, first.stderr).toBe(0);
    const second = await windowed(['deploy', '--target', 'aws', '--json'], { env });
    expect(second.code, second.stderr).toBe(0);
    const apis = (JSON.parse(second.stdout) as { steps: Array<{ api: string }> }).steps.map((s) => s.api);
    expect(apis).not.toContain('CreateFunction');
    expect(apis).toContain('UpdateSchedule');
    expect(aws.operations('scheduler').filter((o) => o === 'CreateSchedule')).toHaveLength(1);
  }, 120_000);

  it('doctor --target aws: exit 1 naming the failed check (no log group), exit 0 once it exists', async () => {
    const env = { ...base(), ...awsEnv(), WINDOWED_AWS_ENDPOINT: aws.endpoint };
    const failing = await windowed(['doctor', '--target', 'aws', '--json'], { env });
    expect(failing.code, failing.stderr).toBe(1);
    const report = JSON.parse(failing.stdout) as {
      ok: boolean;
      checks: Array<{ id: string; status: string }>;
    };
    expect(report.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual(['logs']);
    aws.logs.putEvents('/e2e/access', []);
    const passing = await windowed(['doctor', '--target', 'aws'], { env });
    expect(passing.code, passing.stdout).toBe(0);
    expect(passing.stdout).toMatch(/✓ credentials resolve/);
    expect(passing.stdout).toMatch(/All checks passed/);
    expect(passing.stdout).not.toContain('secret-password');
  }, 120_000);

  it('deploy --target aliyun --fc-version 3 deploys through the FC 3.0 API; doctor --fc-version 3 checks it', async () => {
    const env = {
      ...base(),
      WINDOWED_FC_ENDPOINT: fc.endpoint,
      ALIBABA_CLOUD_ACCESS_KEY_ID: fc.credentials[0]!.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: fc.credentials[0]!.accessKeySecret,
    };
    const out = await windowed(['deploy', '--target', 'aliyun', '--fc-version', '3', '--json'], { env });
    expect(out.code, out.stderr).toBe(0);
    expect((JSON.parse(out.stdout) as { steps: Array<{ api: string }> }).steps.map((s) => s.api)).toEqual([
      'CreateFunction',
      'PutAsyncInvokeConfig',
      'CreateTrigger',
    ]);
    expect(fc.fc3.fn(job)).toBeDefined();
    const doctor = await windowed(['doctor', '--target', 'aliyun', '--fc-version', '3', '--json'], { env });
    const report = JSON.parse(doctor.stdout) as { checks: Array<{ id: string; status: string }> };
    expect(Object.fromEntries(report.checks.map((c) => [c.id, c.status]))).toMatchObject({
      credentials: 'ok',
      function: 'ok',
      'invoke-config': 'ok',
      schedule: 'ok',
    });
    const bad = await windowed(['deploy', '--target', 'aliyun', '--fc-version', '4'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--fc-version "4" is not 2 or 3/);
  }, 120_000);

  it('export writes template.json + function.zip (aws) and s.yaml + code (aliyun); an unknown format is a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'windowed-export-e2e-'));
    try {
      const aws = await windowed(['export', '--target', 'aws', '--format', 'cloudformation', '--out', dir], {
        env: base(),
      });
      expect(aws.code, aws.stderr).toBe(0);
      expect(aws.stdout).toMatch(/template\.json {2}\d+ bytes\nfunction\.zip {2}\d+ bytes/);
      const template = JSON.parse(readFileSync(join(dir, 'template.json'), 'utf8'));
      expect(template.Resources.EventInvokeConfig.Properties.DestinationConfig.OnFailure.Destination).toBe(
        'arn:aws:sqs:us-east-1:123456789012:e2e-failures',
      );
      const aliyun = await windowed(['export', '--target', 'aliyun', '--format', 's', '--out', dir], {
        env: base(),
      });
      expect(aliyun.code, aliyun.stderr).toBe(0);
      expect(readFileSync(join(dir, 's.yaml'), 'utf8')).toMatch(/component: fc3/);
      const bad = await windowed(['export', '--target', 'aws', '--format', 's', '--out', dir], {
        env: base(),
      });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/expected cloudformation/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
