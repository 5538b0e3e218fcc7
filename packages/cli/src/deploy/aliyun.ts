import type { FcDeployOptions } from '@windowed/adapter-aliyun/deploy';
import {
  createFcClient,
  deployFc,
  planFcDeployment,
  resolveFcDeployOptions,
} from '@windowed/adapter-aliyun/deploy';
import { type DeployProvider, type Plan, resourceEnvironment } from './providers.js';

/** `WINDOWED_FC_ENDPOINT` points the FC client elsewhere (a VPC endpoint, a local emulator). */
const endpoint = () => process.env.WINDOWED_FC_ENDPOINT || undefined;

export const aliyunProvider: DeployProvider = {
  withResources(deploy, resources) {
    const env = resourceEnvironment(resources);
    const own = (deploy.environmentVariables ?? {}) as Record<string, string>;
    return Object.keys(env).length ? { ...deploy, environmentVariables: { ...env, ...own } } : deploy;
  },
  async plan(job, options, { dryRun, cwd }) {
    const fc = options as unknown as FcDeployOptions;
    if (dryRun) return (await planFcDeployment(job, fc, { cwd })) as unknown as Plan;
    const resolved = resolveFcDeployOptions(fc, job.name);
    const client = await createFcClient({
      accountId: resolved.accountId,
      region: resolved.region,
      ...(endpoint() ? { endpoint: endpoint()! } : {}),
    });
    return (await planFcDeployment(job, fc, { client, cwd })) as unknown as Plan;
  },
  async deploy(job, options, { cwd }) {
    const e = endpoint();
    const { plan, result } = await deployFc(job, options as unknown as FcDeployOptions, {
      cwd,
      ...(e ? { clientOptions: { endpoint: e } } : {}),
    });
    return { plan: plan as unknown as Plan, applied: result.steps };
  },
};
