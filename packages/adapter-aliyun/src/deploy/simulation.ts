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
import { aliyunRuntime } from '../platform.js';
import { aliyunEvents } from './events.js';

/** The deploy options the simulation reads; anything missing takes FC's or the deploy's default. */
export interface AliyunSimulationOptions {
  fcVersion?: 2 | 3;
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

/** The message a platform log shows: `CODE: message` for a WindowedError, else the error's message. */
const errorMessage = (error: unknown) =>
  error instanceof Error && !isWindowedError(error) ? error.message : describeError(error);

/**
 * Function Compute, as documented:
 * - the timer fires with second precision and invokes asynchronously with the events of
 *   `aliyunEvents` (https://help.aliyun.com/document_detail/2513615.html);
 * - a failed async invocation is retried 3 times by default (maxAsyncRetryAttempts), and an event
 *   older than maxAsyncEventAgeInSeconds (default 86400) is dropped
 *   (https://www.alibabacloud.com/help/en/functioncompute/fc/error-handling-1-2). FC does not
 *   document the wait between error retries; the emulator uses the binary exponential backoff FC
 *   documents for its throttling retries: 0.5 s, 1 s, 2 s, …;
 * - the request id stays the same across the retries of one invocation;
 * - the destination record: `{ timestamp, requestContext: { requestId, functionArn, condition,
 *   approximateInvokeCount }, requestPayload (the event as a string), responseContext,
 *   responsePayload }`;
 * - FC 2.0 functions live in a service (`…:services/<service>.LATEST/functions/<fn>`), FC 3.0
 *   functions do not (`…:functions/<fn>`, FC 3.0's sample record:
 *   https://help.aliyun.com/zh/functioncompute/user-guide/result-callback), and FC 3.0 calls an
 *   async handler.
 */
export function aliyunSimulation(options: AliyunSimulationOptions, jobName: string): SimulationModel {
  const fc3 = options.fcVersion === 3;
  const region = options.region ?? 'cn-hangzhou';
  const accountId = options.accountId ?? '1234567890123456';
  const service = options.service ?? 'windowed';
  const functionName = options.functionName ?? jobName;
  const timeoutSec = options.timeout ?? 60;
  const exportName = options.exportName ?? 'handler';
  const functionArn = fc3
    ? `acs:fc:${region}:${accountId}:functions/${functionName}`
    : `acs:fc:${region}:${accountId}:services/${service}.LATEST/functions/${functionName}`;
  return {
    name: 'aliyun',
    label: fc3 ? 'Alibaba Cloud Function Compute 3.0' : 'Alibaba Cloud Function Compute 2.0',
    maxRetries: options.maxAsyncRetryAttempts ?? 3,
    retryDelayMs: (n) => 500 * 2 ** (n - 1),
    maxEventAgeMs: (options.maxAsyncEventAgeInSeconds ?? 86_400) * 1000,
    timeoutMs: timeoutSec * 1000,
    exportName,
    ...(options.entry ? { entry: options.entry } : {}),
    environment: { ...(options.environmentVariables ?? {}) },
    fireTime(window: Window, spec: WindowSpec) {
      // The cron has second precision: end + delay, rounded up to a whole second.
      return Math.ceil((window.end.getTime() + spec.delayMs) / 1000) * 1000;
    },
    events: aliyunEvents({
      triggerName: options.triggerName ?? `${functionName}-timer`,
      ...(options.payload !== undefined ? { payload: options.payload } : {}),
    }),
    context(invocation: QueuedInvocation) {
      return {
        requestId: invocation.requestId,
        function: { name: functionName, handler: `index.${exportName}`, memory: 512, timeout: timeoutSec },
        ...(fc3
          ? {}
          : { service: { name: service, logProject: '', logStore: '', qualifier: 'LATEST', versionId: '' } }),
        region,
        accountId,
      };
    },
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
    defaultHandler: (job) => aliyunRuntime.handler(job, { fcVersion: fc3 ? 3 : 2 }),
  };
}
