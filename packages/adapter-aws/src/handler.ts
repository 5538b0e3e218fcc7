import {
  type BackfillChunkSummary,
  isBackfillPayload,
  type Logger,
  parseBackfillPayload,
  type RunResult,
  type RunResultJson,
  runBackfillPayload,
  runResultJson,
  type WindowedJob,
} from '@windowed/core';
import { fromScheduledEvent } from './event.js';

/** The parts of the Lambda context object windowed reads. */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
  awsRequestId?: string;
  functionName?: string;
  invokedFunctionArn?: string;
}

export interface LambdaHandlerOptions {
  /** Overrides the job's logger for runs started by this handler. */
  logger?: Logger;
  /**
   * The function's configured timeout; a `running` ledger row older than this is treated as failed.
   * Default: `WINDOWED_FUNCTION_TIMEOUT_MS` (the deploy sets it), else the job's `catchUp.staleAfter`.
   */
  functionTimeoutMs?: number;
}

/** What the handler resolves with: JSON, for a synchronous `aws lambda invoke`. */
export interface LambdaRunSummary extends RunResultJson {
  durationMs: number;
}

export type LambdaHandler = (
  event: unknown,
  context?: LambdaContext,
) => Promise<LambdaRunSummary | BackfillChunkSummary>;

/**
 * The Lambda handler for a job: `export const handler = lambdaHandler(job)`.
 *
 * Each invocation normalizes its own event, so a warm container never reuses a window; the job's
 * connections are what it reuses. The remaining time becomes the run's deadline (the runner stops
 * early enough to record a failure). Failures reject, so Lambda retries the async event and finally
 * hands it to the OnFailure destination. A backfill payload (`windowed backfill --remote`) runs its
 * chunk of windows the same way, on the same ledger.
 */
export function lambdaHandler(job: WindowedJob, options: LambdaHandlerOptions = {}): LambdaHandler {
  const functionTimeoutMs = options.functionTimeoutMs ?? envTimeoutMs();
  return async (event, context) => {
    const remaining = context?.getRemainingTimeInMillis?.();
    const deadline =
      typeof remaining === 'number' && Number.isFinite(remaining) ? Date.now() + remaining : undefined;
    if (isBackfillPayload(event)) {
      const payload = parseBackfillPayload(event, job);
      // The job's own logger: `options.logger` is per run, and a backfill is not a run.
      return runBackfillPayload(job, payload, deadline !== undefined ? { deadline } : {});
    }
    const trigger = fromScheduledEvent(event);
    const result = await job.run(trigger, {
      rawEvent: event,
      ...(deadline !== undefined ? { deadline } : {}),
      ...(context?.awsRequestId ? { requestId: context.awsRequestId } : {}),
      ...(functionTimeoutMs ? { functionTimeoutMs } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    return summarize(result);
  };
}

function summarize(result: RunResult): LambdaRunSummary {
  return { ...runResultJson(result), durationMs: Math.round(result.durationMs) };
}

function envTimeoutMs(): number | undefined {
  const value = Number(process.env.WINDOWED_FUNCTION_TIMEOUT_MS);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}
