import type { CodeArtifact, DeploymentPlan, WindowedJob } from '@windowed/core';
import {
  type LambdaDeployOptions,
  type LambdaDeployOptionsInput,
  lambdaIdentity,
  resolveLambdaDeployOptions,
} from './options.js';
import { lambdaPolicies } from './policy.js';
import { deriveSchedule } from './schedule.js';

/** What exists already, as `discoverLambdaState` finds it. */
export interface LambdaDeployState {
  functionExists: boolean;
  /** The deployed package's `CodeSha256` (base64), to skip re-uploading identical code. */
  codeSha256?: string;
  scheduleExists: boolean;
  /** Rule path: the function already allows the rule to invoke it. */
  permissionExists?: boolean;
  /** The roles `role: { create: true }` manages, by ARN: whether each exists. */
  roles?: Record<string, boolean>;
}

export type WaiterName = 'FunctionActiveV2' | 'FunctionUpdatedV2';

export interface LambdaPlanStep {
  /** The API operation (`CreateFunction`, `CreateSchedule`, ...). */
  api: string;
  /** Exactly the request that operation receives; code bytes appear as `{ bytes, sha256 }`. */
  input: Record<string, unknown>;
  /** The SDK waiter to run after this step before the next one (`waitUntil<name>`). */
  waitUntil?: WaiterName;
}

export interface LambdaDeploymentPlan extends DeploymentPlan<LambdaPlanStep> {
  target: 'aws';
  region: string;
  functionName: string;
  functionArn: string;
}

export interface LambdaPlanContext {
  /** The bundled package (see `bundleLambdaHandler`). */
  code?: CodeArtifact;
  /** What exists; without it the plan assumes nothing does (dry run). */
  state?: LambdaDeployState;
}

/** The name of the statement that lets the rule invoke the function. */
export const permissionStatementId = (rule: string) => `windowed-${rule}`.slice(0, 100);

/**
 * The steps that make AWS match the job: function (create, or update code + configuration),
 * its async-invocation config with the failure destination, then the schedule. Pure: the same
 * job, options and state always give the same plan.
 *
 * @example
 * const plan = planLambdaDeployment(job, { region: 'us-east-1', roleArn, schedule: { roleArn: schedulerRole },
 *   onFailure: { destination: 'arn:aws:sqs:us-east-1:123456789012:windowed-failures' } }, { code: bundle });
 */
export function planLambdaDeployment(
  job: Pick<WindowedJob, 'name' | 'windowSpec'>,
  input: LambdaDeployOptionsInput | LambdaDeployOptions,
  context: LambdaPlanContext = {},
): LambdaDeploymentPlan {
  const options = resolveLambdaDeployOptions(input);
  const notes: string[] = [];
  const dryRun = context.state === undefined;
  const state: LambdaDeployState = context.state ?? {
    functionExists: false,
    scheduleExists: false,
    permissionExists: false,
  };
  if (dryRun)
    notes.push(
      'Dry run: nothing was looked up in AWS; the plan assumes no resource exists yet (a real deploy updates what does).',
    );

  const identity = lambdaIdentity(options, job);
  const { partition, accountId, functionName, functionArn } = identity;
  const code = context.code ?? null;
  const zip = code ? { bytes: code.bytes, sha256: code.sha256 } : { bytes: null, sha256: null };
  if (!code) notes.push('No code was bundled (no entry): the plan cannot be applied as is.');

  const environment = {
    Variables: {
      ...options.environment,
      // The handler reads this: a ledger row `running` for longer than the function can run is a dead invocation.
      WINDOWED_FUNCTION_TIMEOUT_MS: String(options.timeout * 1000),
    },
  };
  const configuration = {
    Role: identity.executionRoleArn,
    Runtime: options.runtime,
    Handler: options.handler,
    Description: options.description ?? `windowed job ${job.name}`,
    Timeout: options.timeout,
    MemorySize: options.memorySize,
    Environment: environment,
  };

  const steps: LambdaPlanStep[] = roleSteps(job, options, state);
  if (!state.functionExists) {
    steps.push({
      api: 'CreateFunction',
      input: {
        FunctionName: functionName,
        ...configuration,
        Code: { ZipFile: zip },
        Architectures: [options.architecture],
        PackageType: 'Zip',
      },
      waitUntil: 'FunctionActiveV2',
    });
  } else {
    if (code && state.codeSha256 === hexToBase64(code.sha256)) {
      notes.push('The deployed code is identical (same SHA-256): UpdateFunctionCode is skipped.');
    } else {
      steps.push({
        api: 'UpdateFunctionCode',
        input: { FunctionName: functionName, ZipFile: zip, Architectures: [options.architecture] },
        waitUntil: 'FunctionUpdatedV2',
      });
    }
    steps.push({
      api: 'UpdateFunctionConfiguration',
      input: { FunctionName: functionName, ...configuration },
      waitUntil: 'FunctionUpdatedV2',
    });
  }

  steps.push({
    api: 'PutFunctionEventInvokeConfig',
    input: {
      FunctionName: functionName,
      MaximumRetryAttempts: options.onFailure.maximumRetryAttempts,
      MaximumEventAgeInSeconds: options.onFailure.maximumEventAgeInSeconds,
      DestinationConfig: { OnFailure: { Destination: options.onFailure.destination } },
    },
  });

  const schedule = options.schedule;
  const scheduleName = identity.scheduleName;
  const derived = deriveSchedule(job.windowSpec, schedule.type);
  if (job.windowSpec.delayMs % 60_000 !== 0) {
    notes.push(
      `The delay (${job.windowSpec.delayMs / 1000}s) is rounded up to ${derived.fireAfterMinutes} min: schedules have minute precision.`,
    );
  }
  if (schedule.type === 'scheduler') {
    steps.push({
      api: state.scheduleExists ? 'UpdateSchedule' : 'CreateSchedule',
      input: {
        Name: scheduleName,
        GroupName: schedule.groupName,
        ScheduleExpression: derived.expression,
        ScheduleExpressionTimezone: derived.timeZone,
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: schedule.state,
        Description: derived.description,
        Target: {
          Arn: functionArn,
          RoleArn: identity.schedulerRoleArn,
          // Scheduler substitutes these per invocation; the window comes from the scheduled time.
          Input: JSON.stringify({
            source: 'aws.scheduler',
            scheduledTime: '<aws.scheduler.scheduled-time>',
            executionId: '<aws.scheduler.execution-id>',
            attemptNumber: '<aws.scheduler.attempt-number>',
            scheduleArn: '<aws.scheduler.schedule-arn>',
          }),
          RetryPolicy: {
            MaximumRetryAttempts: schedule.retryPolicy.maximumRetryAttempts,
            MaximumEventAgeInSeconds: schedule.retryPolicy.maximumEventAgeInSeconds,
          },
          ...(schedule.deadLetterArn ? { DeadLetterConfig: { Arn: schedule.deadLetterArn } } : {}),
        },
      },
    });
  } else {
    const ruleArn = `arn:${partition}:events:${options.region}:${accountId}:rule/${scheduleName}`;
    notes.push('EventBridge rules are the legacy scheduling path; they read cron in UTC.');
    steps.push({
      api: 'PutRule',
      input: {
        Name: scheduleName,
        ScheduleExpression: derived.expression,
        State: schedule.state,
        Description: derived.description,
      },
    });
    if (!state.permissionExists) {
      steps.push({
        api: 'AddPermission',
        input: {
          FunctionName: functionName,
          StatementId: permissionStatementId(scheduleName),
          Action: 'lambda:InvokeFunction',
          Principal: 'events.amazonaws.com',
          SourceArn: ruleArn,
        },
      });
    }
    steps.push({
      api: 'PutTargets',
      input: { Rule: scheduleName, Targets: [{ Id: 'windowed', Arn: functionArn }] },
    });
  }

  return { target: 'aws', region: options.region, functionName, functionArn, dryRun, notes, code, steps };
}

export function hexToBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}

/** The inline policy `role: { create: true }` puts on each role it creates. */
export const ROLE_POLICY_NAME = 'windowed';

/**
 * With `role: { create: true }`: each role created if missing (its trust policy updated if it
 * exists), then its inline policy put — both idempotent, and before the function that needs them.
 */
function roleSteps(
  job: Pick<WindowedJob, 'name' | 'windowSpec'>,
  options: LambdaDeployOptions,
  state: LambdaDeployState,
): LambdaPlanStep[] {
  const identity = lambdaIdentity(options, job);
  const policies = lambdaPolicies(options, job);
  const steps: LambdaPlanStep[] = [];
  for (const [key, arn] of Object.entries(identity.created)) {
    const role = policies.roles[key];
    if (!arn || !role?.trust) continue;
    const RoleName = arn.slice(arn.lastIndexOf('/') + 1);
    const trust = JSON.stringify(role.trust);
    steps.push(
      state.roles?.[arn]
        ? { api: 'UpdateAssumeRolePolicy', input: { RoleName, PolicyDocument: trust } }
        : {
            api: 'CreateRole',
            input: { RoleName, AssumeRolePolicyDocument: trust, Description: role.description },
          },
      {
        api: 'PutRolePolicy',
        input: { RoleName, PolicyName: ROLE_POLICY_NAME, PolicyDocument: JSON.stringify(role.policy) },
      },
    );
  }
  return steps;
}
