import type { DeployInput, DeployResult } from '@windowed/core';
import { functionDrivers, WindowedError } from '@windowed/core';
import {
  applyLambdaDeployment,
  type ClientSettings,
  createLambdaDeployClients,
  destroyLambdaDeployClients,
  discoverLambdaState,
  type LambdaApplyOptions,
  type LambdaDeployClients,
} from './apply.js';
import { bundleLambdaHandler, type LambdaBundle, type LambdaBundleOptions } from './bundle.js';
import { type LambdaDeployOptionsInput, resolveLambdaDeployOptions } from './options.js';
import { type LambdaDeploymentPlan, planLambdaDeployment } from './plan.js';

export interface DeployLambdaOptions {
  /** Plan only, as if nothing existed; no AWS call, no credentials needed. */
  dryRun?: boolean;
  /** Clients to use (tests); default: created from the options' region and `clientSettings`. */
  clients?: LambdaDeployClients;
  clientSettings?: Omit<ClientSettings, 'region'>;
  /** A package bundled already; default: bundle `options.entry`. */
  bundle?: LambdaBundle;
  /** Where `entry` resolves from. Default `process.cwd()`. */
  cwd?: string;
  waiter?: LambdaApplyOptions['waiter'];
  onStep?: LambdaApplyOptions['onStep'];
  /** Plan, apply nothing (`windowed plan`); with `dryRun` as if nothing existed. A plan without `entry` shows no code. */
  planOnly?: boolean;
}

export type DeployLambdaResult = DeployResult<LambdaDeploymentPlan>;

/**
 * Bundles, plans and (unless `dryRun` or `planOnly`) applies: discover what exists, then create or
 * update. Running it twice leaves one function, one schedule and one event-invoke config.
 */
export async function deployLambda(
  job: DeployInput['job'],
  input: LambdaDeployOptionsInput,
  options: DeployLambdaOptions = {},
): Promise<DeployLambdaResult> {
  const resolved = resolveLambdaDeployOptions(input);
  const applying = !options.dryRun && !options.planOnly;
  // A plan may be shown without code (no entry yet); a deploy, even a dry run, needs it.
  const bundle =
    options.bundle ??
    (resolved.entry || !options.planOnly
      ? await bundleEntry(resolved.entry, {
          runtime: resolved.runtime,
          drivers: functionDrivers(resolved.environment, job.specResources),
          ...(options.cwd ? { cwd: options.cwd } : {}),
        })
      : undefined);
  const summary = bundle && {
    bytes: bundle.bytes,
    unzippedBytes: bundle.unzippedBytes,
    sha256: bundle.sha256,
  };
  const code = bundle && { bytes: bundle.bytes, sha256: bundle.sha256 };
  const withCode = <T extends object>(result: T) => (summary ? { ...result, bundle: summary } : result);
  if (options.dryRun) return withCode({ plan: planLambdaDeployment(job, resolved, code ? { code } : {}) });
  const clients =
    options.clients ?? createLambdaDeployClients({ region: resolved.region, ...options.clientSettings });
  try {
    const state = await discoverLambdaState(clients, resolved, job);
    const plan = planLambdaDeployment(job, resolved, { ...(code ? { code } : {}), state });
    if (!applying || !bundle) return withCode({ plan });
    const applied = await applyLambdaDeployment(plan, clients, {
      zip: bundle.zip,
      ...(options.waiter ? { waiter: options.waiter } : {}),
      ...(options.onStep ? { onStep: options.onStep } : {}),
    });
    return withCode({ plan, applied: applied.calls });
  } finally {
    if (!options.clients) destroyLambdaDeployClients(clients);
  }
}

async function bundleEntry(
  entry: string | undefined,
  options: Omit<LambdaBundleOptions, 'entry'>,
): Promise<LambdaBundle> {
  if (!entry) {
    throw new WindowedError(
      'INVALID_CONFIG',
      'Deploying needs the handler module to bundle: set "entry" (e.g. "src/handler.ts").',
    );
  }
  return bundleLambdaHandler({ entry, ...options });
}
