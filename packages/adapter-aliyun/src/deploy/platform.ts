import {
  type DeployInput,
  functionDrivers,
  type Platform,
  resourceEnvironment,
  WindowedError,
} from '@windowed/core';
import { aliyunRuntime } from '../platform.js';
import { buildFcCode } from './bundle.js';
import { deployFc } from './deploy.js';
import { doctorFc } from './doctor.js';
import { aliyunEvents } from './events.js';
import { exportServerlessDevs } from './export.js';
import { type FcDeployOptions, resolveFcDeployOptions } from './options.js';
import { fcPolicies } from './policy.js';
import { fcRemote } from './remote.js';
import { type AliyunSimulationOptions, aliyunSimulation } from './simulation.js';

/** `WINDOWED_FC_ENDPOINT` points the FC client elsewhere (a VPC endpoint, a local emulator). */
const endpointFrom = (endpoint?: string) => endpoint ?? (process.env.WINDOWED_FC_ENDPOINT || undefined);
/** `WINDOWED_RAM_ENDPOINT`: another RAM endpoint (for `role: { create: true }`). */
const ramEndpoint = () =>
  process.env.WINDOWED_RAM_ENDPOINT ? { ramEndpoint: process.env.WINDOWED_RAM_ENDPOINT } : {};

/** The target's deploy options with its resources in the function's environment (its own variables win). */
export function fcOptionsOf(input: DeployInput): FcDeployOptions {
  const options = resolveFcDeployOptions(input.deploy, input.job.name);
  const env = resourceEnvironment(input.resources);
  return { ...options, environmentVariables: { ...env, ...options.environmentVariables } };
}

/** The Alibaba Cloud platform: Function Compute, its timer trigger, SLS, MNS/FC/EventBridge destinations. */
export const aliyunPlatform: Platform = {
  ...aliyunRuntime,
  exportFormats: ['s'],
  validate(deploy, job) {
    resolveFcDeployOptions(deploy, job.name);
  },
  async plan(input, options = {}) {
    const endpoint = endpointFrom(options.endpoint);
    const result = await deployFc(input.job, fcOptionsOf(input), {
      ...ramEndpoint(),
      planOnly: true,
      ...(options.dryRun ? { dryRun: true } : {}),
      ...(endpoint ? { clientOptions: { endpoint } } : {}),
      ...(input.cwd ? { cwd: input.cwd } : {}),
    });
    return result.plan;
  },
  async deploy(input, options = {}) {
    const endpoint = endpointFrom(options.endpoint);
    return deployFc(input.job, fcOptionsOf(input), {
      ...ramEndpoint(),
      ...(options.dryRun ? { dryRun: true } : {}),
      ...(endpoint ? { clientOptions: { endpoint } } : {}),
      ...(input.cwd ? { cwd: input.cwd } : {}),
      ...(options.onStep ? { onStep: options.onStep } : {}),
    });
  },
  policy: (input) => fcPolicies(resolveFcDeployOptions(fcOptionsOf(input), input.job.name), input.job),
  doctor: (input, options = {}) => {
    const endpoint = endpointFrom(options.endpoint);
    return doctorFc(input.job, resolveFcDeployOptions(fcOptionsOf(input), input.job.name), {
      ...options,
      ...(endpoint ? { endpoint } : {}),
    });
  },
  async export(input, { format, outDir }) {
    if (format !== 's')
      throw new WindowedError(
        'INVALID_ARGUMENT',
        `aliyun exports ${aliyunPlatform.exportFormats.join(', ')}, not ${JSON.stringify(format)}.`,
      );
    const options = resolveFcDeployOptions(fcOptionsOf(input), input.job.name);
    const code = await buildFcCode({
      entry: options.entry,
      nodeMajor: Number(options.runtime.slice('nodejs'.length)),
      drivers: functionDrivers(options.environmentVariables, input.job.specResources),
      ...(input.cwd ? { cwd: input.cwd } : {}),
    });
    return exportServerlessDevs(input.job, options, code, outDir);
  },
  async remote(input, options = {}) {
    const endpoint = endpointFrom(options.endpoint);
    return fcRemote(resolveFcDeployOptions(fcOptionsOf(input), input.job.name), endpoint ? { endpoint } : {});
  },
  simulation: (deploy, job) => aliyunSimulation((deploy ?? {}) as AliyunSimulationOptions, job.name),
  events: (deploy) => {
    const o = (deploy ?? {}) as AliyunSimulationOptions;
    return aliyunEvents({
      ...(o.triggerName ? { triggerName: o.triggerName } : {}),
      ...(o.payload !== undefined ? { payload: o.payload } : {}),
    });
  },
};
