import type { WindowedJob } from '@windowed/core';
import {
  applyFcDeployment,
  attachCode,
  createFcClient,
  discoverFcState,
  type FcApplyResult,
  type FcClientLike,
  type FcClientOptions,
} from './apply.js';
import { buildFcCode, type FcCodePackage } from './bundle.js';
import { type FcDeployOptions, resolveFcDeployOptions } from './options.js';
import { EMPTY_FC_STATE, type FcDeploymentPlan, type FcState, planFcSteps } from './plan.js';

export interface PlanFcDeploymentContext {
  /** Ask FC what exists (create vs update). Without a client or state: a dry run, planned as if nothing exists. */
  client?: FcClientLike;
  /** Known state instead of asking FC. */
  state?: FcState;
  /** A code package already built (else it is built from `options.entry`). */
  code?: FcCodePackage;
  /** Where `entry` is resolved from. Default `process.cwd()`. */
  cwd?: string;
}

/**
 * The deployment plan: `{ target: 'aliyun', state, notes, code: { bytes, sha256 }, steps }`.
 * Validates the options (`INVALID_CONFIG`), builds the code package, and decides create vs
 * update from `context.client` (or `context.state`). `JSON.stringify(plan)` is what
 * `windowed deploy --dry-run --json` prints; the zip travels with the plan, outside its JSON.
 */
export async function planFcDeployment(
  job: Pick<WindowedJob, 'name' | 'windowSpec'>,
  options: FcDeployOptions,
  context: PlanFcDeploymentContext = {},
): Promise<FcDeploymentPlan> {
  const resolved = resolveFcDeployOptions(options, job.name);
  const code =
    context.code ??
    (await buildFcCode({
      entry: resolved.entry,
      nodeMajor: Number(resolved.runtime.slice('nodejs'.length)),
      ...(context.cwd ? { cwd: context.cwd } : {}),
    }));
  const discovered =
    context.state ?? (context.client ? await discoverFcState(context.client, resolved) : undefined);
  const plan = planFcSteps(job, resolved, discovered ?? EMPTY_FC_STATE, code, discovered === undefined);
  return attachCode(plan, code);
}

export interface DeployFcResult {
  plan: FcDeploymentPlan;
  result: FcApplyResult;
  /** Bytes of the uploaded zip. */
  codeSize: number;
}

/** Discover, plan and apply: a second deploy updates what the first created. */
export async function deployFc(
  job: Pick<WindowedJob, 'name' | 'windowSpec'>,
  options: FcDeployOptions,
  context: {
    client?: FcClientLike;
    clientOptions?: Omit<FcClientOptions, 'accountId' | 'region'>;
    cwd?: string;
  } = {},
): Promise<DeployFcResult> {
  const resolved = resolveFcDeployOptions(options, job.name);
  const client =
    context.client ??
    (await createFcClient({
      accountId: resolved.accountId,
      region: resolved.region,
      ...context.clientOptions,
    }));
  const plan = await planFcDeployment(job, options, { client, ...(context.cwd ? { cwd: context.cwd } : {}) });
  const result = await applyFcDeployment(plan, { client });
  return { plan, result, codeSize: result.code.bytes };
}

export {
  applyFcDeployment,
  createFcClient,
  discoverFcState,
  type FcApplyResult,
  type FcClientLike,
  type FcClientOptions,
} from './apply.js';
export { buildFcCode, FC_EXTERNALS, type FcBundleOptions, type FcCodePackage } from './bundle.js';
export { fcCronExpression } from './cron.js';
export {
  FC_NODE_RUNTIMES,
  type FcDeployOptions,
  fcDeployOptionsSchema,
  type ResolvedFcDeployOptions,
  resolveFcDeployOptions,
} from './options.js';
export {
  EMPTY_FC_STATE,
  type FcDeploymentPlan,
  type FcOperation,
  type FcPlanStep,
  type FcState,
  planFcSteps,
} from './plan.js';
