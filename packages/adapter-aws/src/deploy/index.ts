export {
  applyLambdaDeployment,
  type ClientSettings,
  createLambdaDeployClients,
  destroyLambdaDeployClients,
  discoverLambdaState,
  type LambdaApplyOptions,
  type LambdaApplyResult,
  type LambdaDeployClients,
} from './apply.js';
export {
  BUNDLE_EXTERNALS,
  bundleLambdaHandler,
  type LambdaBundle,
  type LambdaBundleOptions,
} from './bundle.js';
export { type DeployLambdaOptions, type DeployLambdaResult, deployLambda } from './deploy.js';
export { doctorLambda } from './doctor.js';
export { type AwsEventOptions, awsEvents } from './events.js';
export { cloudFormationTemplate, exportCloudFormation } from './export.js';
export {
  type LambdaDeployOptions,
  type LambdaDeployOptionsInput,
  type LambdaIdentity,
  lambdaDeployOptionsSchema,
  lambdaIdentity,
  resolveLambdaDeployOptions,
} from './options.js';
export {
  type LambdaDeploymentPlan,
  type LambdaDeployState,
  type LambdaPlanContext,
  type LambdaPlanStep,
  planLambdaDeployment,
  type WaiterName,
} from './plan.js';
export { awsPlatform } from './platform.js';
export { lambdaPolicies } from './policy.js';
export { type DerivedSchedule, deriveSchedule } from './schedule.js';
export { type AwsSimulationOptions, awsSimulation } from './simulation.js';
