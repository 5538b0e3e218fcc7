import { randomUUID } from 'node:crypto';
import type { LambdaContext } from '../src/handler.js';

/** A Lambda context like the runtime's: the remaining time counts down from the invocation's start. */
export function lambdaContext(
  remainingMs = 60_000,
): LambdaContext & { callbackWaitsForEmptyEventLoop: boolean } {
  const deadline = Date.now() + remainingMs;
  return {
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    awsRequestId: randomUUID(),
    functionName: 'pv_uv',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:pv_uv',
    callbackWaitsForEmptyEventLoop: true,
  };
}
