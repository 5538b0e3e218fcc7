import type { CodeArtifact, DeploymentPlan, WindowedJob } from '@windowed/core';
import { fcCronExpression } from './cron.js';
import {
  type FcDeployOptions,
  fcRoleArn,
  fcRoleToCreate,
  type ResolvedFcDeployOptions,
  resolveFcDeployOptions,
} from './options.js';
import { fcPolicies } from './policy.js';
import { ramPolicyName } from './ram.js';

/**
 * FC API operations a deployment uses (names as in the FC API references): FC 2.0 has services and
 * `PutFunctionAsyncInvokeConfig`; FC 3.0 functions without services and `PutAsyncInvokeConfig`.
 */
export type FcOperation =
  | 'CreateService'
  | 'UpdateService'
  | 'CreateFunction'
  | 'UpdateFunction'
  | 'CreateTrigger'
  | 'UpdateTrigger'
  | 'PutFunctionAsyncInvokeConfig'
  | 'PutAsyncInvokeConfig'
  // RAM (2015-05-01), for role: { create: true }
  | 'CreateRole'
  | 'UpdateRole'
  | 'CreatePolicy'
  | 'CreatePolicyVersion'
  | 'AttachPolicyToRole';

/**
 * One API call: path parameters as named fields, the JSON request body as `body`.
 * Code bytes are shown as `{ bytes, sha256 }`; apply puts the zip there.
 */
export interface FcPlanStep {
  api: FcOperation;
  input: {
    serviceName?: string;
    functionName?: string;
    triggerName?: string;
    qualifier?: string;
    body: Record<string, unknown>;
  };
}

export interface FcDeploymentPlan extends DeploymentPlan<FcPlanStep> {
  target: 'aliyun';
  fcVersion: 2 | 3;
  region: string;
  functionName: string;
}

export interface FcPlanContext {
  /** The code package (see `buildFcCode`). */
  code?: CodeArtifact;
  /** What exists; without it the plan assumes nothing does (dry run). */
  state?: FcState;
}

/** What exists in FC already (from `discoverFcState`). */
export interface FcState {
  service: boolean;
  function: boolean;
  trigger: boolean;
  /** With `role: { create: true }`: whether the role and its policy exist, and the policy is attached. */
  ram?: { role: boolean; policy: boolean; attached: boolean };
}

export const EMPTY_FC_STATE: FcState = Object.freeze({ service: false, function: false, trigger: false });

/**
 * The deployment as FC API calls. Pure: the same job, options, state and code give the same plan.
 * Existing resources are updated, missing ones created, so applying it twice converges.
 */
export function planFcDeployment(
  job: Pick<WindowedJob, 'name' | 'windowSpec'>,
  input: FcDeployOptions | ResolvedFcDeployOptions,
  context: FcPlanContext = {},
): FcDeploymentPlan {
  const options = resolveFcDeployOptions(input, job.name);
  const assumed = context.state === undefined;
  const state = context.state ?? EMPTY_FC_STATE;
  const code = context.code ?? null;
  const serviceName = options.service;
  const functionName = options.functionName;
  const serviceBody = {
    description: `windowed jobs (${job.name})`,
    role: fcRoleArn(options),
    ...(options.logConfig
      ? { logConfig: { project: options.logConfig.project, logstore: options.logConfig.logstore } }
      : {}),
    ...(options.internetAccess !== undefined ? { internetAccess: options.internetAccess } : {}),
  };
  const functionBody = {
    description: options.description ?? `windowed job ${job.name}: ${job.windowSpec.size.label} windows`,
    handler: `index.${options.exportName}`,
    runtime: options.runtime,
    memorySize: options.memorySize,
    timeout: options.timeout,
    environmentVariables: { ...(options.environmentVariables ?? {}) },
    code: { zipFile: code ? { bytes: code.bytes, sha256: code.sha256 } : { bytes: null, sha256: null } },
  };
  const triggerConfig = {
    cronExpression: fcCronExpression(job.windowSpec),
    // FC's TimerTriggerConfig spells it `enable`.
    enable: true,
    ...(options.payload !== undefined ? { payload: options.payload } : {}),
  };
  const fc3 = options.fcVersion === 3;
  const asyncBody = {
    destinationConfig: {
      onFailure: { destination: options.destination },
      ...(options.onSuccess ? { onSuccess: { destination: options.onSuccess } } : {}),
    },
    maxAsyncRetryAttempts: options.maxAsyncRetryAttempts,
    maxAsyncEventAgeInSeconds: options.maxAsyncEventAgeInSeconds,
  };
  // FC 3.0's CreateTrigger takes triggerConfig as a JSON string.
  const timer = fc3 ? JSON.stringify(triggerConfig) : triggerConfig;
  const triggerName = options.triggerName;
  const fcSteps: FcPlanStep[] = fc3
    ? [
        // FC 3.0: no service; the function carries the role and the log config.
        state.function
          ? {
              api: 'UpdateFunction',
              input: { functionName, body: { ...functionBody, ...functionOwn(serviceBody) } },
            }
          : {
              api: 'CreateFunction',
              input: { body: { functionName, ...functionBody, ...functionOwn(serviceBody) } },
            },
        // The failure destination is configured before the timer can fire.
        {
          api: 'PutAsyncInvokeConfig',
          input: { functionName, qualifier: options.qualifier, body: asyncBody },
        },
        state.trigger
          ? { api: 'UpdateTrigger', input: { functionName, triggerName, body: { triggerConfig: timer } } }
          : {
              api: 'CreateTrigger',
              input: { functionName, body: { triggerName, triggerType: 'timer', triggerConfig: timer } },
            },
      ]
    : [
        state.service
          ? { api: 'UpdateService', input: { serviceName, body: serviceBody } }
          : { api: 'CreateService', input: { body: { serviceName, ...serviceBody } } },
        state.function
          ? { api: 'UpdateFunction', input: { serviceName, functionName, body: functionBody } }
          : { api: 'CreateFunction', input: { serviceName, body: { functionName, ...functionBody } } },
        // The failure destination is configured before the timer can fire.
        {
          api: 'PutFunctionAsyncInvokeConfig',
          input: { serviceName, functionName, qualifier: options.qualifier, body: asyncBody },
        },
        state.trigger
          ? {
              api: 'UpdateTrigger',
              input: { serviceName, functionName, triggerName, body: { triggerConfig } },
            }
          : {
              api: 'CreateTrigger',
              input: {
                serviceName,
                functionName,
                body: { triggerName, triggerType: 'timer', triggerConfig },
              },
            },
      ];
  const steps = [...ramSteps(job, options, state), ...fcSteps];
  const notes = [
    `Timer ${triggerConfig.cronExpression} fires ${job.windowSpec.delayMs / 1000}s after each ${job.windowSpec.size.label} window ends.`,
    `Failed invocations are retried ${options.maxAsyncRetryAttempts} time(s), then sent to ${options.destination}.`,
  ];
  if (!code) notes.push('No code was bundled: the plan cannot be applied as is.');
  if (assumed)
    notes.unshift(
      'Dry run without credentials: planned as if nothing exists yet; a real deploy updates what it finds.',
    );
  return {
    target: 'aliyun',
    fcVersion: options.fcVersion,
    region: options.region,
    functionName,
    dryRun: assumed,
    notes,
    code: code && { bytes: code.bytes, sha256: code.sha256 },
    steps,
  };
}

/** What FC 3.0 moved from the service onto the function. */
function functionOwn(service: { role?: string | undefined; logConfig?: unknown; internetAccess?: boolean }) {
  return {
    ...(service.role ? { role: service.role } : {}),
    ...(service.logConfig ? { logConfig: service.logConfig } : {}),
    ...(service.internetAccess !== undefined ? { internetAccess: service.internetAccess } : {}),
  };
}

/**
 * With `role: { create: true }`: the role (trusting fc.aliyuncs.com) and a custom policy holding the
 * documents of `windowed policy`, attached to it — created, or updated in place (a new default
 * policy version), before the function that needs them.
 */
function ramSteps(
  job: Pick<WindowedJob, 'name'>,
  options: ResolvedFcDeployOptions,
  state: FcState,
): FcPlanStep[] {
  const RoleName = fcRoleToCreate(options);
  if (!RoleName) return [];
  const role = fcPolicies(options, job).roles.function!;
  const PolicyName = ramPolicyName(RoleName);
  const trust = JSON.stringify(role.trust);
  const document = JSON.stringify(role.policy);
  const ram = state.ram ?? { role: false, policy: false, attached: false };
  return [
    ram.role
      ? { api: 'UpdateRole', input: { body: { RoleName, NewAssumeRolePolicyDocument: trust } } }
      : {
          api: 'CreateRole',
          input: { body: { RoleName, AssumeRolePolicyDocument: trust, Description: role.description } },
        },
    ram.policy
      ? {
          api: 'CreatePolicyVersion',
          input: {
            body: {
              PolicyName,
              PolicyDocument: document,
              SetAsDefault: true,
              RotateStrategy: 'DeleteOldestNonDefaultVersionWhenLimitExceeded',
            },
          },
        }
      : {
          api: 'CreatePolicy',
          input: { body: { PolicyName, PolicyDocument: document, Description: role.description } },
        },
    ...(ram.attached
      ? []
      : [
          {
            api: 'AttachPolicyToRole' as const,
            input: { body: { PolicyType: 'Custom', PolicyName, RoleName } },
          },
        ]),
  ];
}
