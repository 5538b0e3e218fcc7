import {
  type BackfillChunkSummary,
  isBackfillPayload,
  parseBackfillPayload,
  type RunContext,
  type RunResult,
  runBackfillPayload,
  type WindowedJob,
} from '@windowed/core';
import { setFcCredentials } from './credentials.js';
import { decodeFcEvent, fromFcTimerEvent } from './event.js';

/** The `context` FC passes a Node.js handler (the fields windowed reads). */
export interface FcContext {
  requestId?: string;
  /** The service role's STS token (FC 2.0) / the function role's (FC 3.0). */
  credentials?: { accessKeyId?: string; accessKeySecret?: string; securityToken?: string };
  function?: { name?: string; handler?: string; memory?: number /** seconds */; timeout?: number };
  service?: { name?: string; logProject?: string; logStore?: string; qualifier?: string; versionId?: string };
  region?: string;
  accountId?: string;
}

export type FcCallback = (error: Error | null, result?: unknown) => void;

export interface FcHandlerOptions {
  /**
   * Record `context.credentials` with `setFcCredentials` on every invocation, so an SLS source
   * without its own keys queries with the function's role. Default true.
   */
  useFunctionCredentials?: boolean;
}

/**
 * An FC 3.0 / Node.js 18+ handler: `export const handler = fcAsyncHandler(job)`.
 * Resolves with the run's result; rejects when the run failed, so FC retries the async invocation
 * and finally delivers it to the onFailure destination. Everything time-dependent is computed per
 * invocation; only the job (and its pooled connections) is shared across warm invocations.
 * A backfill payload (`windowed backfill --remote`) runs its chunk of windows on the same ledger.
 */
export function fcAsyncHandler(
  job: WindowedJob,
  options: FcHandlerOptions = {},
): (event: unknown, context?: FcContext) => Promise<RunResult | BackfillChunkSummary> {
  return async (event, context) => {
    const start = Date.now();
    const ctx = context ?? {};
    if (options.useFunctionCredentials !== false) {
      const c = ctx.credentials;
      setFcCredentials(
        c?.accessKeyId && c.accessKeySecret
          ? {
              accessKeyId: c.accessKeyId,
              accessKeySecret: c.accessKeySecret,
              ...(c.securityToken ? { securityToken: c.securityToken } : {}),
            }
          : undefined,
      );
    }
    const decoded = decodeFcEvent(event);
    if (isBackfillPayload(decoded)) {
      const { deadline } = runContext(event, ctx, start);
      return runBackfillPayload(job, parseBackfillPayload(decoded, job), deadline ? { deadline } : {});
    }
    // The trigger id comes from the event (timer name and time), never from the request id.
    return job.run(fromFcTimerEvent(decoded), runContext(event, ctx, start));
  };
}

/**
 * An FC 2.0 event handler `(event, context, callback)`: `exports.handler = fcHandler(job)`.
 * A failed run reaches FC as `callback(error)`.
 */
export function fcHandler(
  job: WindowedJob,
  options: FcHandlerOptions = {},
): (event: unknown, context: FcContext | undefined, callback: FcCallback) => void {
  const run = fcAsyncHandler(job, options);
  return (event, context, callback) => {
    run(event, context).then(
      (result) => callback(null, result),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  };
}

/** The run's deadline counts from the handler's start: FC's timeout covers the whole invocation. */
function runContext(event: unknown, ctx: FcContext, start: number): RunContext {
  const timeoutSec = ctx.function?.timeout;
  const timed = typeof timeoutSec === 'number' && Number.isFinite(timeoutSec) && timeoutSec > 0;
  return {
    rawEvent: event,
    ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
    ...(timed ? { deadline: start + timeoutSec * 1000, functionTimeoutMs: timeoutSec * 1000 } : {}),
  };
}
