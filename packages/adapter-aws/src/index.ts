import { registerSecretResolver, registerSourceType, secretResolver } from '@windowed/core';
import { createCloudWatchSource } from './cloudwatch/source.js';
import { awsSecretResolver } from './secrets.js';

export { type CompiledInsights, compileInsightsQuery, type InsightsQuery } from './cloudwatch/compile.js';
export { type CloudWatchSourceOptions, createCloudWatchSource } from './cloudwatch/source.js';
export { type LambdaFailureRecord, parseLambdaDestinationRecord } from './destination.js';
export {
  fromScheduledEvent,
  isManualInvocation,
  isScheduledRuleEvent,
  isSchedulerInput,
  type ManualInvocation,
  type ScheduledRuleEvent,
  type SchedulerInput,
} from './event.js';
export {
  type LambdaContext,
  type LambdaHandler,
  type LambdaHandlerOptions,
  type LambdaRunSummary,
  lambdaHandler,
} from './handler.js';
export { type AwsSecretResolverOptions, awsSecretResolver } from './secrets.js';
export { type DrainedMessage, type DrainSqsOptions, drainSqsFailureQueue } from './sqs.js';

// `{ type: 'cloudwatch', ... }` in a job spec, a config file or WINDOWED_SOURCE works once this package is imported.
registerSourceType({ type: 'cloudwatch', create: (config) => createCloudWatchSource(config) });

export { awsRuntime } from './platform.js';

// Password references (`passwordSecret=`, `passwordParameter=`) read through Secrets Manager and SSM
// once this package is imported, unless another resolver was registered first.
if (!secretResolver()) registerSecretResolver(awsSecretResolver());
