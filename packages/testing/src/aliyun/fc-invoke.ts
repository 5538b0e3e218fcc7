import { randomUUID } from 'node:crypto';
import {
  attemptOf,
  type FunctionAttempt,
  type FunctionOutcome,
  runFunctionCode,
  withRetries,
} from '../function-runner.js';
import type { FcAsyncConfigState, FcFunctionState } from './fc-shared.js';

/** One attempt the loopback ran (`Async` or `Sync`). */
export type FcAttempt = FunctionAttempt;

export interface FcInvokeAnswer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

export interface FcInvokeSettings {
  region: string;
  accountId: string;
  /**
   * Wait before retry `n` of a failed async invocation. FC documents how many retries a function
   * error gets, not how long it waits between them; the default is its documented throttling
   * back-off (0.5 s, then doubling).
   */
  retryDelayMs?: (n: number) => number;
  /** Delivers a destination record to `arn` (`acs:mns:…:/queues/<queue>/messages`). */
  deliver?: (arn: string, record: string) => void;
}

/**
 * FC 2.0 InvokeFunction (`POST /services/{service}/functions/{function}/invocations`) running the
 * function's code package in a fresh process with its `environmentVariables` and FC's context
 * (`requestId`, `credentials`, `function`, `service`, `region`, `accountId`).
 * https://www.alibabacloud.com/help/en/fc/developer-reference/api-fc-open-2021-04-06-invokefunction
 *
 * `X-Fc-Invocation-Type: Async` is answered 202 and queued
 * (https://help.aliyun.com/en/functioncompute/call-example). A function error is retried
 * `maxAsyncRetryAttempts` times (default 3: https://www.alibabacloud.com/help/en/fc/user-guide/retry-policy),
 * then the invocation goes to the onFailure destination with its context
 * (https://www.alibabacloud.com/help/en/functioncompute/fc-2-0/result-callback), in the record shape
 * `parseFcDestinationRecord` reads. A synchronous call answers 200 with the result, or with
 * `X-Fc-Error-Type: UnhandledInvocationError` and the error `{ errorMessage, errorType, stackTrace }`:
 * FC 3.0 documents both, the header in https://www.alibabacloud.com/help/en/functioncompute/fc/error-handling-1-1
 * and the Node.js body in https://www.alibabacloud.com/help/en/functioncompute/fc/error-handling-nodejs.
 *
 * FC 3.0's InvokeFunction (`POST /2023-03-30/functions/{functionName}/invocations`, same
 * `x-fc-invocation-type` header: https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/developer-reference/api-fc-2023-03-30-invokefunction)
 * runs here too, with `service` undefined: FC 3.0 functions have no service, so the record's
 * `functionArn` is `acs:fc:<region>:<account>:functions/<name>` (the FC 3.0 ARN, e.g. in
 * https://www.alibabacloud.com/help/en/functioncompute/api-fc-2023-03-30-struct-tagresource). We
 * found no FC 3.0 page on a failed sync call's headers or the destination record: both follow FC 2.0's.
 */
export class FcInvocations {
  readonly attempts: FcAttempt[] = [];
  private readonly queued = new Set<Promise<void>>();

  constructor(private readonly settings: FcInvokeSettings) {}

  invoke(
    service: string | undefined,
    fn: FcFunctionState,
    config: FcAsyncConfigState | undefined,
    type: string | undefined,
    payload: string,
  ): FcInvokeAnswer | Promise<FcInvokeAnswer> {
    const requestId = randomUUID();
    if (type?.toLowerCase() === 'async') {
      const run = this.runAsync(service, fn, config, payload, requestId).finally(() =>
        this.queued.delete(run),
      );
      this.queued.add(run);
      return { status: 202, body: undefined, headers: { 'x-fc-request-id': requestId } };
    }
    return this.attempt(service, fn, payload, requestId, 'Sync', 1).then(
      (o): FcInvokeAnswer =>
        o.ok
          ? { status: 200, body: o.result, headers: { 'x-fc-request-id': requestId } }
          : {
              status: 200,
              body: { ...o.error, stackTrace: [] },
              headers: { 'x-fc-request-id': requestId, 'x-fc-error-type': 'UnhandledInvocationError' },
            },
    );
  }

  /** Resolves once every queued async invocation has finished, retries and destination included. */
  async idle(): Promise<void> {
    while (this.queued.size > 0) await Promise.allSettled([...this.queued]);
  }

  private async runAsync(
    service: string | undefined,
    fn: FcFunctionState,
    config: FcAsyncConfigState | undefined,
    payload: string,
    requestId: string,
  ): Promise<void> {
    const retries = typeof config?.maxAsyncRetryAttempts === 'number' ? config.maxAsyncRetryAttempts : 3;
    const delay = this.settings.retryDelayMs ?? ((n: number) => 500 * 2 ** (n - 1));
    const last = await withRetries(retries, delay, (n) =>
      this.attempt(service, fn, payload, requestId, 'Async', n),
    );
    if (!last) return;
    const destination = (config?.destinationConfig as { onFailure?: { destination?: string } } | undefined)
      ?.onFailure?.destination;
    if (!destination || !this.settings.deliver) return;
    const { region, accountId } = this.settings;
    this.settings.deliver(
      destination,
      JSON.stringify({
        timestamp: Date.now(),
        requestContext: {
          requestId,
          functionArn:
            service === undefined
              ? `acs:fc:${region}:${accountId}:functions/${fn.functionName}`
              : `acs:fc:${region}:${accountId}:services/${service}.LATEST/functions/${fn.functionName}`,
          condition: 'UnhandledInvocationError',
          approximateInvokeCount: retries + 1,
        },
        requestPayload: payload,
        responseContext: { statusCode: 200, functionError: 'UnhandledInvocationError' },
        responsePayload: JSON.stringify({ ...last, stackTrace: [] }),
      }),
    );
  }

  private async attempt(
    service: string | undefined,
    fn: FcFunctionState,
    payload: string,
    requestId: string,
    invocationType: 'Async' | 'Sync',
    attempt: number,
  ): Promise<FunctionOutcome> {
    const { region, accountId } = this.settings;
    const outcome = await runFunctionCode({
      style: 'fc',
      code: fn.code,
      handler: fn.handler,
      timeoutMs: fn.timeout * 1000,
      payload,
      context: {
        requestId,
        credentials: {},
        function: { name: fn.functionName, handler: fn.handler, memory: fn.memorySize, timeout: fn.timeout },
        service: { ...(service === undefined ? {} : { name: service }), qualifier: 'LATEST' },
        region,
        accountId,
      },
      env: { ...fn.environmentVariables, FC_REGION: region, FC_ACCOUNT_ID: accountId },
    });
    this.attempts.push(
      attemptOf({ functionName: fn.functionName, requestId, invocationType, attempt }, outcome),
    );
    return outcome;
  }
}
