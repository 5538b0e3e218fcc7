import { LambdaClient, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import type { DeployInput, DoctorReport } from '@windowed/core';
import { type AwsLoopback, startAwsLoopback } from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awsPlatform,
  createLambdaDeployClients,
  deployLambda,
  destroyLambdaDeployClients,
  type LambdaDeployClients,
  lambdaPolicies,
  resolveLambdaDeployOptions,
} from '../../src/deploy/index.js';
import { lambdaOptionsOf } from '../../src/deploy/platform.js';
import { bundleOf, fastWaiter } from '../bundle.js';
import { jobLike } from '../jobs.js';

const job = jobLike('pv_uv', '1m', { delayMs: 30_000, timeZone: 'Asia/Shanghai' });
const ACCOUNT = '123456789012';
const QUEUE = `arn:aws:sqs:us-east-1:${ACCOUNT}:doctor-failures`;
const input: DeployInput = {
  job,
  deploy: {
    region: 'us-east-1',
    roleArn: `arn:aws:iam::${ACCOUNT}:role/doctor-fn`,
    schedule: { roleArn: `arn:aws:iam::${ACCOUNT}:role/doctor-scheduler` },
    onFailure: { destination: QUEUE },
  },
  resources: {
    source: { type: 'cloudwatch', logGroupNames: ['/app/access'], region: 'us-east-1' },
    sink: 'mysql://app:pw@db.internal:3306/stats',
  },
};
const fast = fastWaiter;

let aws: AwsLoopback;
let clients: LambdaDeployClients;
const status = (report: DoctorReport) => Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
const detail = (report: DoctorReport, id: string) => report.checks.find((c) => c.id === id)!;

function saveEnv(): () => void {
  const saved = { ...process.env };
  process.env.AWS_ACCESS_KEY_ID = aws.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = aws.credentials.secretAccessKey;
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  return () => {
    process.env = saved;
  };
}
let restoreEnv: () => void;

beforeAll(async () => {
  aws = await startAwsLoopback();
  restoreEnv = saveEnv();
  clients = createLambdaDeployClients({
    region: 'us-east-1',
    endpoint: aws.endpoint,
    credentials: aws.credentials,
  });
});
afterAll(async () => {
  restoreEnv();
  destroyLambdaDeployClients(clients);
  await aws.close();
});

const doctor = (extra: Parameters<typeof awsPlatform.doctor>[1] = {}) =>
  awsPlatform.doctor(input, { endpoint: aws.endpoint, ...extra });

describe('windowed doctor (AWS) against the loopback', () => {
  it('before a deploy: every missing piece fails, naming what to do', async () => {
    const report = await doctor();
    expect(report.ok).toBe(false);
    expect(status(report)).toEqual({
      credentials: 'ok',
      function: 'fail',
      'invoke-config': 'skip',
      destination: 'fail',
      schedule: 'fail',
      'role:execution': 'fail',
      'role:scheduler': 'fail',
      logs: 'fail',
    });
    expect(detail(report, 'function').detail).toMatch(/does not exist: run `windowed deploy`/);
    expect(detail(report, 'destination').detail).toMatch(/queue doctor-failures does not exist/);
    expect(detail(report, 'role:execution').detail).toMatch(/doctor-fn does not exist/);
    expect(detail(report, 'logs').detail).toMatch(/No log group \/app\/access/);
  });

  it('after a deploy with the roles `policy` prints: every check passes; --sink checks the database', async () => {
    const { roles } = awsPlatform.policy(input);
    aws.iam.putRole('doctor-fn', roles.execution!.trust!, { windowed: roles.execution!.policy });
    aws.iam.putRole('doctor-scheduler', roles.scheduler!.trust!, { windowed: roles.scheduler!.policy });
    aws.sqs.createQueue('doctor-failures');
    aws.logs.putEvents('/app/access', []);
    await deployLambda(job, lambdaOptionsOf(input), { clients, bundle: bundleOf(), waiter: fast });
    const report = await doctor({ sink: true, checkSink: async () => 'mysql db.internal:3306/stats' });
    expect(report.checks.filter((c) => c.status !== 'ok')).toEqual([]);
    expect(report.ok).toBe(true);
    expect(JSON.stringify(report)).not.toContain(':pw@');
  });

  it('names drift field by field (environment values are never printed)', async () => {
    const lambda = new LambdaClient(aws.clientConfig);
    await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'pv_uv',
        Timeout: 5,
        Environment: { Variables: { WINDOWED_SINK: 'mysql://other:secret@elsewhere/stats' } },
      }),
    );
    lambda.destroy();
    aws.scheduler.get('windowed-pv_uv')!.ScheduleExpression = 'cron(0/5 * * * ? *)';
    const config = aws.lambda.functions.get('pv_uv')!.eventInvokeConfig!;
    config.MaximumRetryAttempts = 0;
    const report = await doctor();
    expect(report.ok).toBe(false);
    expect(detail(report, 'function').drift).toEqual(
      expect.arrayContaining([
        { field: 'Timeout', expected: 60, actual: 5 },
        { field: 'Environment.Variables.WINDOWED_SINK', expected: '(set)', actual: '(another value)' },
        { field: 'Environment.Variables.WINDOWED_SOURCE', expected: '(set)', actual: '(absent)' },
      ]),
    );
    expect(detail(report, 'schedule').drift).toEqual([
      { field: 'ScheduleExpression', expected: 'cron(* * * * ? *)', actual: 'cron(0/5 * * * ? *)' },
    ]);
    expect(detail(report, 'invoke-config').drift).toEqual([
      { field: 'MaximumRetryAttempts', expected: 2, actual: 0 },
    ]);
    expect(JSON.stringify(report)).not.toMatch(/secret|:pw@/);
  });

  it('fails a FIFO destination the function was switched to, and a role that lost a permission', async () => {
    aws.sqs.createQueue('doctor-failures.fifo');
    aws.lambda.functions.get('pv_uv')!.eventInvokeConfig!.DestinationConfig = {
      OnFailure: { Destination: `${QUEUE}.fifo` },
    };
    const { roles } = lambdaPolicies(resolveLambdaDeployOptions(lambdaOptionsOf(input)), job);
    const policy = structuredClone(roles.execution!.policy);
    policy.Statement = policy.Statement.filter((s) => s.Action !== 'sqs:SendMessage');
    aws.iam.putRole('doctor-fn', roles.execution!.trust!, { windowed: policy });
    const report = await doctor();
    expect(detail(report, 'destination')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/FIFO queue/),
    });
    expect(detail(report, 'role:execution')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(new RegExp(`does not allow sqs:SendMessage on ${QUEUE}`)),
    });
    expect(detail(report, 'role:scheduler').status).toBe('ok');
  });

  it('fails the sink check when the database cannot be reached, and credentials of another account', async () => {
    const report = await doctor({
      sink: true,
      checkSink: async () => {
        throw new Error('connect ECONNREFUSED 10.0.0.5:3306');
      },
    });
    expect(detail(report, 'sink')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/ECONNREFUSED/),
    });
    const other = await awsPlatform.doctor(
      { ...input, deploy: { ...(input.deploy as object), accountId: '999999999999' } },
      { endpoint: aws.endpoint },
    );
    expect(other.checks).toEqual([
      expect.objectContaining({
        id: 'credentials',
        status: 'fail',
        detail: expect.stringMatching(/account 123456789012/),
      }),
    ]);
  });
});
