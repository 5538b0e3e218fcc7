import type { Window, WindowSpec } from '@windowed/core';
import type { AttemptFailure, FailureKind, Handler, ProviderModel, QueuedInvocation } from './types.js';
import { errorMessage } from './types.js';

export interface AliyunSimOptions {
  accountId?: string;
  region?: string;
  service?: string;
  functionName?: string;
  triggerName?: string;
  payload?: string;
  entry?: string;
  exportName?: string;
  timeout?: number;
  maxAsyncRetryAttempts?: number;
  maxAsyncEventAgeInSeconds?: number;
  environmentVariables?: Record<string, string>;
}

/**
 * Function Compute 2.0, as documented:
 * - the timer fires with second precision and invokes asynchronously with
 *   `{ triggerTime, triggerName, payload }`, delivered to a Node.js handler as a Buffer
 *   (https://help.aliyun.com/document_detail/2513615.html);
 * - a failed async invocation is retried 3 times by default (maxAsyncRetryAttempts), and an event
 *   older than maxAsyncEventAgeInSeconds (default 86400) is dropped
 *   (https://www.alibabacloud.com/help/en/functioncompute/fc/error-handling-1-2). FC does not
 *   document the wait between error retries; the emulator uses the binary exponential backoff FC
 *   documents for its throttling retries: 0.5 s, 1 s, 2 s, …;
 * - the request id stays the same across the retries of one invocation;
 * - the destination record: `{ timestamp, requestContext: { requestId, functionArn, condition,
 *   approximateInvokeCount }, requestPayload (the event as a string), responseContext,
 *   responsePayload }`.
 */
export function aliyunModel(options: AliyunSimOptions, jobName: string): ProviderModel {
  const region = options.region ?? 'cn-hangzhou';
  const accountId = options.accountId ?? '1234567890123456';
  const service = options.service ?? 'windowed';
  const functionName = options.functionName ?? jobName;
  const triggerName = options.triggerName ?? `${functionName}-timer`;
  const timeoutSec = options.timeout ?? 60;
  const functionArn = `acs:fc:${region}:${accountId}:services/${service}.LATEST/functions/${functionName}`;
  return {
    name: 'aliyun',
    label: 'Alibaba Cloud Function Compute',
    maxRetries: options.maxAsyncRetryAttempts ?? 3,
    retryDelayMs: (n) => 500 * 2 ** (n - 1),
    maxEventAgeMs: (options.maxAsyncEventAgeInSeconds ?? 86_400) * 1000,
    timeoutMs: timeoutSec * 1000,
    exportName: options.exportName ?? 'handler',
    ...(options.entry ? { entry: options.entry } : {}),
    environment: { ...(options.environmentVariables ?? {}) },
    fireTime(window: Window, spec: WindowSpec) {
      // The cron has second precision: end + delay, rounded up to a whole second.
      return Math.ceil((window.end.getTime() + spec.delayMs) / 1000) * 1000;
    },
    eventFor(firedAt) {
      const triggerTime = new Date(firedAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
      return JSON.stringify({ triggerTime, triggerName, payload: options.payload ?? '' });
    },
    deliver: (eventJson) => Buffer.from(eventJson, 'utf8'),
    context(invocation: QueuedInvocation) {
      return {
        requestId: invocation.requestId,
        function: {
          name: functionName,
          handler: `index.${options.exportName ?? 'handler'}`,
          memory: 512,
          timeout: timeoutSec,
        },
        service: { name: service, logProject: '', logStore: '', qualifier: 'LATEST', versionId: '' },
        region,
        accountId,
      };
    },
    callStyle: 'callback-or-promise',
    describeFailure(kind: FailureKind, error: unknown, viaCallback: boolean): AttemptFailure {
      // FC: an error passed to the callback is "handled"; a throw, a crash or a timeout is not.
      if (kind === 'timeout')
        return {
          errorType: 'UnhandledInvocationError',
          message: `Function timed out after ${timeoutSec} seconds`,
        };
      if (kind === 'crash')
        return {
          errorType: 'UnhandledInvocationError',
          message: 'Process exited unexpectedly (simulated instance crash)',
        };
      return {
        errorType: viaCallback ? 'HandledInvocationError' : 'UnhandledInvocationError',
        message: errorMessage(error),
      };
    },
    destinationRecord(invocation, at, condition, failure?: AttemptFailure) {
      const error = failure ?? {
        errorType: 'EventAgeExceeded',
        message: 'The event exceeded maxAsyncEventAgeInSeconds before it could run.',
      };
      return {
        timestamp: at,
        requestContext: {
          requestId: invocation.requestId,
          functionArn,
          condition: condition === 'expired' ? 'EventAgeExceeded' : error.errorType,
          approximateInvokeCount: condition === 'expired' ? invocation.attempt - 1 : invocation.attempt,
        },
        requestPayload: invocation.eventJson,
        responseContext: { statusCode: 200, functionError: condition === 'expired' ? '' : error.errorType },
        responsePayload:
          condition === 'expired'
            ? ''
            : JSON.stringify({ errorMessage: error.message, errorType: error.errorType, stackTrace: [] }),
      };
    },
    async defaultHandler(job) {
      const { fcHandler } = await import('@windowed/adapter-aliyun');
      return fcHandler(job) as Handler;
    },
  };
}
