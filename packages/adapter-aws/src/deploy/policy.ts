import {
  grantsDocument,
  type PolicyDocument,
  type PolicySet,
  type RolePolicy,
  sourceOfEnvironment,
  type WindowedJob,
} from '@windowed/core';
import { type LambdaDeployOptions, lambdaIdentity } from './options.js';
import { secretGrants } from './secret-grants.js';

type Grant = RolePolicy['actions'][number];

/**
 * The send permission each kind of OnFailure destination needs on the execution role: Lambda
 * delivers the record as the function.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 */
function destinationGrants(arn: string): Grant[] {
  const service = arn.split(':')[2];
  const why = 'send the record of a failed invocation to the OnFailure destination';
  switch (service) {
    case 'sqs':
      return [{ action: 'sqs:SendMessage', resource: arn, why }];
    case 'sns':
      return [{ action: 'sns:Publish', resource: arn, why }];
    case 'lambda':
      return [{ action: 'lambda:InvokeFunction', resource: arn, why }];
    case 'events':
      return [{ action: 'events:PutEvents', resource: arn, why }];
    case 's3':
      return [
        { action: 's3:PutObject', resource: `${arn}/*`, why },
        { action: 's3:ListBucket', resource: arn, why },
      ];
  }
  return [];
}

/**
 * CloudWatch Logs Insights as the source runs it: StartQuery on each log group, GetQueryResults and
 * StopQuery on `*` (they take no resource).
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
 */
function sourceGrants(
  source: Record<string, unknown> | undefined,
  region: string,
  partition: string,
  accountId: string,
): Grant[] {
  if (source?.type !== 'cloudwatch') return [];
  const groups = [
    ...((source.logGroupNames as string[] | undefined) ?? []),
    ...((source.logGroupIdentifiers as string[] | undefined) ?? []),
  ];
  const sourceRegion = typeof source.region === 'string' ? source.region : region;
  const why = 'query the log groups of the cloudwatch source';
  return [
    ...groups.map((group) => ({
      action: 'logs:StartQuery',
      resource: group.startsWith('arn:')
        ? `${group.replace(/:\*$/, '')}:*`
        : `arn:${partition}:logs:${sourceRegion}:${accountId}:log-group:${group}:*`,
      why,
    })),
    { action: 'logs:GetQueryResults', resource: '*', why },
    { action: 'logs:StopQuery', resource: '*', why },
  ];
}

function trust(service: string, accountId: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: service },
        Action: 'sts:AssumeRole',
        // Only this account's resources may pass the role to the service (confused-deputy guard).
        Condition: { StringEquals: { 'aws:SourceAccount': accountId } },
      },
    ],
  };
}

/**
 * The least-privilege policies a deployed job needs, derived from its options (destination,
 * schedule, function) and the environment the function reads (its source):
 * - `execution`: the function's own logs, the source's Logs Insights calls, the destination's send,
 *   the read of the secrets its database URLs name;
 * - `scheduler` (EventBridge Scheduler): `lambda:InvokeFunction` on the function (and the schedule's
 *   dead-letter queue); a legacy rule needs no role, it invokes through the function's resource policy.
 */
export function lambdaPolicies(options: LambdaDeployOptions, job: Pick<WindowedJob, 'name'>): PolicySet {
  const id = lambdaIdentity(options, job);
  const { partition, accountId, functionName, functionArn } = id;
  const logGroup = `arn:${partition}:logs:${options.region}:${accountId}:log-group:/aws/lambda/${functionName}`;
  const source = sourceOfEnvironment(options.environment);
  const execution: Grant[] = [
    { action: 'logs:CreateLogGroup', resource: `${logGroup}:*`, why: "create the function's log group" },
    { action: 'logs:CreateLogStream', resource: `${logGroup}:*`, why: 'write the function logs' },
    { action: 'logs:PutLogEvents', resource: `${logGroup}:*`, why: 'write the function logs' },
    ...sourceGrants(source, options.region, partition, accountId),
    ...secretGrants(options.environment, { partition, region: options.region, accountId }),
    ...destinationGrants(options.onFailure.destination),
  ];
  const notes: string[] = [];
  if (source && source.type !== 'cloudwatch')
    notes.push(
      `The ${String(source.type)} source needs no AWS permission; the function must reach it over the network.`,
    );
  if (!source)
    notes.push('The target names no source: add its permissions yourself if it is an AWS service.');
  const sink = options.environment.WINDOWED_SINK;
  if (sink && /^(mysql|postgres|postgresql):/.test(sink))
    notes.push(
      'The sink database is reached over the network, not through IAM: the function needs a route to it (VPC settings are not managed by windowed).',
    );
  const roles: PolicySet['roles'] = {
    execution: {
      description: `execution role of the Lambda function ${functionName}`,
      ...(id.created.execution ? {} : { arn: id.executionRoleArn }),
      policy: grantsDocument(execution, 'iam'),
      trust: trust('lambda.amazonaws.com', accountId),
      actions: execution,
    },
  };
  if (id.schedulerRoleArn) {
    const scheduler: Grant[] = [
      { action: 'lambda:InvokeFunction', resource: functionArn, why: 'invoke the function on schedule' },
      {
        action: 'lambda:InvokeFunction',
        resource: `${functionArn}:*`,
        why: 'invoke the function on schedule',
      },
      ...(options.schedule.deadLetterArn
        ? [
            {
              action: 'sqs:SendMessage',
              resource: options.schedule.deadLetterArn,
              why: "send to the schedule's dead-letter queue",
            },
          ]
        : []),
    ];
    roles.scheduler = {
      description: `role EventBridge Scheduler assumes to invoke ${functionName}`,
      ...(id.created.scheduler ? {} : { arn: id.schedulerRoleArn }),
      policy: grantsDocument(scheduler, 'iam'),
      trust: trust('scheduler.amazonaws.com', accountId),
      actions: scheduler,
    };
  } else {
    notes.push(
      'The legacy rule invokes the function through its resource policy (AddPermission): no role is needed.',
    );
  }
  return { target: 'aws', roles, notes };
}
