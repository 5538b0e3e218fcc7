import type { WindowedJob } from '@windowed/core';
import type { TargetResources } from '../config.js';
import { CliError, EXIT } from '../errors.js';

/** The plan JSON of DESIGN.md (`target`, `steps`) plus whatever the adapter adds (notes, code). */
export interface Plan {
  target: 'aliyun' | 'aws';
  steps: Array<{ api: string; input: unknown }>;
  notes?: string[];
  [key: string]: unknown;
}

export interface DeployProvider {
  /** Puts the target's source, sink and state into the function's environment. */
  withResources(deploy: Record<string, unknown>, resources: TargetResources): Record<string, unknown>;
  plan(
    job: WindowedJob,
    options: Record<string, unknown>,
    context: { dryRun: boolean; cwd: string },
  ): Promise<Plan>;
  deploy(
    job: WindowedJob,
    options: Record<string, unknown>,
    context: { cwd: string },
  ): Promise<{ plan: Plan; applied: unknown[] }>;
}

/** What the function reads at runtime (see resolveResources in @windowed/core). */
export function resourceEnvironment(resources: TargetResources): Record<string, string> {
  const env: Record<string, string> = {};
  if (resources.source !== undefined)
    env.WINDOWED_SOURCE =
      typeof resources.source === 'string' ? resources.source : JSON.stringify(resources.source);
  if (resources.sink !== undefined) {
    const sink = resources.sink;
    if (typeof sink === 'string') env.WINDOWED_SINK = sink;
    else if ('url' in sink && typeof sink.url === 'string') {
      env.WINDOWED_SINK = sink.table
        ? `${sink.url}${sink.url.includes('?') ? '&' : '?'}table=${encodeURIComponent(sink.table)}`
        : sink.url;
    } else {
      throw new CliError(
        'A sink object cannot be deployed: the function reads its sink from a URL.',
        EXIT.usage,
        'give the cloud target a sink URL',
      );
    }
  }
  if (resources.state !== undefined) env.WINDOWED_STATE = resources.state;
  return env;
}

export async function loadDeployProvider(target: 'aliyun' | 'aws'): Promise<DeployProvider> {
  try {
    return target === 'aliyun'
      ? (await import('./aliyun.js')).aliyunProvider
      : (await import('./aws.js')).awsProvider;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(
      `The ${target} deploy tools could not be loaded: ${(error as Error).message}`,
      EXIT.usage,
      `install @windowed/adapter-${target}`,
      {
        cause: error,
      },
    );
  }
}
