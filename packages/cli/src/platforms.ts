import { aliyunRuntime } from '@windowed/adapter-aliyun';
import { awsRuntime } from '@windowed/adapter-aws';
import type { Platform, PlatformName, RuntimePlatform } from '@windowed/core';
import { CliError, EXIT } from './errors.js';

/** The platforms the CLI knows by `--target`; everything about a cloud lives in its adapter. */
export const PLATFORM_NAMES: readonly PlatformName[] = ['aliyun', 'aws'];

/** The runtime halves: enough to parse and drain failure records. */
export const RUNTIME_PLATFORMS: readonly RuntimePlatform[] = [aliyunRuntime, awsRuntime];

const DEPLOY_HALVES: Record<PlatformName, () => Promise<Platform>> = {
  aliyun: async () => (await import('@windowed/adapter-aliyun/deploy')).aliyunPlatform,
  aws: async () => (await import('@windowed/adapter-aws/deploy')).awsPlatform,
};

export function isPlatformName(name: unknown): name is PlatformName {
  return (PLATFORM_NAMES as readonly unknown[]).includes(name);
}

/** `--target` as a platform name, or a usage error naming the choices. */
export function platformName(target: string | undefined, verb: string): PlatformName {
  if (isPlatformName(target)) return target;
  throw new CliError(
    `--target ${JSON.stringify(target)} cannot be ${verb}.`,
    EXIT.usage,
    `expected ${PLATFORM_NAMES.join(' or ')}`,
  );
}

/** The whole platform (its deploy half loads the control-plane SDKs only now). */
export async function loadPlatform(name: PlatformName): Promise<Platform> {
  try {
    return await DEPLOY_HALVES[name]();
  } catch (error) {
    throw new CliError(
      `The ${name} deploy tools could not be loaded: ${(error as Error).message}`,
      EXIT.usage,
      `install @windowed/adapter-${name}`,
      { cause: error },
    );
  }
}
