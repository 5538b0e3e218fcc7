import {
  type DeployInput,
  functionDrivers,
  type Platform,
  resourceEnvironment,
  WindowedError,
} from '@windowed/core';
import { awsRuntime } from '../platform.js';
import { bundleLambdaHandler } from './bundle.js';
import { deployLambda } from './deploy.js';
import { doctorLambda } from './doctor.js';
import { awsEvents } from './events.js';
import { exportCloudFormation, unknownFormat } from './export.js';
import { type LambdaDeployOptions, resolveLambdaDeployOptions } from './options.js';
import { lambdaPolicies } from './policy.js';
import { lambdaRemote } from './remote.js';
import { type AwsSimulationOptions, awsSimulation } from './simulation.js';

/** `WINDOWED_AWS_ENDPOINT` points the control-plane clients elsewhere (a VPC endpoint, a local emulator). */
const endpointFrom = (endpoint?: string) => endpoint ?? (process.env.WINDOWED_AWS_ENDPOINT || undefined);

/** The target's deploy options with its resources in the function's environment (its own variables win). */
export function lambdaOptionsOf(input: DeployInput): LambdaDeployOptions {
  const options = resolveLambdaDeployOptions(input.deploy);
  const env = resourceEnvironment(input.resources);
  return { ...options, environment: { ...env, ...options.environment } };
}

/** The AWS platform: Lambda, EventBridge Scheduler (or rules), CloudWatch Logs, SQS/SNS/… destinations. */
export const awsPlatform: Platform = {
  ...awsRuntime,
  exportFormats: ['cloudformation'],
  validate(deploy) {
    resolveLambdaDeployOptions(deploy);
  },
  async plan(input, options = {}) {
    const endpoint = endpointFrom(options.endpoint);
    const result = await deployLambda(input.job, lambdaOptionsOf(input), {
      planOnly: true,
      ...(options.dryRun ? { dryRun: true } : {}),
      ...(endpoint ? { clientSettings: { endpoint } } : {}),
      ...(input.cwd ? { cwd: input.cwd } : {}),
    });
    return result.plan;
  },
  async deploy(input, options = {}) {
    const endpoint = endpointFrom(options.endpoint);
    return deployLambda(input.job, lambdaOptionsOf(input), {
      ...(options.dryRun ? { dryRun: true } : {}),
      ...(endpoint ? { clientSettings: { endpoint } } : {}),
      ...(input.cwd ? { cwd: input.cwd } : {}),
      ...(options.onStep ? { onStep: options.onStep } : {}),
    });
  },
  policy: (input) => lambdaPolicies(lambdaOptionsOf(input), input.job),
  doctor: (input, options = {}) => {
    const endpoint = endpointFrom(options.endpoint);
    return doctorLambda(input.job, lambdaOptionsOf(input), { ...options, ...(endpoint ? { endpoint } : {}) });
  },
  async export(input, { format, outDir }) {
    if (format !== 'cloudformation') throw unknownFormat('aws', format, awsPlatform.exportFormats);
    const options = lambdaOptionsOf(input);
    if (!options.entry)
      throw new WindowedError('INVALID_CONFIG', 'Exporting needs the handler module to bundle: set "entry".');
    const bundle = await bundleLambdaHandler({
      entry: options.entry,
      runtime: options.runtime,
      drivers: functionDrivers(options.environment, input.job.specResources),
      ...(input.cwd ? { cwd: input.cwd } : {}),
    });
    return exportCloudFormation(input.job, options, bundle, outDir);
  },
  async remote(input, options = {}) {
    return lambdaRemote(lambdaOptionsOf(input), input.job, endpointFrom(options.endpoint));
  },
  simulation: (deploy, job) => awsSimulation((deploy ?? {}) as AwsSimulationOptions, job.name),
  events(deploy) {
    const schedule = (deploy as AwsSimulationOptions | undefined)?.schedule;
    return awsEvents({ type: schedule?.type ?? 'scheduler' });
  },
};
