import { fileURLToPath } from 'node:url';
import {
  LambdaClient,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { type AwsLoopback, startAwsLoopback } from '@windowed/testing';
import { unzipSync } from 'fflate';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  awsPlatform,
  createLambdaDeployClients,
  deployLambda,
  destroyLambdaDeployClients,
  type LambdaDeployClients,
  type LambdaDeployOptionsInput,
} from '../../src/deploy/index.js';
import { bundleOf, fastWaiter } from '../bundle.js';
import { jobLike } from '../jobs.js';

const job = jobLike('pv_uv', '1m', { delayMs: 30_000, timeZone: 'Asia/Shanghai' });
const QUEUE = 'arn:aws:sqs:us-east-1:123456789012:windowed-failures';
const options: LambdaDeployOptionsInput = {
  region: 'us-east-1',
  roleArn: 'arn:aws:iam::123456789012:role/windowed-pv-uv',
  schedule: { roleArn: 'arn:aws:iam::123456789012:role/windowed-scheduler' },
  onFailure: { destination: QUEUE },
  environment: { WINDOWED_SINK: 'mysql://app@db.internal:3306/stats' },
};

let aws: AwsLoopback;
let clients: LambdaDeployClients;
const fast = fastWaiter;

beforeAll(async () => {
  aws = await startAwsLoopback({ lambdaSettlePolls: 1 });
  // The roles exist with exactly what `windowed policy` prints: Lambda checks them on deploy.
  const { roles } = awsPlatform.policy({ job, deploy: options });
  for (const [name, role] of [
    ['windowed-pv-uv', roles.execution!],
    ['windowed-scheduler', roles.scheduler!],
  ] as const)
    aws.iam.putRole(name, role.trust!, { windowed: role.policy });
  clients = createLambdaDeployClients({
    region: 'us-east-1',
    endpoint: aws.endpoint,
    credentials: aws.credentials,
  });
});
afterAll(async () => {
  destroyLambdaDeployClients(clients);
  await aws.close();
});
afterEach(() => {
  aws.lambda.functions.clear();
  aws.scheduler.schedules.clear();
  aws.events.rules.clear();
  aws.events.targets.clear();
});

describe('deployLambda against the loopback', () => {
  it('uploads a bundle with the drivers of the databases its target names, and no others', async () => {
    const { job: bundled } = await import('../fixtures/handler/handler.js');
    const entry = fileURLToPath(new URL('../fixtures/handler/handler.ts', import.meta.url));
    await deployLambda(bundled, { ...options, entry, functionName: 'pv_uv' }, { clients, waiter: fast });
    const code = new TextDecoder().decode(unzipSync(aws.lambda.functions.get('pv_uv')!.code)['index.mjs']);
    expect(code).toContain('ER_QUERY_INTERRUPTED'); // mysql2: the target's sink is MySQL
    expect(code).not.toContain('SCRAM-SHA-256'); // pg: no database of the target is PostgreSQL
  }, 60_000);

  it('creates on the first deploy and updates on the second, never duplicating', async () => {
    const first = await deployLambda(job, options, {
      clients,
      bundle: bundleOf('export const handler = async () => 1;'),
      waiter: fast,
    });
    expect(first.applied).toEqual([
      'CreateFunction',
      'waitUntilFunctionActiveV2',
      'PutFunctionEventInvokeConfig',
      'CreateSchedule',
    ]);
    const ops = aws.operations('lambda');
    // The waiter polled until the function left Pending.
    expect(ops.slice(ops.indexOf('CreateFunction') + 1, ops.indexOf('PutFunctionEventInvokeConfig'))).toEqual(
      ['GetFunction', 'GetFunction'],
    );
    const fn = aws.lambda.functions.get('pv_uv')!;
    expect(fn.configuration).toMatchObject({
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      State: 'Active',
      Environment: {
        Variables: {
          WINDOWED_SINK: 'mysql://app@db.internal:3306/stats',
          WINDOWED_FUNCTION_TIMEOUT_MS: '60000',
        },
      },
      CodeSize: first.bundle!.bytes,
    });
    expect(fn.eventInvokeConfig).toMatchObject({
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21600,
      DestinationConfig: { OnFailure: { Destination: QUEUE } },
    });
    const schedule = aws.scheduler.get('windowed-pv_uv')!;
    expect(schedule).toMatchObject({
      ScheduleExpression: 'cron(* * * * ? *)',
      ScheduleExpressionTimezone: 'Asia/Shanghai',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: 'arn:aws:lambda:us-east-1:123456789012:function:pv_uv',
        RetryPolicy: { MaximumRetryAttempts: 185 },
      },
    });
    expect(JSON.parse(String((schedule.Target as { Input: string }).Input)).scheduledTime).toBe(
      '<aws.scheduler.scheduled-time>',
    );

    const second = await deployLambda(
      job,
      { ...options, timeout: 120 },
      { clients, bundle: bundleOf('export const handler = async () => 2;'), waiter: fast },
    );
    expect(second.applied).toEqual([
      'UpdateFunctionCode',
      'waitUntilFunctionUpdatedV2',
      'UpdateFunctionConfiguration',
      'waitUntilFunctionUpdatedV2',
      'PutFunctionEventInvokeConfig',
      'UpdateSchedule',
    ]);
    expect(aws.lambda.functions.size).toBe(1);
    expect(aws.scheduler.schedules.size).toBe(1);
    expect(aws.lambda.functions.get('pv_uv')!.configuration).toMatchObject({
      Timeout: 120,
      CodeSize: second.bundle!.bytes,
    });
    expect(
      Buffer.from(aws.lambda.functions.get('pv_uv')!.code).equals(
        Buffer.from(bundleOf('export const handler = async () => 2;').zip),
      ),
    ).toBe(true);

    const third = await deployLambda(
      job,
      { ...options, timeout: 120 },
      { clients, bundle: bundleOf('export const handler = async () => 2;'), waiter: fast },
    );
    expect(third.applied?.[0]).toBe('UpdateFunctionConfiguration');
  });

  it('Lambda refuses a second change while the first is in progress: that is why the plan waits', async () => {
    await deployLambda(job, options, {
      clients,
      bundle: bundleOf('export const handler = async () => 1;'),
      waiter: fast,
    });
    const lambda = new LambdaClient(aws.clientConfig);
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'pv_uv', ZipFile: bundleOf('x').zip }));
    await expect(
      lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'pv_uv', Timeout: 30 })),
    ).rejects.toMatchObject({
      name: 'ResourceConflictException',
    });
    lambda.destroy();
  });

  it('deploys the legacy rule path idempotently: one rule, one target, one permission scoped to the rule', async () => {
    const utc = jobLike('pv_uv', '5m', { delayMs: 60_000 });
    const ruleOptions = { ...options, schedule: { type: 'rule' as const } };
    const first = await deployLambda(utc, ruleOptions, { clients, bundle: bundleOf('a'), waiter: fast });
    expect(first.applied?.slice(-3)).toEqual(['PutRule', 'AddPermission', 'PutTargets']);
    const second = await deployLambda(utc, ruleOptions, { clients, bundle: bundleOf('a'), waiter: fast });
    expect(second.applied).not.toContain('AddPermission');
    expect(aws.events.rules.get('windowed-pv_uv')).toMatchObject({
      ScheduleExpression: 'cron(1/5 * * * ? *)',
    });
    expect(aws.events.targets.get('windowed-pv_uv')).toEqual([
      { Id: 'windowed', Arn: 'arn:aws:lambda:us-east-1:123456789012:function:pv_uv' },
    ]);
    expect(aws.lambda.functions.get('pv_uv')!.policy).toEqual([
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Condition: {
          ArnLike: { 'AWS:SourceArn': 'arn:aws:events:us-east-1:123456789012:rule/windowed-pv_uv' },
        },
      }),
    ]);
  });

  it('fails the deploy when PutTargets reports failed entries (they do not throw)', async () => {
    const utc = jobLike('pv_uv', '1m');
    aws.events.failNextPutTargets();
    await expect(
      deployLambda(
        utc,
        { ...options, schedule: { type: 'rule' } },
        { clients, bundle: bundleOf('a'), waiter: fast },
      ),
    ).rejects.toMatchObject({
      code: 'DEPLOY_FAILED',
      message: expect.stringMatching(
        /PutTargets failed for 1 target\(s\): windowed: ConcurrentModificationException/,
      ),
    });
  });

  it('dry run plans as if nothing existed, without calling AWS', async () => {
    await deployLambda(job, options, { clients, bundle: bundleOf('a'), waiter: fast });
    const before = aws.requests.length;
    const result = await deployLambda(job, options, { dryRun: true, bundle: bundleOf('a') });
    expect(aws.requests.length).toBe(before);
    expect(result.applied).toBeUndefined();
    expect(result.plan.dryRun).toBe(true);
    expect(result.plan.steps.map((s) => s.api)).toEqual([
      'CreateFunction',
      'PutFunctionEventInvokeConfig',
      'CreateSchedule',
    ]);
  });

  it('reports AWS errors as DEPLOY_FAILED naming the operation', async () => {
    const wrong = createLambdaDeployClients({
      region: 'us-east-1',
      endpoint: aws.endpoint,
      credentials: { ...aws.credentials, secretAccessKey: 'nope' },
    });
    await expect(
      deployLambda(job, options, { clients: wrong, bundle: bundleOf('a'), waiter: fast }),
    ).rejects.toMatchObject({
      code: 'DEPLOY_FAILED',
      message: expect.stringMatching(/^GetFunction failed: InvalidSignatureException/),
    });
    destroyLambdaDeployClients(wrong);
  });

  it('needs an entry to bundle when no bundle is given', async () => {
    await expect(deployLambda(job, options, { dryRun: true })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringMatching(/entry/),
    });
  });
});
