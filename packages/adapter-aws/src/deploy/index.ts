import { WindowedError, type WindowedJob } from '@windowed/core';
import {
  type ApplyOptions,
  type ApplyResult,
  applyLambdaDeployment,
  type ClientSettings,
  createLambdaDeployClients,
  destroyLambdaDeployClients,
  discoverLambdaState,
  type LambdaDeployClients,
} from './apply.js';
import { bundleLambdaHandler, type LambdaBundle } from './bundle.js';
import { type LambdaDeployOptionsInput, resolveLambdaDeployOptions } from './options.js';
import { type LambdaDeploymentPlan, planLambdaDeployment } from './plan.js';

export {
  type ApplyOptions,
  type ApplyResult,
  applyLambdaDeployment,
  type ClientSettings,
  createLambdaDeployClients,
  destroyLambdaDeployClients,
  discoverLambdaState,
  type LambdaDeployClients,
} from './apply.js';
export {
  BUNDLE_EXTERNALS,
  bundleLambdaHandler,
  type LambdaBundle,
  type LambdaBundleOptions,
} from './bundle.js';
export {
  type LambdaDeployOptions,
  type LambdaDeployOptionsInput,
  lambdaDeployOptionsSchema,
  resolveLambdaDeployOptions,
} from './options.js';
export {
  type CodeArtifact,
  type LambdaDeploymentPlan,
  type LambdaDeployState,
  type PlanContext,
  type PlanStep,
  planLambdaDeployment,
  type WaiterName,
} from './plan.js';
export { type DerivedSchedule, deriveSchedule } from './schedule.js';

export interface DeployLambdaOptions {
  /** Plan only, as if nothing existed; no AWS call, no credentials needed. */
  dryRun?: boolean;
  /** Clients to use (tests); default: created from the options' region and `clientSettings`. */
  clients?: LambdaDeployClients;
  clientSettings?: Omit<ClientSettings, 'region'>;
  /** A package bundled already; default: bundle `options.entry`. */
  bundle?: LambdaBundle;
  waiter?: ApplyOptions['waiter'];
  onStep?: ApplyOptions['onStep'];
}

export interface DeployLambdaResult {
  plan: LambdaDeploymentPlan;
  /** The deployment package's size and hash (the CLI prints the size). */
  bundle: { bytes: number; unzippedBytes: number; sha256: string };
  /** What was applied; absent on a dry run. */
  applied?: ApplyResult;
}

/**
 * Bundles, plans and (unless `dryRun`) applies: discover what exists, then create or update.
 * Running it twice leaves one function, one schedule and one event-invoke config.
 */
export async function deployLambda(
  job: Pick<WindowedJob, 'name' | 'windowSpec'>,
  input: LambdaDeployOptionsInput,
  options: DeployLambdaOptions = {},
): Promise<DeployLambdaResult> {
  const resolved = resolveLambdaDeployOptions(input);
  const bundle = options.bundle ?? (await bundleEntry(resolved.entry, resolved.runtime));
  const summary = { bytes: bundle.bytes, unzippedBytes: bundle.unzippedBytes, sha256: bundle.sha256 };
  const code = { bytes: bundle.bytes, sha256: bundle.sha256 };
  if (options.dryRun) return { plan: planLambdaDeployment(job, resolved, { code }), bundle: summary };
  const clients =
    options.clients ?? createLambdaDeployClients({ region: resolved.region, ...options.clientSettings });
  try {
    const state = await discoverLambdaState(clients, resolved, job);
    const plan = planLambdaDeployment(job, resolved, { code, state });
    const applied = await applyLambdaDeployment(plan, clients, {
      zip: bundle.zip,
      ...(options.waiter ? { waiter: options.waiter } : {}),
      ...(options.onStep ? { onStep: options.onStep } : {}),
    });
    return { plan, bundle: summary, applied };
  } finally {
    if (!options.clients) destroyLambdaDeployClients(clients);
  }
}

async function bundleEntry(entry: string | undefined, runtime: string): Promise<LambdaBundle> {
  if (!entry) {
    throw new WindowedError(
      'INVALID_CONFIG',
      'Deploying needs the handler module to bundle: set "entry" (e.g. "src/handler.ts").',
    );
  }
  return bundleLambdaHandler({ entry, runtime });
}
