import { type DeployInput, type DeployResult, functionDrivers } from '@windowed/core';
import { applyFcDeployment, discoverFcState, type FcApplyOptions } from './apply.js';
import { buildFcCode, type FcCodePackage } from './bundle.js';
import { createFcApi, type FcApi, type FcClientLike, type FcClientOptions, fc2Api } from './fc-api.js';
import { type FcDeployOptions, fcRoleToCreate, resolveFcDeployOptions } from './options.js';
import { type FcDeploymentPlan, planFcDeployment } from './plan.js';
import { createRamApi, type RamApi, ramPolicyName } from './ram.js';

export interface DeployFcOptions {
  /** Plan only, as if nothing existed; no FC call, no credentials needed. */
  dryRun?: boolean;
  /** Plan against what exists, apply nothing (`windowed plan`). */
  planOnly?: boolean;
  /** An `@alicloud/fc2` client to use (FC 2.0, tests). */
  client?: FcClientLike;
  /** The API to use (either version); default: created for `fcVersion` from the options and `clientOptions`. */
  api?: FcApi;
  clientOptions?: Omit<FcClientOptions, 'accountId' | 'region'>;
  /** A package built already; default: bundle `options.entry`. */
  bundle?: FcCodePackage;
  /** Where `entry` resolves from. Default `process.cwd()`. */
  cwd?: string;
  onStep?: FcApplyOptions['onStep'];
  /** RAM for `role: { create: true }` (tests); default: created with `clientOptions`' keys and `ramEndpoint`. */
  ram?: RamApi;
  /** Another RAM endpoint than ram.aliyuncs.com. */
  ramEndpoint?: string;
}

export type DeployFcResult = DeployResult<FcDeploymentPlan>;

/**
 * Bundles, plans and (unless `dryRun` or `planOnly`) applies: discover what exists, then create or
 * update. A second deploy updates what the first created.
 */
export async function deployFc(
  job: DeployInput['job'],
  input: FcDeployOptions,
  options: DeployFcOptions = {},
): Promise<DeployFcResult> {
  const resolved = resolveFcDeployOptions(input, job.name);
  const bundle =
    options.bundle ??
    (await buildFcCode({
      entry: resolved.entry,
      nodeMajor: Number(resolved.runtime.slice('nodejs'.length)),
      drivers: functionDrivers(resolved.environmentVariables, job.specResources),
      ...(options.cwd ? { cwd: options.cwd } : {}),
    }));
  const summary = { bytes: bundle.bytes, unzippedBytes: bundle.unzippedBytes, sha256: bundle.sha256 };
  const code = { bytes: bundle.bytes, sha256: bundle.sha256 };
  if (options.dryRun) return { plan: planFcDeployment(job, resolved, { code }), bundle: summary };
  const api =
    options.api ??
    (options.client ? fc2Api(options.client, resolved) : await createFcApi(resolved, options.clientOptions));
  const state = await discoverFcState(api, resolved);
  const roleName = fcRoleToCreate(resolved);
  let ram = options.ram;
  if (roleName) {
    const { endpoint: _fc, ...keys } = options.clientOptions ?? {};
    ram ??= await createRamApi({
      ...keys,
      ...(options.ramEndpoint ? { endpoint: options.ramEndpoint } : {}),
    });
    state.ram = await ram.discover(roleName, ramPolicyName(roleName));
  }
  const plan = planFcDeployment(job, resolved, { code, state });
  if (options.planOnly) return { plan, bundle: summary };
  const applied = await applyFcDeployment(plan, api, {
    zip: bundle.zip,
    ...(ram ? { ram } : {}),
    ...(options.onStep ? { onStep: options.onStep } : {}),
  });
  return { plan, bundle: summary, applied: applied.calls };
}
