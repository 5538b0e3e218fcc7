export { EventBridgeLoopback } from './eventbridge.js';
export { type EvalDecision, IamLoopback, type IamRole } from './iam.js';
export { evaluateInsightsQuery, parseInsightsQuery } from './insights.js';
export { type LambdaFunctionRecord, LambdaLoopback } from './lambda.js';
export { type LambdaAttempt, LambdaInvocations } from './lambda-invoke.js';
export { type LogEventInput, LogsLoopback, type LoopbackQuery, type QueryStatus } from './logs.js';
export { AwsServiceError } from './protocol.js';
export { SchedulerLoopback } from './scheduler.js';
export { ParameterStoreLoopback, SecretsManagerLoopback } from './secrets.js';
export {
  AWS_LOOPBACK_CREDENTIALS,
  type AwsLoopback,
  type AwsLoopbackOptions,
  type AwsLoopbackRequest,
  startAwsLoopback,
} from './server.js';
export { type AwsLoopbackCredentials, verifySigV4 } from './sigv4.js';
export { SqsLoopback } from './sqs.js';
