import { randomUUID } from 'node:crypto';
import {
  attemptOf,
  type FunctionAttempt,
  type FunctionOutcome,
  runFunctionCode,
  withRetries,
} from '../function-runner.js';
import type { LambdaFunctionRecord } from './lambda.js';
import { AwsServiceError, type LoopbackResponse } from './protocol.js';

/** One attempt the loopback ran (`Event` or `RequestResponse`). */
export type LambdaAttempt = FunctionAttempt;

export interface LambdaInvokeSettings {
  /**
   * Wait before retry `n` of a failed asynchronous invocation. Lambda waits one minute before the
   * second attempt and two before the third (the default here); tests scale it down.
   */
  retryDelayMs?: (n: number) => number;
  /** Delivers a failure-destination record to `arn` (an SQS queue ARN). */
  deliver(arn: string, record: string): void;
}

/**
 * Runs a function's deployment package the way the Node.js runtime does: `Handler` `<file>.<export>`
 * names the module and its export, called with the parsed event and a context whose
 * `getRemainingTimeInMillis` counts down from the configured `Timeout`; the function's
 * `Environment.Variables` are its whole environment (plus the runtime's reserved
 * `AWS_REGION` / `AWS_LAMBDA_FUNCTION_NAME` / `AWS_LAMBDA_FUNCTION_TIMEOUT`).
 * https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html
 * https://docs.aws.amazon.com/lambda/latest/dg/nodejs-context.html
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
 * Each invocation is a fresh process (a cold start every time).
 *
 * Invoke (`POST /2015-03-31/functions/{name}/invocations`) with `X-Amz-Invocation-Type: Event`
 * is answered 202 and queued (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html);
 * a failed attempt is retried `MaximumRetryAttempts` times (default 2), one and then two minutes
 * apart, and then its record goes to the OnFailure destination, in the documented shape
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html,
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
 * `RequestResponse` runs it and answers 200 with the result, or with `X-Amz-Function-Error:
 * Unhandled` and the error.
 */
export class LambdaInvocations {
  readonly attempts: LambdaAttempt[] = [];
  private readonly queued = new Set<Promise<void>>();

  constructor(
    private readonly region: string,
    private readonly settings: LambdaInvokeSettings,
  ) {}

  async invoke(
    record: LambdaFunctionRecord,
    type: string | undefined,
    payload: string,
  ): Promise<LoopbackResponse> {
    const requestId = randomUUID();
    if (type === 'Event') {
      const run = this.runAsync(record, payload, requestId).finally(() => this.queued.delete(run));
      this.queued.add(run);
      return { status: 202, body: '', headers: { 'x-amzn-requestid': requestId } };
    }
    if (type !== undefined && type !== 'RequestResponse')
      throw new AwsServiceError('InvalidParameterValueException', `Unsupported InvocationType ${type}.`);
    const outcome = await this.attempt(record, payload, requestId, 'RequestResponse', 1);
    if (outcome.ok) return { status: 200, body: outcome.result ?? null };
    return { status: 200, body: outcome.error, headers: { 'x-amz-function-error': 'Unhandled' } };
  }

  /** Resolves once every queued asynchronous invocation has finished, retries and destination included. */
  async idle(): Promise<void> {
    while (this.queued.size > 0) await Promise.allSettled([...this.queued]);
  }

  private async runAsync(record: LambdaFunctionRecord, payload: string, requestId: string): Promise<void> {
    const config = record.eventInvokeConfig ?? {};
    const retries = typeof config.MaximumRetryAttempts === 'number' ? config.MaximumRetryAttempts : 2;
    const delay = this.settings.retryDelayMs ?? ((n: number) => n * 60_000);
    const last = await withRetries(retries, delay, (n) =>
      this.attempt(record, payload, requestId, 'Event', n),
    );
    if (!last) return;
    const destination = (config.DestinationConfig as { OnFailure?: { Destination?: string } } | undefined)
      ?.OnFailure?.Destination;
    if (!destination) return;
    this.settings.deliver(
      destination,
      JSON.stringify({
        version: '1.0',
        timestamp: new Date().toISOString(),
        requestContext: {
          requestId,
          functionArn: `${String(record.configuration.FunctionArn)}:$LATEST`,
          condition: 'RetriesExhausted',
          approximateInvokeCount: retries + 1,
        },
        requestPayload: JSON.parse(payload),
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        responsePayload: { ...last, stackTrace: [] },
      }),
    );
  }

  private async attempt(
    record: LambdaFunctionRecord,
    payload: string,
    requestId: string,
    invocationType: 'Event' | 'RequestResponse',
    attempt: number,
  ): Promise<FunctionOutcome> {
    const c = record.configuration;
    const functionName = String(c.FunctionName);
    const outcome = await runFunctionCode({
      style: 'lambda',
      code: record.code,
      handler: String(c.Handler ?? 'index.handler'),
      timeoutMs: Number(c.Timeout ?? 3) * 1000,
      payload,
      context: { awsRequestId: requestId, functionName, invokedFunctionArn: String(c.FunctionArn) },
      env: {
        ...((c.Environment as { Variables?: Record<string, string> } | undefined)?.Variables ?? {}),
        AWS_REGION: this.region,
        AWS_LAMBDA_FUNCTION_NAME: functionName,
        AWS_LAMBDA_FUNCTION_TIMEOUT: String(c.Timeout ?? 3),
      },
    });
    this.attempts.push(attemptOf({ functionName, requestId, invocationType, attempt }, outcome));
    return outcome;
  }
}
