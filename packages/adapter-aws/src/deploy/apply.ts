import { createHash } from 'node:crypto';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateRoleCommand,
  GetRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  GetFunctionCommand,
  GetPolicyCommand,
  LambdaClient,
  PutFunctionEventInvokeConfigCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import {
  CreateScheduleCommand,
  GetScheduleCommand,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { WindowedError } from '@windowed/core';
import { isMissingCredentials, missingCredentials } from '../credentials.js';
import {
  type LambdaDeployOptions,
  type LambdaDeployOptionsInput,
  lambdaIdentity,
  resolveLambdaDeployOptions,
} from './options.js';
import {
  type LambdaDeploymentPlan,
  type LambdaDeployState,
  type LambdaPlanStep,
  permissionStatementId,
  type WaiterName,
} from './plan.js';

export interface LambdaDeployClients {
  lambda: LambdaClient;
  scheduler: SchedulerClient;
  eventBridge: EventBridgeClient;
  /** For `role: { create: true }`. */
  iam: IAMClient;
}

export interface ClientSettings {
  region: string;
  /** Another endpoint (tests, VPC endpoints). */
  endpoint?: string;
  /** Default: the SDK's credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export function createLambdaDeployClients(settings: ClientSettings): LambdaDeployClients {
  const config = {
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
  };
  return {
    lambda: new LambdaClient(config),
    scheduler: new SchedulerClient(config),
    eventBridge: new EventBridgeClient(config),
    iam: new IAMClient(config),
  };
}

export function destroyLambdaDeployClients(clients: LambdaDeployClients): void {
  clients.lambda.destroy();
  clients.scheduler.destroy();
  clients.eventBridge.destroy();
  clients.iam.destroy();
}

/** Asks AWS what exists, for `planLambdaDeployment` to choose create or update. */
export async function discoverLambdaState(
  clients: LambdaDeployClients,
  input: LambdaDeployOptionsInput | LambdaDeployOptions,
  job: { name: string },
): Promise<LambdaDeployState> {
  const options = resolveLambdaDeployOptions(input);
  const { functionName, scheduleName, created } = lambdaIdentity(options, job);
  const fn = await absentIfNotFound(
    () => clients.lambda.send(new GetFunctionCommand({ FunctionName: functionName })),
    'GetFunction',
  );
  const state: LambdaDeployState = {
    functionExists: fn !== undefined,
    ...(fn?.Configuration?.CodeSha256 ? { codeSha256: fn.Configuration.CodeSha256 } : {}),
    scheduleExists: false,
  };
  const roles = Object.values(created).filter((arn): arn is string => Boolean(arn));
  if (roles.length) {
    state.roles = {};
    for (const arn of roles) {
      const found = await absentIfNotFound(
        () => clients.iam.send(new GetRoleCommand({ RoleName: arn.slice(arn.lastIndexOf('/') + 1) })),
        'GetRole',
      );
      state.roles[arn] = found !== undefined;
    }
  }
  if (options.schedule.type === 'scheduler') {
    const schedule = await absentIfNotFound(
      () =>
        clients.scheduler.send(
          new GetScheduleCommand({ Name: scheduleName, GroupName: options.schedule.groupName }),
        ),
      'GetSchedule',
    );
    state.scheduleExists = schedule !== undefined;
  } else if (fn) {
    const policy = await absentIfNotFound(
      () => clients.lambda.send(new GetPolicyCommand({ FunctionName: functionName })),
      'GetPolicy',
    );
    const statements = policy?.Policy
      ? ((JSON.parse(policy.Policy) as { Statement?: Array<{ Sid?: string }> }).Statement ?? [])
      : [];
    state.permissionExists = statements.some((s) => s.Sid === permissionStatementId(scheduleName));
  }
  return state;
}

export interface LambdaApplyOptions {
  /** The zipped package the plan's `code` describes. */
  zip?: Uint8Array;
  /** Waiter timing in seconds (SDK defaults are for real AWS). */
  waiter?: { minDelay?: number; maxDelay?: number; maxWaitTime?: number };
  onStep?: (step: LambdaPlanStep, index: number) => void;
}

export interface LambdaApplyResult {
  functionArn: string;
  /** Operations called, in order (waiters included as `waitUntil<Name>`). */
  calls: string[];
}

/**
 * Applies a plan with the official SDK clients, step by step, waiting for Lambda to settle where
 * the plan says so (the next change would otherwise fail with ResourceConflictException).
 */
export async function applyLambdaDeployment(
  plan: LambdaDeploymentPlan,
  clients: LambdaDeployClients,
  options: LambdaApplyOptions = {},
): Promise<LambdaApplyResult> {
  const needsCode = plan.steps.some((s) => s.api === 'CreateFunction' || s.api === 'UpdateFunctionCode');
  if (needsCode) {
    if (!plan.code || !options.zip)
      throw new WindowedError(
        'DEPLOY_FAILED',
        'The plan uploads code but no package was given; bundle the handler first.',
      );
    const sha256 = createHash('sha256').update(options.zip).digest('hex');
    if (sha256 !== plan.code.sha256) {
      throw new WindowedError(
        'DEPLOY_FAILED',
        `The package (sha256 ${sha256}) is not the one the plan was made for (${plan.code.sha256}).`,
      );
    }
  }
  const calls: string[] = [];
  const newRoles = plan.steps.some((s) => s.api === 'CreateRole');
  for (const [index, step] of plan.steps.entries()) {
    options.onStep?.(step, index);
    await run(step, clients, options.zip, newRoles);
    calls.push(step.api);
    if (step.waitUntil) {
      await wait(step.waitUntil, clients.lambda, String(step.input.FunctionName), options.waiter);
      calls.push(`waitUntil${step.waitUntil}`);
    }
  }
  return { functionArn: plan.functionArn, calls };
}

async function run(
  step: LambdaPlanStep,
  clients: LambdaDeployClients,
  zip: Uint8Array | undefined,
  newRoles: boolean,
): Promise<void> {
  const input = step.input as never;
  try {
    switch (step.api) {
      case 'CreateFunction':
        await whileRoleIsNew(newRoles, () =>
          clients.lambda.send(
            new CreateFunctionCommand({ ...(step.input as object), Code: { ZipFile: zip } } as never),
          ),
        );
        return;
      case 'CreateRole':
        await clients.iam.send(new CreateRoleCommand(input));
        return;
      case 'UpdateAssumeRolePolicy':
        await clients.iam.send(new UpdateAssumeRolePolicyCommand(input));
        return;
      case 'PutRolePolicy':
        await clients.iam.send(new PutRolePolicyCommand(input));
        return;
      case 'UpdateFunctionCode':
        await clients.lambda.send(
          new UpdateFunctionCodeCommand({ ...(step.input as object), ZipFile: zip } as never),
        );
        return;
      case 'UpdateFunctionConfiguration':
        await whileRoleIsNew(newRoles, () =>
          clients.lambda.send(new UpdateFunctionConfigurationCommand(input)),
        );
        return;
      case 'PutFunctionEventInvokeConfig':
        await clients.lambda.send(new PutFunctionEventInvokeConfigCommand(input));
        return;
      case 'CreateSchedule':
        await clients.scheduler.send(new CreateScheduleCommand(input));
        return;
      case 'UpdateSchedule':
        await clients.scheduler.send(new UpdateScheduleCommand(input));
        return;
      case 'PutRule':
        await clients.eventBridge.send(new PutRuleCommand(input));
        return;
      case 'AddPermission':
        try {
          await clients.lambda.send(new AddPermissionCommand(input));
        } catch (error) {
          // Added by a concurrent deploy since discovery: the permission is what we wanted.
          if ((error as Error)?.name !== 'ResourceConflictException') throw error;
        }
        return;
      case 'PutTargets': {
        // A target EventBridge cannot add is reported in the response, not thrown.
        const output = await clients.eventBridge.send(new PutTargetsCommand(input));
        if (output.FailedEntryCount) {
          const entries = (output.FailedEntries ?? [])
            .map((e) => `${e.TargetId}: ${e.ErrorCode} ${e.ErrorMessage}`)
            .join('; ');
          throw new WindowedError(
            'DEPLOY_FAILED',
            `PutTargets failed for ${output.FailedEntryCount} target(s): ${entries}`,
          );
        }
        return;
      }
    }
  } catch (error) {
    if (error instanceof WindowedError) throw error;
    const name = (error as Error)?.name ?? 'Error';
    throw new WindowedError(
      'DEPLOY_FAILED',
      `${step.api} failed: ${name}: ${(error as Error)?.message ?? String(error)}`,
      { cause: error },
    );
  }
  throw new WindowedError('DEPLOY_FAILED', `Unknown plan step ${JSON.stringify(step.api)}.`);
}

/**
 * IAM is eventually consistent: a role created a moment ago may not yet be assumable by Lambda
 * ("The role defined for the function cannot be assumed by Lambda"), so that one refusal is
 * retried for up to a minute when this deploy created the role. https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency
 */
async function whileRoleIsNew<T>(newRoles: boolean, call: () => Promise<T>, attempts = 12): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const pending = /cannot be assumed by Lambda/.test(String((error as Error)?.message));
      if (!newRoles || !pending || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    }
  }
}

async function wait(
  name: WaiterName,
  client: LambdaClient,
  functionName: string,
  timing: LambdaApplyOptions['waiter'] = {},
): Promise<void> {
  const params = {
    client,
    maxWaitTime: timing.maxWaitTime ?? 300,
    minDelay: timing.minDelay ?? 1,
    maxDelay: timing.maxDelay ?? 10,
  };
  try {
    if (name === 'FunctionActiveV2') await waitUntilFunctionActiveV2(params, { FunctionName: functionName });
    else await waitUntilFunctionUpdatedV2(params, { FunctionName: functionName });
  } catch (error) {
    throw new WindowedError(
      'DEPLOY_FAILED',
      `Waiting for ${functionName} (${name}) failed: ${(error as Error)?.message ?? String(error)}`,
      {
        cause: error,
      },
    );
  }
}

async function absentIfNotFound<T>(call: () => Promise<T>, api: string): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    const name = (error as Error)?.name;
    if (name === 'ResourceNotFoundException' || name === 'NoSuchEntityException') return undefined;
    if (isMissingCredentials(error)) throw missingCredentials('Deploying to AWS Lambda', error, true);
    throw new WindowedError(
      'DEPLOY_FAILED',
      `${api} failed: ${(error as Error)?.name}: ${(error as Error)?.message}`,
      { cause: error },
    );
  }
}
