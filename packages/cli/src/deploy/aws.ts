import {
  bundleLambdaHandler,
  createLambdaDeployClients,
  deployLambda,
  destroyLambdaDeployClients,
  discoverLambdaState,
  type LambdaDeployOptionsInput,
  planLambdaDeployment,
  resolveLambdaDeployOptions,
} from '@windowed/adapter-aws/deploy';
import { type DeployProvider, type Plan, resourceEnvironment } from './providers.js';

/** `WINDOWED_AWS_ENDPOINT` points the SDK clients elsewhere (a VPC endpoint, a local emulator). */
const endpoint = () => process.env.WINDOWED_AWS_ENDPOINT || undefined;

export const awsProvider: DeployProvider = {
  withResources(deploy, resources) {
    const env = resourceEnvironment(resources);
    const own = (deploy.environment ?? {}) as Record<string, string>;
    return Object.keys(env).length ? { ...deploy, environment: { ...env, ...own } } : deploy;
  },
  async plan(job, options, { dryRun }) {
    const input = options as unknown as LambdaDeployOptionsInput;
    const resolved = resolveLambdaDeployOptions(input);
    const bundle = resolved.entry
      ? await bundleLambdaHandler({ entry: resolved.entry, runtime: resolved.runtime })
      : undefined;
    const code = bundle ? { bytes: bundle.bytes, sha256: bundle.sha256 } : undefined;
    if (dryRun) return planLambdaDeployment(job, resolved, code ? { code } : {}) as unknown as Plan;
    const e = endpoint();
    const clients = createLambdaDeployClients({ region: resolved.region, ...(e ? { endpoint: e } : {}) });
    try {
      const state = await discoverLambdaState(clients, resolved, job);
      return planLambdaDeployment(job, resolved, { ...(code ? { code } : {}), state }) as unknown as Plan;
    } finally {
      destroyLambdaDeployClients(clients);
    }
  },
  async deploy(job, options) {
    const e = endpoint();
    const result = await deployLambda(
      job,
      options as unknown as LambdaDeployOptionsInput,
      e ? { clientSettings: { endpoint: e } } : {},
    );
    return { plan: result.plan as unknown as Plan, applied: result.applied?.calls ?? [] };
  },
};
