export { applyFcDeployment, discoverFcState, type FcApplyOptions, type FcApplyResult } from './apply.js';
export { buildFcCode, FC_EXTERNALS, type FcBundleOptions, type FcCodePackage } from './bundle.js';
export { fcCronExpression } from './cron.js';
export { type DeployFcOptions, type DeployFcResult, deployFc } from './deploy.js';
export { doctorFc } from './doctor.js';
export { type AliyunEventOptions, aliyunEvents } from './events.js';
export { exportServerlessDevs, serverlessDevsYaml } from './export.js';
export {
  createFc3Api,
  createFcApi,
  createFcClient,
  type FcApi,
  type FcClientLike,
  type FcClientOptions,
  fc2Api,
} from './fc-api.js';
export {
  FC_NODE_RUNTIMES,
  type FcDeployOptions,
  fcDeployOptionsSchema,
  fcRoleArn,
  fcRoleToCreate,
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
export { createRamApi, type RamApi, ramPolicyName } from './ram.js';
export { type AliyunSimulationOptions, aliyunSimulation } from './simulation.js';
