import type { Window, WindowSpec } from '@windowed/core';
import { seededUuid } from '../clock.js';
import type { AttemptFailure, FailureKind, Handler, ProviderModel, QueuedInvocation } from './types.js';
import { errorMessage } from './types.js';

export interface AwsSimOptions {
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
 * - Scheduler has minute precision and delivers the target's Input with
 *   `<aws.scheduler.scheduled-time>` substituted; a rule's "Scheduled Event" carries `time`
 *   somewhere within the scheduled minute
 *   (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html);
 * - on a function error Lambda retries twice, 1 minute and then 2 minutes later; events older than
 *   MaximumEventAgeInSeconds (default 21600) are dropped; the async queue is at-least-once
 *   (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html);
 * - the invocation record sent to the OnFailure destination
 *   (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
 */
export function awsModel(options: AwsSimOptions, jobName: string): ProviderModel {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? options.roleArn?.split(':')[4] ?? '123456789012';
  const functionName = options.functionName ?? jobName;
  const functionArn = `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;
  const scheduleName = options.schedule?.name ?? `windowed-${jobName}`.slice(0, 64);
  const scheduleArn = `arn:aws:scheduler:${region}:${accountId}:schedule/${options.schedule?.groupName ?? 'default'}/${scheduleName}`;
  const ruleArn = `arn:aws:events:${region}:${accountId}:rule/${scheduleName}`;
  const type = options.schedule?.type ?? 'scheduler';
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
    eventFor(firedAt, random) {
      if (type === 'rule') {
        // A rule fires somewhere within its minute: `time` carries seconds of jitter.
        const time = new Date(firedAt + Math.floor(random() * 50) * 1000)
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z');
        return JSON.stringify({
          version: '0',
          id: seededUuid(random),
          'detail-type': 'Scheduled Event',
          source: 'aws.events',
          account: accountId,
          time,
          region,
          resources: [ruleArn],
          detail: {},
        });
      }
      return JSON.stringify({
        source: 'aws.scheduler',
        scheduledTime: new Date(firedAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        executionId: seededUuid(random),
        attemptNumber: '1',
        scheduleArn,
      });
    },
    deliver: (eventJson) => JSON.parse(eventJson),
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
    callStyle: 'callback-or-promise',
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
    async defaultHandler(job) {
      const { lambdaHandler } = await import('@windowed/adapter-aws');
      return lambdaHandler(job) as Handler;
    },
  };
}
