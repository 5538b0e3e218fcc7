export {
  applyFcDeployment,
  createFcClient,
  discoverFcState,
  type FcApplyOptions,
  type FcApplyResult,
  type FcClientLike,
  type FcClientOptions,
} from './apply.js';
export { buildFcCode, FC_EXTERNALS, type FcBundleOptions, type FcCodePackage } from './bundle.js';
export { fcCronExpression } from './cron.js';
export { type DeployFcOptions, type DeployFcResult, deployFc } from './deploy.js';
export { type AliyunEventOptions, aliyunEvents } from './events.js';
export {
  FC_NODE_RUNTIMES,
  type FcDeployOptions,
  fcDeployOptionsSchema,
  type ResolvedFcDeployOptions,
  resolveFcDeployOptions,
} from './options.js';
export {
  EMPTY_FC_STATE,
  type FcDeploymentPlan,
  type FcOperation,
  type FcPlanContext,
  type FcPlanStep,
  type FcState,
  planFcDeployment,
} from './plan.js';
export { aliyunPlatform } from './platform.js';
export { fcPolicies } from './policy.js';
export { type AliyunSimulationOptions, aliyunSimulation } from './simulation.js';
