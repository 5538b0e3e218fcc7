import { describe, expect, it } from 'vitest';
import { deriveSchedule, planLambdaDeployment, resolveLambdaDeployOptions } from '../../src/deploy/index.js';
import { jobLike } from '../jobs.js';

const ROLE = 'arn:aws:iam::123456789012:role/windowed-pv-uv';
const SCHEDULER_ROLE = 'arn:aws:iam::123456789012:role/windowed-scheduler';
const QUEUE = 'arn:aws:sqs:us-east-1:123456789012:windowed-failures';
const options = {
  region: 'us-east-1',
  roleArn: ROLE,
  schedule: { roleArn: SCHEDULER_ROLE },
  onFailure: { destination: QUEUE },
};
const code = { bytes: 1234, sha256: 'ab'.repeat(32) };
const pvUv = jobLike('pv_uv', '1m', { delayMs: 30_000, timeZone: 'Asia/Shanghai' });

function invalid(input: unknown): string {
  try {
    resolveLambdaDeployOptions(input);
  } catch (error) {
    expect((error as { code?: string }).code).toBe('INVALID_CONFIG');
    return (error as Error).message;
  }
  throw new Error('expected INVALID_CONFIG');
}

describe('deploy options', () => {
  it('applies defaults', () => {
    expect(resolveLambdaDeployOptions(options)).toMatchObject({
      handler: 'index.handler',
      runtime: 'nodejs22.x',
      timeout: 60,
      memorySize: 256,
      schedule: {
        type: 'scheduler',
        groupName: 'default',
        state: 'ENABLED',
        retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86400 },
      },
      onFailure: { destination: QUEUE, maximumRetryAttempts: 2, maximumEventAgeInSeconds: 21600 },
    });
  });

  it.each([
    ['a missing failure destination', { ...options, onFailure: undefined }, /onFailure: required/],
    [
      'a destination of an unsupported service',
      { ...options, onFailure: { destination: 'arn:aws:dynamodb:us-east-1:123456789012:table/x' } },
      /onFailure.destination: expected the ARN of an SQS queue, SNS topic, Lambda function, EventBridge event bus or S3 bucket/,
    ],
    [
      'a destination that is not an ARN',
      { ...options, onFailure: { destination: 'https://sqs.us-east-1.amazonaws.com/123456789012/q' } },
      /onFailure.destination/,
    ],
    [
      'a role that is not an IAM role ARN',
      { ...options, roleArn: 'windowed-role' },
      /roleArn: expected an IAM role ARN/,
    ],
    ['an invalid region', { ...options, region: 'us-east' }, /region: expected an AWS region/],
    [
      'MaximumRetryAttempts above 2',
      { ...options, onFailure: { destination: QUEUE, maximumRetryAttempts: 3 } },
      /maximumRetryAttempts/,
    ],
    [
      'MaximumEventAgeInSeconds below 60',
      { ...options, onFailure: { destination: QUEUE, maximumEventAgeInSeconds: 59 } },
      /maximumEventAgeInSeconds/,
    ],
    [
      'MaximumEventAgeInSeconds above 21600',
      { ...options, onFailure: { destination: QUEUE, maximumEventAgeInSeconds: 21601 } },
      /maximumEventAgeInSeconds/,
    ],
    ['an unknown option', { ...options, timeoutSeconds: 30 }, /unknown option "timeoutSeconds"/],
    [
      'an unknown schedule option',
      { ...options, schedule: { roleArn: SCHEDULER_ROLE, cron: 'x' } },
      /schedule: unknown option "cron"/,
    ],
    [
      'a Scheduler without its role',
      { ...options, schedule: {} },
      /schedule.roleArn: EventBridge Scheduler needs a role/,
    ],
  ])('rejects %s with INVALID_CONFIG', (_name, input, message) => {
    expect(invalid(input)).toMatch(message);
  });

  it.each([
    'arn:aws:sqs:us-east-1:123456789012:q',
    'arn:aws:sns:eu-west-1:123456789012:topic',
    'arn:aws:lambda:us-east-1:123456789012:function:replay',
    'arn:aws:lambda:us-east-1:123456789012:function:replay:live',
    'arn:aws:events:us-east-1:123456789012:event-bus/default',
    'arn:aws:s3:::windowed-failures',
    'arn:aws-cn:sqs:cn-north-1:123456789012:q',
  ])('accepts the destination %s', (destination) => {
    expect(resolveLambdaDeployOptions({ ...options, onFailure: { destination } }).onFailure.destination).toBe(
      destination,
    );
  });
});

describe('deriveSchedule', () => {
  it.each([
    ['1m, no delay', jobLike('j', '1m'), 'cron(* * * * ? *)', 0],
    ['1m, delay 30s rounds up to 1 min', jobLike('j', '1m', { delayMs: 30_000 }), 'cron(* * * * ? *)', 1],
    ['5m, delay 7m', jobLike('j', '5m', { delayMs: 420_000 }), 'cron(2/5 * * * ? *)', 7],
    [
      '15m, delay 90s rounds up to 2 min',
      jobLike('j', '15m', { delayMs: 90_000 }),
      'cron(2/15 * * * ? *)',
      2,
    ],
    ['1h, delay 5m', jobLike('j', '1h', { delayMs: 300_000 }), 'cron(5 * * * ? *)', 5],
    ['6h, delay 90m', jobLike('j', '6h', { delayMs: 5_400_000 }), 'cron(30 1/6 * * ? *)', 90],
    ['1d, delay 10m', jobLike('j', '1d', { delayMs: 600_000 }), 'cron(10 0 * * ? *)', 10],
    ['1w, delay 1d 2h', jobLike('j', '1w', { delayMs: 93_600_000 }), 'cron(0 2 ? * TUE *)', 1560],
    ['1mo, delay 3h', jobLike('j', '1mo', { delayMs: 10_800_000 }), 'cron(0 3 1 * ? *)', 180],
  ])('%s → %s', (_name, job, expression, minutes) => {
    const derived = deriveSchedule(job.windowSpec, 'scheduler');
    expect(derived.expression).toBe(expression);
    expect(derived.fireAfterMinutes).toBe(minutes);
  });

  it('keeps the window time zone for Scheduler', () => {
    expect(
      deriveSchedule(jobLike('j', '1d', { timeZone: 'Asia/Shanghai' }).windowSpec, 'scheduler').timeZone,
    ).toBe('Asia/Shanghai');
  });

  it('refuses a delay whose rounding, with the tolerance, would reach the next window', () => {
    expect(() =>
      deriveSchedule(jobLike('j', '1m', { delayMs: 61_000 }).windowSpec, 'scheduler'),
    ).toThrowError(
      expect.objectContaining({
        code: 'INVALID_CONFIG',
        message: expect.stringMatching(/cannot be scheduled exactly/),
      }),
    );
    expect(deriveSchedule(jobLike('j', '5m', { delayMs: 61_000 }).windowSpec, 'scheduler').expression).toBe(
      'cron(2/5 * * * ? *)',
    );
  });

  it('schedules rules in UTC, and refuses windows that do not line up with UTC', () => {
    expect(
      deriveSchedule(jobLike('j', '1m', { timeZone: 'Asia/Shanghai' }).windowSpec, 'rule').timeZone,
    ).toBe('UTC');
    expect(deriveSchedule(jobLike('j', '1d').windowSpec, 'rule').expression).toBe('cron(0 0 * * ? *)');
    expect(() =>
      deriveSchedule(jobLike('j', '1d', { timeZone: 'Asia/Shanghai' }).windowSpec, 'rule'),
    ).toThrowError(/Scheduler/);
    expect(() =>
      deriveSchedule(jobLike('j', '1h', { timeZone: 'Asia/Kolkata' }).windowSpec, 'rule'),
    ).toThrowError(/UTC only/);
    expect(() =>
      deriveSchedule(jobLike('j', '1m', { timeZone: 'Asia/Kolkata' }).windowSpec, 'rule'),
    ).not.toThrow();
  });
});

describe('planLambdaDeployment', () => {
  it('plans a first deploy: create, wait, failure destination, Scheduler schedule', () => {
    const plan = planLambdaDeployment(pvUv, options, {
      code,
      state: { functionExists: false, scheduleExists: false },
    });
    expect(plan.steps.map((s) => [s.api, s.waitUntil])).toEqual([
      ['CreateFunction', 'FunctionActiveV2'],
      ['PutFunctionEventInvokeConfig', undefined],
      ['CreateSchedule', undefined],
    ]);
    expect(plan.dryRun).toBe(false);
    expect(plan.functionArn).toBe('arn:aws:lambda:us-east-1:123456789012:function:pv_uv');
    expect(plan.steps[0]!.input).toEqual({
      FunctionName: 'pv_uv',
      Role: ROLE,
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Description: 'windowed job pv_uv',
      Timeout: 60,
      MemorySize: 256,
      Environment: { Variables: { WINDOWED_FUNCTION_TIMEOUT_MS: '60000' } },
      Code: { ZipFile: { bytes: 1234, sha256: code.sha256 } },
      Architectures: ['x86_64'],
      PackageType: 'Zip',
    });
    expect(plan.steps[1]!.input).toEqual({
      FunctionName: 'pv_uv',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21600,
      DestinationConfig: { OnFailure: { Destination: QUEUE } },
    });
    const schedule = plan.steps[2]!.input as { Target: { Input: string } };
    expect(schedule).toMatchObject({
      Name: 'windowed-pv_uv',
      GroupName: 'default',
      ScheduleExpression: 'cron(* * * * ? *)',
      ScheduleExpressionTimezone: 'Asia/Shanghai',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: plan.functionArn,
        RoleArn: SCHEDULER_ROLE,
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
      },
    });
    expect(JSON.parse(schedule.Target.Input)).toEqual({
      source: 'aws.scheduler',
      scheduledTime: '<aws.scheduler.scheduled-time>',
      executionId: '<aws.scheduler.execution-id>',
      attemptNumber: '<aws.scheduler.attempt-number>',
      scheduleArn: '<aws.scheduler.schedule-arn>',
    });
    expect(plan.notes.join(' ')).toMatch(/rounded up to 1 min/);
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });

  it('plans an update when things exist: code, wait, configuration, wait, UpdateSchedule', () => {
    const plan = planLambdaDeployment(pvUv, options, {
      code,
      state: { functionExists: true, codeSha256: 'other', scheduleExists: true },
    });
    expect(plan.steps.map((s) => [s.api, s.waitUntil])).toEqual([
      ['UpdateFunctionCode', 'FunctionUpdatedV2'],
      ['UpdateFunctionConfiguration', 'FunctionUpdatedV2'],
      ['PutFunctionEventInvokeConfig', undefined],
      ['UpdateSchedule', undefined],
    ]);
    expect(plan.steps[0]!.input).toEqual({
      FunctionName: 'pv_uv',
      ZipFile: { bytes: 1234, sha256: code.sha256 },
      Architectures: ['x86_64'],
    });
  });

  it('skips uploading identical code', () => {
    const same = Buffer.from(code.sha256, 'hex').toString('base64');
    const plan = planLambdaDeployment(pvUv, options, {
      code,
      state: { functionExists: true, codeSha256: same, scheduleExists: true },
    });
    expect(plan.steps.map((s) => s.api)).toEqual([
      'UpdateFunctionConfiguration',
      'PutFunctionEventInvokeConfig',
      'UpdateSchedule',
    ]);
    expect(plan.notes.join(' ')).toMatch(/identical/);
  });

  it('dry run: plans as if nothing exists and says so', () => {
    const plan = planLambdaDeployment(pvUv, options, { code });
    expect(plan.dryRun).toBe(true);
    expect(plan.steps.map((s) => s.api)).toEqual([
      'CreateFunction',
      'PutFunctionEventInvokeConfig',
      'CreateSchedule',
    ]);
    expect(plan.notes[0]).toMatch(/Dry run: nothing was looked up/);
  });

  it('plans the legacy rule path: PutRule, AddPermission with SourceArn, PutTargets', () => {
    const utc = jobLike('pv_uv', '5m', { delayMs: 60_000 });
    const plan = planLambdaDeployment(
      utc,
      { ...options, schedule: { type: 'rule' } },
      { code, state: { functionExists: true, scheduleExists: false, permissionExists: false } },
    );
    expect(plan.steps.map((s) => s.api).slice(-3)).toEqual(['PutRule', 'AddPermission', 'PutTargets']);
    expect(plan.steps.at(-3)!.input).toEqual({
      Name: 'windowed-pv_uv',
      ScheduleExpression: 'cron(1/5 * * * ? *)',
      State: 'ENABLED',
      Description: 'windowed: 5m windows (UTC), run 1 min after each window ends',
    });
    expect(plan.steps.at(-2)!.input).toEqual({
      FunctionName: 'pv_uv',
      StatementId: 'windowed-windowed-pv_uv',
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      SourceArn: 'arn:aws:events:us-east-1:123456789012:rule/windowed-pv_uv',
    });
    const again = planLambdaDeployment(
      utc,
      { ...options, schedule: { type: 'rule' } },
      { code, state: { functionExists: true, scheduleExists: false, permissionExists: true } },
    );
    expect(again.steps.map((s) => s.api)).not.toContain('AddPermission');
  });

  it('takes the account and partition from the role', () => {
    const plan = planLambdaDeployment(
      pvUv,
      {
        ...options,
        region: 'cn-north-1',
        roleArn: 'arn:aws-cn:iam::210987654321:role/r',
        schedule: { roleArn: 'arn:aws-cn:iam::210987654321:role/s' },
        onFailure: { destination: 'arn:aws-cn:sqs:cn-north-1:210987654321:q' },
      },
      { code },
    );
    expect(plan.functionArn).toBe('arn:aws-cn:lambda:cn-north-1:210987654321:function:pv_uv');
  });
});
