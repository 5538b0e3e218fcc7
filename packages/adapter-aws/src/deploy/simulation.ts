import {
  type AttemptFailure,
  describeError,
  type FailureKind,
  isWindowedError,
  type QueuedInvocation,
  type SimulationModel,
  type Window,
  type WindowSpec,
} from '@windowed/core';
import { awsRuntime } from '../platform.js';
import { awsEvents } from './events.js';

/** The deploy options the simulation reads; anything missing takes Lambda's or the deploy's default. */
export interface AwsSimulationOptions {
  region?: string;
  roleArn?: string;
  accountId?: string;
  functionName?: string;
  entry?: string;
  handler?: string;
  timeout?: number;
  environment?: Record<string, string>;
  schedule?: { type?: 'scheduler' | 'rule'; name?: string; groupName?: string };
  onFailure?: { maximumRetryAttempts?: number; maximumEventAgeInSeconds?: number };
}

const MINUTE = 60_000;

/**
 * AWS Lambda invoked asynchronously by EventBridge Scheduler (or a legacy rule), as documented:
 * - schedules have minute precision; the events are those of `awsEvents`;
 * - on a function error Lambda retries twice, 1 minute and then 2 minutes later; events older than
 *   MaximumEventAgeInSeconds (default 21600) are dropped; the async queue is at-least-once
 *   (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html);
 * - the invocation record sent to the OnFailure destination
 *   (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
 */
export function awsSimulation(options: AwsSimulationOptions, jobName: string): SimulationModel {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? options.roleArn?.split(':')[4] ?? '123456789012';
  const functionName = options.functionName ?? jobName;
  const functionArn = `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;
  const handler = options.handler ?? 'index.handler';
  const timeoutSec = options.timeout ?? 60;
  return {
    name: 'aws',
    label: 'AWS Lambda',
    maxRetries: options.onFailure?.maximumRetryAttempts ?? 2,
    retryDelayMs: (n) => n * MINUTE,
    maxEventAgeMs: (options.onFailure?.maximumEventAgeInSeconds ?? 21_600) * 1000,
    timeoutMs: timeoutSec * 1000,
    exportName: handler.slice(handler.lastIndexOf('.') + 1),
    ...(options.entry ? { entry: options.entry } : {}),
    environment: { ...(options.environment ?? {}) },
    fireTime(window: Window, spec: WindowSpec) {
      // Schedules have minute precision: the delay is rounded up to whole minutes (as the deploy does).
      return window.end.getTime() + Math.ceil(spec.delayMs / MINUTE) * MINUTE;
    },
    events: awsEvents({
      region,
      accountId,
      scheduleName: options.schedule?.name ?? `windowed-${jobName}`.slice(0, 64),
      ...(options.schedule?.groupName ? { groupName: options.schedule.groupName } : {}),
      type: options.schedule?.type ?? 'scheduler',
    }),
    context(invocation: QueuedInvocation, startedAt: number) {
      const deadline = startedAt + timeoutSec * 1000;
      return {
        awsRequestId: invocation.requestId,
        functionName,
        functionVersion: '$LATEST',
        invokedFunctionArn: functionArn,
        memoryLimitInMB: '256',
        callbackWaitsForEmptyEventLoop: true,
        // Reads the handler's clock, which is the virtual one while it runs.
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      };
    },
    describeFailure(kind: FailureKind, error: unknown): AttemptFailure {
      if (kind === 'timeout')
        return {
          errorType: 'Sandbox.Timedout',
          message: `Task timed out after ${timeoutSec.toFixed(2)} seconds`,
        };
      if (kind === 'crash')
        return {
          errorType: 'Runtime.ExitError',
          message: 'Runtime exited unexpectedly (simulated instance crash)',
        };
      return { errorType: error instanceof Error ? error.name : 'Error', message: errorMessage(error) };
    },
    destinationRecord(invocation, at, condition, failure?: AttemptFailure) {
      return {
        version: '1.0',
        timestamp: new Date(at).toISOString(),
        requestContext: {
          requestId: invocation.requestId,
          functionArn: `${functionArn}:$LATEST`,
          condition: condition === 'expired' ? 'EventAgeExceeded' : 'RetriesExhausted',
          approximateInvokeCount: condition === 'expired' ? invocation.attempt - 1 : invocation.attempt,
        },
        requestPayload: JSON.parse(invocation.eventJson),
        responseContext: {
          statusCode: 200,
          executedVersion: '$LATEST',
          ...(failure ? { functionError: 'Unhandled' } : {}),
        },
        ...(failure
          ? {
              responsePayload: {
                errorMessage: failure.message,
                errorType: failure.errorType,
                stackTrace: [],
              },
            }
          : {}),
      };
    },
    defaultHandler: (job) => awsRuntime.handler(job),
  };
}

/** The message a platform log shows: `CODE: message` for a WindowedError, else the error's message. */
const errorMessage = (error: unknown) =>
  error instanceof Error && !isWindowedError(error) ? error.message : describeError(error);
