import type { DeployInput, Platform, WindowedJob } from '@windowed/core';
import { type CliContext, loadProject } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { loadPlatform, platformName } from '../platforms.js';

export interface DeployTarget {
  platform: Platform;
  /** The job bound to the target's resources (what `doctor --sink` connects with). */
  job: WindowedJob;
  /** The job, the target's deploy options and resources: what every deploy-time command hands the platform. */
  input: DeployInput;
  close(): Promise<void>;
}

/** Loads the config's cloud target named by `--target` and its platform. */
export async function loadDeployTarget(
  ctx: CliContext,
  target: string | undefined,
  verb: string,
  options: { fcVersion?: string } = {},
): Promise<DeployTarget> {
  const name = platformName(target, verb);
  const project = await loadProject(ctx, name);
  const cloud = project.config.targets[name];
  if (!cloud?.deploy) {
    await project.job.close();
    throw new CliError(
      `targets.${name} has no "deploy" options.`,
      EXIT.usage,
      `add targets.${name}.deploy to ${project.config.path}`,
    );
  }
  const platform = await loadPlatform(name);
  return {
    platform,
    job: project.job,
    input: {
      job: project.config.job,
      // --fc-version overrides the option of that name; the adapter says whether it has one.
      deploy: { ...cloud.deploy, ...fcVersionOf(options.fcVersion) },
      resources: project.resources,
      cwd: project.config.dir,
    },
    close: () => project.job.close(),
  };
}

/**
 * A check that runs before `plan` and `deploy` build anything (it may add notes or refuse). The
 * static check of `@windowed/eslint-plugin` (no module-scope clock, no wall-clock window) plugs in
 * here; none is registered yet.
 */
export type Preflight = (ctx: CliContext, input: DeployInput) => Promise<void>;

export const PREFLIGHT: Preflight[] = [];

export async function runPreflight(ctx: CliContext, input: DeployInput): Promise<void> {
  for (const check of PREFLIGHT) await check(ctx, input);
}

/** `--fc-version 2|3`. */
export const FC_VERSION_HELP = 'Function Compute API version, 2 or 3 (overrides deploy.fcVersion)';

export function fcVersionOf(value: string | undefined): { fcVersion?: number } {
  if (value === undefined) return {};
  if (value !== '2' && value !== '3')
    throw new CliError(`--fc-version ${JSON.stringify(value)} is not 2 or 3.`, EXIT.usage);
  return { fcVersion: Number(value) };
}
