import { GetRoleCommand, IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { count, silentLogger } from '@windowed/core';
import { type AwsLoopback, startAwsLoopback } from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloudWatchSource } from '../../src/cloudwatch/source.js';
import {
  awsPlatform,
  createLambdaDeployClients,
  deployLambda,
  destroyLambdaDeployClients,
  doctorLambda,
  type LambdaDeployClients,
  type LambdaDeployOptionsInput,
  resolveLambdaDeployOptions,
} from '../../src/deploy/index.js';
import { bundleOf, fastWaiter } from '../bundle.js';
import { jobLike } from '../jobs.js';

const job = jobLike('pv_uv', '1m', { delayMs: 30_000, timeZone: 'Asia/Shanghai' });
const ACCOUNT = '123456789012';
const QUEUE = `arn:aws:sqs:us-east-1:${ACCOUNT}:windowed-failures`;
const source = { type: 'cloudwatch', logGroupNames: ['/app/access'], region: 'us-east-1' };
const deploy: LambdaDeployOptionsInput = {
  region: 'us-east-1',
  roleArn: `arn:aws:iam::${ACCOUNT}:role/fn-role`,
  schedule: { roleArn: `arn:aws:iam::${ACCOUNT}:role/scheduler-role` },
  onFailure: { destination: QUEUE },
};
const fast = fastWaiter;

let aws: AwsLoopback;
let clients: LambdaDeployClients;
beforeAll(async () => {
  aws = await startAwsLoopback();
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

describe('windowed policy (AWS)', () => {
  it('derives least privilege from the source, destination, schedule and function', () => {
    const set = awsPlatform.policy({ job, deploy, resources: { source } });
    expect(Object.keys(set.roles)).toEqual(['execution', 'scheduler']);
    expect(set.roles.execution!.policy.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/pv_uv:*`,
      },
      {
        Effect: 'Allow',
        Action: 'logs:StartQuery',
        Resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/app/access:*`,
      },
      { Effect: 'Allow', Action: ['logs:GetQueryResults', 'logs:StopQuery'], Resource: '*' },
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: QUEUE },
    ]);
    expect(set.roles.execution!.trust!.Statement[0]).toMatchObject({
      Principal: { Service: 'lambda.amazonaws.com' },
      Action: 'sts:AssumeRole',
    });
    expect(set.roles.scheduler!.policy.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:pv_uv`,
      },
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:pv_uv:*`,
      },
    ]);
    expect(set.roles.scheduler!.trust!.Statement[0]).toMatchObject({
      Principal: { Service: 'scheduler.amazonaws.com' },
    });
    expect(set.roles.execution!.arn).toBe(deploy.roleArn);
  });

  it.each([
    ['sns', `arn:aws:sns:us-east-1:${ACCOUNT}:failures`, ['sns:Publish']],
    ['lambda', `arn:aws:lambda:us-east-1:${ACCOUNT}:function:on-failure`, ['lambda:InvokeFunction']],
    ['events', `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/failures`, ['events:PutEvents']],
    ['s3', 'arn:aws:s3:::windowed-failures', ['s3:PutObject', 's3:ListBucket']],
  ])('grants the %s destination its send action', (_kind, destination, actions) => {
    const set = awsPlatform.policy({ job, deploy: { ...deploy, onFailure: { destination } } });
    expect(
      set.roles.execution!.actions.filter((a) => a.why.includes('OnFailure')).map((a) => a.action),
    ).toEqual(actions);
  });

  it('a legacy rule needs no scheduler role', () => {
    const set = awsPlatform.policy({
      job: jobLike('pv_uv', '1m'),
      deploy: { ...deploy, schedule: { type: 'rule' } },
    });
    expect(Object.keys(set.roles)).toEqual(['execution']);
    expect(set.notes.join(' ')).toMatch(/resource policy/);
  });

  it('refuses FIFO destinations with INVALID_CONFIG saying why (issue 13.6)', () => {
    for (const destination of [`${QUEUE}.fifo`, `arn:aws:sns:us-east-1:${ACCOUNT}:failures.fifo`]) {
      expect(() => resolveLambdaDeployOptions({ ...deploy, onFailure: { destination } })).toThrow(
        expect.objectContaining({
          code: 'INVALID_CONFIG',
          message: expect.stringMatching(/FIFO .*standard SQS queue/),
        }),
      );
    }
  });
});

describe('the loopback IAM, STS and Lambda as the cloud behaves', () => {
  it('answers SimulatePrincipalPolicy per action and resource (documented request shape) through the real IAM client', async () => {
    const role = aws.iam.putServiceRole('sim', 'lambda.amazonaws.com', [
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: QUEUE },
      { Effect: 'Allow', Action: 'logs:Get*', Resource: '*' },
    ]);
    const iam = new IAMClient(aws.clientConfig);
    const out = await iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: role,
        ActionNames: ['sqs:SendMessage', 'logs:GetQueryResults', 'sns:Publish'],
        ResourceArns: [QUEUE],
      }),
    );
    expect(out.EvaluationResults?.map((r) => [r.EvalActionName, r.EvalDecision])).toEqual([
      ['sqs:SendMessage', 'allowed'],
      ['logs:GetQueryResults', 'allowed'],
      ['sns:Publish', 'implicitDeny'],
    ]);
    const got = await iam.send(new GetRoleCommand({ RoleName: 'sim' }));
    // IAM returns policy documents URL-encoded (API_GetRole).
    expect(JSON.parse(decodeURIComponent(got.Role!.AssumeRolePolicyDocument!))).toMatchObject({
      Version: '2012-10-17',
    });
    await expect(iam.send(new GetRoleCommand({ RoleName: 'absent' }))).rejects.toMatchObject({
      name: 'NoSuchEntityException',
    });
    iam.destroy();
    const sts = new STSClient(aws.clientConfig);
    expect(await sts.send(new GetCallerIdentityCommand({}))).toMatchObject({ Account: ACCOUNT });
    sts.destroy();
  });

  it('Lambda refuses the invoke config when the execution role may not send to the destination (issue 13.8), and a FIFO destination (13.6)', async () => {
    aws.iam.putServiceRole('fn-role', 'lambda.amazonaws.com', []);
    aws.iam.putServiceRole('scheduler-role', 'scheduler.amazonaws.com', []);
    const error = await deployLambda(job, deploy, { clients, bundle: bundleOf(), waiter: fast }).catch(
      (e) => e,
    );
    expect(error).toMatchObject({
      code: 'DEPLOY_FAILED',
      message: expect.stringMatching(
        /PutFunctionEventInvokeConfig failed: InvalidParameterValueException: The provided execution role does not have permissions to call SendMessage on SQS/,
      ),
    });
    // Halfway: the function exists, its failures go nowhere. That is why `windowed policy` comes first.
    expect(aws.lambda.functions.has('pv_uv')).toBe(true);
    expect(aws.lambda.functions.get('pv_uv')!.eventInvokeConfig).toBeUndefined();

    const { roles } = awsPlatform.policy({ job, deploy });
    aws.iam.putRole('fn-role', roles.execution!.trust!, { windowed: roles.execution!.policy });
    aws.iam.putRole('scheduler-role', roles.scheduler!.trust!, { windowed: roles.scheduler!.policy });
    const ok = await deployLambda(job, deploy, { clients, bundle: bundleOf(), waiter: fast });
    expect(ok.applied).toContain('PutFunctionEventInvokeConfig');

    // The loopback refuses a FIFO queue too (the validation above stops windowed sending one).
    const { LambdaClient, PutFunctionEventInvokeConfigCommand } = await import('@aws-sdk/client-lambda');
    const lambda = new LambdaClient(aws.clientConfig);
    await expect(
      lambda.send(
        new PutFunctionEventInvokeConfigCommand({
          FunctionName: 'pv_uv',
          DestinationConfig: { OnFailure: { Destination: `${QUEUE}.fifo` } },
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      message: expect.stringMatching(/FIFO/),
    });
    lambda.destroy();
  });

  it('refuses a CloudWatch source call signed by a role session without logs:StartQuery, and allows it with the policy', async () => {
    aws.logs.putEvents('/app/access', []);
    const bare = aws.iam.putServiceRole('bare', 'lambda.amazonaws.com', []);
    const query = (credentials: { accessKeyId: string; secretAccessKey: string }) =>
      createCloudWatchSource({
        type: 'cloudwatch',
        logGroupNames: ['/app/access'],
        endpoint: aws.endpoint,
        region: 'us-east-1',
        credentials,
        poll: { initialMs: 5, maxMs: 20 },
      }).query(
        { metrics: { pv: count() } },
        { start: new Date(0), end: new Date(60_000), key: '1970-01-01T00:00:00.000Z' },
        { signal: new AbortController().signal, logger: silentLogger },
      );
    await expect(query(aws.iam.sessionFor(bare))).rejects.toMatchObject({
      message: expect.stringMatching(/not authorized to perform: logs:StartQuery/),
    });
    const { roles } = awsPlatform.policy({ job, deploy, resources: { source } });
    const granted = aws.iam.putRole('granted', roles.execution!.trust!, {
      windowed: roles.execution!.policy,
    });
    await expect(query(aws.iam.sessionFor(granted))).resolves.toMatchObject({ rows: expect.any(Array) });
  });
});

describe('role: { create: true }', () => {
  it('creates both roles with the policies `windowed policy` prints, before the function; a second deploy updates them', async () => {
    const created: LambdaDeployOptionsInput = {
      region: 'us-east-1',
      accountId: ACCOUNT,
      role: { create: true },
      functionName: 'created_fn',
      onFailure: { destination: QUEUE },
      environment: { WINDOWED_SOURCE: JSON.stringify(source) },
    };
    const first = await deployLambda(job, created, { clients, bundle: bundleOf(), waiter: fast });
    expect(first.applied?.slice(0, 4)).toEqual([
      'CreateRole',
      'PutRolePolicy',
      'CreateRole',
      'PutRolePolicy',
    ]);
    const policies = awsPlatform.policy({ job, deploy: created });
    expect(policies.roles.execution!.arn).toBeUndefined();
    const role = aws.iam.role('windowed-created_fn')!;
    expect(JSON.parse(role.policies.get('windowed')!)).toEqual(policies.roles.execution!.policy);
    expect(aws.iam.role('windowed-created_fn-scheduler')).toBeDefined();
    expect(aws.lambda.functions.get('created_fn')!.configuration.Role).toBe(
      `arn:aws:iam::${ACCOUNT}:role/windowed-created_fn`,
    );
    // doctor checks the roles the deploy created, by the ARNs it gave them.
    aws.sqs.createQueue('windowed-failures');
    const report = await doctorLambda(job, resolveLambdaDeployOptions(created), {
      clients,
      endpoint: aws.endpoint,
      credentials: aws.credentials,
    });
    expect(report.checks.filter((c) => c.id.startsWith('role:')).map((c) => [c.id, c.status])).toEqual([
      ['role:execution', 'ok'],
      ['role:scheduler', 'ok'],
    ]);
    const second = await deployLambda(job, created, { clients, bundle: bundleOf(), waiter: fast });
    expect(second.applied?.slice(0, 4)).toEqual([
      'UpdateAssumeRolePolicy',
      'PutRolePolicy',
      'UpdateAssumeRolePolicy',
      'PutRolePolicy',
    ]);
  });

  it('needs the account id to name the roles', () => {
    expect(() =>
      resolveLambdaDeployOptions({
        region: 'us-east-1',
        role: { create: true },
        onFailure: { destination: QUEUE },
      }),
    ).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', message: expect.stringMatching(/accountId/) }),
    );
  });
});
