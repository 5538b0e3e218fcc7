import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeRuleCommand, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { GetFunctionCommand, GetFunctionEventInvokeConfigCommand } from '@aws-sdk/client-lambda';
import { GetScheduleCommand } from '@aws-sdk/client-scheduler';
import {
  check,
  type DoctorCheck,
  type DoctorOptions,
  type DoctorReport,
  describeError,
  driftCheck,
  driftOf,
  type PolicySet,
  sinkCheck,
  sourceOfEnvironment,
  type WindowedJob,
} from '@windowed/core';
import { createLambdaDeployClients, destroyLambdaDeployClients, type LambdaDeployClients } from './apply.js';
import { type LambdaDeployOptions, lambdaIdentity } from './options.js';
import { planLambdaDeployment } from './plan.js';
import { lambdaPolicies } from './policy.js';
import { secretChecks } from './secret-doctor.js';

const missing = (error: unknown) =>
  ['ResourceNotFoundException', 'NoSuchEntityException', 'QueueDoesNotExist'].includes(
    String((error as Error)?.name),
  );

/**
 * A read-only check of an AWS account against the plan: credentials, function, invoke config and
 * destination, schedule, roles (by `iam:SimulatePrincipalPolicy` with the actions `windowed
 * policy` lists), the secrets the database URLs name (they exist, the role may read them), the
 * source's log groups and (optionally) the sink. Nothing is created or changed.
 */
export async function doctorLambda(
  job: Pick<WindowedJob, 'name' | 'windowSpec'>,
  options: LambdaDeployOptions,
  doctor: DoctorOptions & {
    clients?: LambdaDeployClients;
    credentials?: { accessKeyId: string; secretAccessKey: string };
  } = {},
): Promise<DoctorReport> {
  const id = lambdaIdentity(options, job);
  const config = {
    region: options.region,
    ...(doctor.endpoint ? { endpoint: doctor.endpoint } : {}),
    ...(doctor.credentials ? { credentials: doctor.credentials } : {}),
  };
  const clients = doctor.clients ?? createLambdaDeployClients(config);
  const checks: DoctorCheck[] = [];
  try {
    checks.push(await credentialsCheck(config, id.accountId));
    if (checks[0]!.status === 'fail') return report(checks);
    const plan = planLambdaDeployment(job, options, {});
    const input = (api: string) => plan.steps.find((s) => s.api === api)?.input ?? {};
    const fn = await functionCheck(clients, id.functionName, input('CreateFunction'));
    checks.push(fn);
    const invoke = await invokeConfigCheck(
      clients,
      id.functionName,
      input('PutFunctionEventInvokeConfig'),
      fn.status !== 'fail' || fn.drift !== undefined,
    );
    checks.push(invoke.check);
    // The destination the function actually sends to (it may have drifted from the options').
    checks.push(await destinationCheck(config, invoke.destination ?? options.onFailure.destination));
    checks.push(
      options.schedule.type === 'scheduler'
        ? await scheduleCheck(clients, input('CreateSchedule'))
        : await ruleCheck(clients, input('PutRule'), id.functionArn),
    );
    // Roles the deploy creates are checked by the ARN it gives them.
    const arns: Record<string, string | undefined> = {
      execution: id.executionRoleArn,
      scheduler: id.schedulerRoleArn,
    };
    checks.push(...(await roleChecks(clients, lambdaPolicies(options, job), arns)));
    checks.push(
      ...(await secretChecks(
        config,
        clients,
        options.environment,
        { partition: id.partition, region: options.region, accountId: id.accountId },
        id.executionRoleArn,
      )),
    );
    checks.push(await logGroupsCheck(config, options));
    if (doctor.sink) checks.push(await sinkCheck(doctor.checkSink));
    return report(checks);
  } finally {
    if (!doctor.clients) destroyLambdaDeployClients(clients);
  }
}

function report(checks: DoctorCheck[]): DoctorReport {
  return { target: 'aws', ok: checks.every((c) => c.status !== 'fail'), checks };
}

async function credentialsCheck(
  config: { region: string; endpoint?: string },
  accountId: string,
): Promise<DoctorCheck> {
  const title = 'credentials resolve';
  try {
    const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
    const sts = new STSClient(config);
    try {
      const who = await sts.send(new GetCallerIdentityCommand({}));
      if (accountId && who.Account !== accountId)
        return check(
          'credentials',
          title,
          'fail',
          `The credentials are for account ${who.Account}, the deploy options for ${accountId}.`,
        );
      return check('credentials', title, 'ok', `${who.Arn} (account ${who.Account}).`);
    } finally {
      sts.destroy();
    }
  } catch (error) {
    return check(
      'credentials',
      title,
      'fail',
      `STS GetCallerIdentity failed: ${describeError(error)}. Configure AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, …).`,
    );
  }
}

async function functionCheck(
  clients: LambdaDeployClients,
  functionName: string,
  expected: Record<string, unknown>,
): Promise<DoctorCheck> {
  const title = `function ${functionName}`;
  try {
    const out = await clients.lambda.send(new GetFunctionCommand({ FunctionName: functionName }));
    const { Role, Runtime, Handler, Timeout, MemorySize, Description, Environment, Architectures } = expected;
    const drift = driftOf(
      { Role, Runtime, Handler, Timeout, MemorySize, Description, Environment, Architectures },
      out.Configuration ?? {},
    );
    return driftCheck('function', title, drift, 'Its configuration');
  } catch (error) {
    if (missing(error))
      return check('function', title, 'fail', `${functionName} does not exist: run \`windowed deploy\`.`);
    return check('function', title, 'fail', `GetFunction failed: ${describeError(error)}`);
  }
}

async function invokeConfigCheck(
  clients: LambdaDeployClients,
  functionName: string,
  expected: Record<string, unknown>,
  functionExists: boolean,
): Promise<{ check: DoctorCheck; destination?: string }> {
  const title = 'retries and failure destination';
  if (!functionExists)
    return { check: check('invoke-config', title, 'skip', 'The function does not exist.') };
  try {
    const out = await clients.lambda.send(
      new GetFunctionEventInvokeConfigCommand({ FunctionName: functionName }),
    );
    const { MaximumRetryAttempts, MaximumEventAgeInSeconds, DestinationConfig } = expected;
    const drift = driftOf({ MaximumRetryAttempts, MaximumEventAgeInSeconds, DestinationConfig }, out);
    const destination = out.DestinationConfig?.OnFailure?.Destination;
    return {
      check: driftCheck('invoke-config', title, drift, 'The event-invoke config'),
      ...(destination ? { destination } : {}),
    };
  } catch (error) {
    const detail = missing(error)
      ? 'The function has no event-invoke config: failures would go nowhere. Run `windowed deploy`.'
      : `GetFunctionEventInvokeConfig failed: ${describeError(error)}`;
    return { check: check('invoke-config', title, 'fail', detail) };
  }
}

/**
 * The destination exists and Lambda can deliver to it: a standard queue (FIFO queues "cannot be
 * used", CloudFormation's DestinationConfig reference). Only SQS destinations are looked up.
 */
async function destinationCheck(
  config: { region: string; endpoint?: string },
  arn: string,
): Promise<DoctorCheck> {
  const title = `destination ${arn}`;
  const [, , service, , account, name = ''] = arn.split(':');
  if (service !== 'sqs')
    return check(
      'destination',
      title,
      'skip',
      `Only SQS destinations are looked up; check the ${service} destination yourself.`,
    );
  try {
    const sqs = await import('@aws-sdk/client-sqs');
    const client = new sqs.SQSClient(config);
    try {
      const { QueueUrl } = await client.send(
        new sqs.GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }),
      );
      const { Attributes } = await client.send(
        new sqs.GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['FifoQueue', 'QueueArn'] }),
      );
      if (Attributes?.FifoQueue === 'true')
        return check(
          'destination',
          title,
          'fail',
          'It is a FIFO queue: Lambda cannot deliver failure records to it. Use a standard queue.',
        );
      return check('destination', title, 'ok', 'A standard SQS queue.');
    } finally {
      client.destroy();
    }
  } catch (error) {
    if (missing(error))
      return check(
        'destination',
        title,
        'fail',
        `The queue ${name} does not exist: create it (a standard queue).`,
      );
    return check('destination', title, 'fail', `Looking up the queue failed: ${describeError(error)}`);
  }
}

async function scheduleCheck(
  clients: LambdaDeployClients,
  expected: Record<string, unknown>,
): Promise<DoctorCheck> {
  const name = String(expected.Name);
  const title = `schedule ${name}`;
  try {
    const out = await clients.scheduler.send(
      new GetScheduleCommand({ Name: name, GroupName: String(expected.GroupName) }),
    );
    const { ScheduleExpression, ScheduleExpressionTimezone, State, FlexibleTimeWindow, Target } = expected;
    const drift = driftOf(
      { ScheduleExpression, ScheduleExpressionTimezone, State, FlexibleTimeWindow, Target },
      out,
    );
    return driftCheck('schedule', title, drift, 'The schedule');
  } catch (error) {
    if (missing(error))
      return check(
        'schedule',
        title,
        'fail',
        `The schedule ${name} does not exist: run \`windowed deploy\`.`,
      );
    return check('schedule', title, 'fail', `GetSchedule failed: ${describeError(error)}`);
  }
}

async function ruleCheck(
  clients: LambdaDeployClients,
  expected: Record<string, unknown>,
  functionArn: string,
): Promise<DoctorCheck> {
  const name = String(expected.Name);
  const title = `rule ${name}`;
  try {
    const out = await clients.eventBridge.send(new DescribeRuleCommand({ Name: name }));
    const drift = driftOf({ ScheduleExpression: expected.ScheduleExpression, State: expected.State }, out);
    const targets = await clients.eventBridge.send(new ListTargetsByRuleCommand({ Rule: name }));
    if (!targets.Targets?.some((t) => t.Arn === functionArn))
      drift.push({
        field: 'Targets',
        expected: functionArn,
        actual: targets.Targets?.map((t) => t.Arn) ?? [],
      });
    return driftCheck('schedule', title, drift, 'The rule');
  } catch (error) {
    if (missing(error))
      return check('schedule', title, 'fail', `The rule ${name} does not exist: run \`windowed deploy\`.`);
    return check('schedule', title, 'fail', `DescribeRule failed: ${describeError(error)}`);
  }
}

/** Each role grants what `windowed policy` lists, by IAM's own policy simulation. */
async function roleChecks(
  clients: LambdaDeployClients,
  policies: PolicySet,
  arns: Record<string, string | undefined>,
): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  for (const [name, role] of Object.entries(policies.roles)) {
    const roleArn = role.arn ?? arns[name];
    const title = `${name} role grants what \`windowed policy\` lists`;
    if (!roleArn) {
      out.push(check(`role:${name}`, title, 'skip', 'No role ARN is known.'));
      continue;
    }
    try {
      const denied: string[] = [];
      for (const grant of role.actions) {
        const result = await clients.iam.send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: roleArn,
            ActionNames: [grant.action],
            ResourceArns: [grant.resource],
          }),
        );
        if (result.EvaluationResults?.[0]?.EvalDecision !== 'allowed')
          denied.push(`${grant.action} on ${grant.resource}`);
      }
      out.push(
        denied.length
          ? check(
              `role:${name}`,
              title,
              'fail',
              `${roleArn} does not allow ${denied.join(', ')}: add them (see \`windowed policy\`).`,
            )
          : check(`role:${name}`, title, 'ok', `${roleArn} allows all ${role.actions.length} action(s).`),
      );
    } catch (error) {
      out.push(
        check(
          `role:${name}`,
          title,
          'fail',
          missing(error)
            ? `${roleArn} does not exist.`
            : `SimulatePrincipalPolicy failed: ${describeError(error)} (the caller needs iam:SimulatePrincipalPolicy).`,
        ),
      );
    }
  }
  return out;
}

async function logGroupsCheck(
  config: { region: string; endpoint?: string },
  options: LambdaDeployOptions,
): Promise<DoctorCheck> {
  const title = "the source's log groups exist";
  const source = sourceOfEnvironment(options.environment);
  if (source?.type !== 'cloudwatch')
    return check('logs', title, 'skip', 'The source is not CloudWatch Logs.');
  const groups = (source.logGroupNames as string[] | undefined) ?? [];
  const client = new CloudWatchLogsClient({
    ...config,
    ...(typeof source.region === 'string' ? { region: source.region } : {}),
  });
  try {
    const absent: string[] = [];
    for (const group of groups) {
      const out = await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: group }));
      if (!out.logGroups?.some((g) => g.logGroupName === group)) absent.push(group);
    }
    return absent.length
      ? check(
          'logs',
          title,
          'fail',
          `No log group ${absent.join(', ')}: the source would find nothing. Check logGroupNames and the region.`,
        )
      : check('logs', title, 'ok', `${groups.join(', ')}.`);
  } catch (error) {
    return check('logs', title, 'fail', `DescribeLogGroups failed: ${describeError(error)}`);
  } finally {
    client.destroy();
  }
}
