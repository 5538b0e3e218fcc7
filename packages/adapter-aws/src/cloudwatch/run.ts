import type { CloudWatchLogsClient, GetQueryResultsCommandOutput } from '@aws-sdk/client-cloudwatch-logs';
import { type Logger, WindowedError } from '@windowed/core';

/** The SDK is loaded on first use: a job that never queries CloudWatch never pays for loading it. */
const sdk = () => import('@aws-sdk/client-cloudwatch-logs');

export interface PollOptions {
  /** First wait between `GetQueryResults` polls (and after `LimitExceededException`). */
  initialMs: number;
  /** Longest wait between polls. */
  maxMs: number;
}

export interface RunQueryRequest {
  logGroupNames?: string[];
  logGroupIdentifiers?: string[];
  queryString: string;
  startTime: number;
  endTime: number;
  limit: number;
}

export interface RunQueryOptions {
  signal: AbortSignal;
  deadline?: number;
  logger: Logger;
  poll: PollOptions;
}

export interface QueryOutcome {
  rows: Array<Record<string, string>>;
  /** The answer hit the `limit`: rows may be missing. */
  truncated: boolean;
}

/**
 * Starts an Insights query and polls it to completion with backoff.
 * - `LimitExceededException` (the account's concurrent-query quota, 100 by default) waits and starts again;
 * - `Failed` / `Timeout` / `Cancelled` fail with SOURCE_FAILED;
 * - at the deadline (or on abort) the query is stopped with `StopQuery` so it stops costing money
 *   and stops holding one of the account's concurrent-query slots.
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetQueryResults.html
 */
export async function runInsightsQuery(
  client: CloudWatchLogsClient,
  request: RunQueryRequest,
  options: RunQueryOptions,
): Promise<QueryOutcome> {
  const queryId = await startQuery(client, request, options);
  let delay = options.poll.initialMs;
  try {
    for (;;) {
      await pause(delay, options);
      const output: GetQueryResultsCommandOutput = await client.send(
        new (await sdk()).GetQueryResultsCommand({ queryId }),
        {
          abortSignal: options.signal,
        },
      );
      switch (output.status) {
        case 'Complete': {
          const rows = (output.results ?? []).map((fields) => {
            const row: Record<string, string> = {};
            for (const { field, value } of fields)
              if (field !== undefined && value !== undefined) row[field] = value;
            return row;
          });
          return { rows, truncated: rows.length >= request.limit };
        }
        case 'Failed':
        case 'Timeout':
        case 'Cancelled':
          throw new WindowedError(
            'SOURCE_FAILED',
            `The Logs Insights query ${queryId} ended with status ${output.status}.`,
          );
        default:
          delay = Math.min(options.poll.maxMs, Math.ceil(delay * 1.5));
      }
    }
  } catch (error) {
    if (!(error instanceof WindowedError && error.code === 'SOURCE_FAILED'))
      await stopQuery(client, queryId, options.logger);
    throw asSourceError(error, options);
  }
}

async function startQuery(
  client: CloudWatchLogsClient,
  request: RunQueryRequest,
  options: RunQueryOptions,
): Promise<string> {
  let delay = options.poll.initialMs;
  for (;;) {
    try {
      const output = await client.send(new (await sdk()).StartQueryCommand(request), {
        abortSignal: options.signal,
      });
      if (!output.queryId) throw new WindowedError('SOURCE_FAILED', 'StartQuery answered without a queryId.');
      return output.queryId;
    } catch (error) {
      if ((error as Error)?.name !== 'LimitExceededException') throw asSourceError(error, options);
      options.logger.warn('Logs Insights concurrent query limit reached; retrying', { retryInMs: delay });
      await pause(delay, options).catch((e) => {
        throw asSourceError(e, options);
      });
      delay = Math.min(options.poll.maxMs, delay * 2);
    }
  }
}

async function stopQuery(client: CloudWatchLogsClient, queryId: string, logger: Logger): Promise<void> {
  try {
    await client.send(new (await sdk()).StopQueryCommand({ queryId }));
  } catch (error) {
    // Already finished, or unreachable: the query ends by itself at its 60-minute timeout.
    logger.warn('Could not stop a Logs Insights query', { queryId, error: (error as Error)?.name });
  }
}

/** Waits `ms` (with jitter), or fails at once when the signal fires or the deadline would pass. */
function pause(ms: number, options: RunQueryOptions): Promise<void> {
  const wait = Math.round(ms * (0.8 + Math.random() * 0.4));
  if (options.signal.aborted) return Promise.reject(options.signal.reason);
  if (options.deadline !== undefined && Date.now() + wait >= options.deadline) {
    return Promise.reject(
      new WindowedError(
        'DEADLINE_EXCEEDED',
        'The Logs Insights query did not complete before the deadline; it was stopped.',
      ),
    );
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      options.signal.removeEventListener('abort', onAbort);
      resolve();
    }, wait);
    const onAbort = () => {
      clearTimeout(timer);
      reject(options.signal.reason);
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
  });
}

function asSourceError(error: unknown, options: RunQueryOptions): WindowedError {
  if (error instanceof WindowedError) return error;
  if (options.signal.aborted) {
    const reason = options.signal.reason;
    if (reason instanceof WindowedError) return reason;
    return new WindowedError('ABORTED', 'The Logs Insights query was aborted.', { cause: error });
  }
  const name = (error as Error)?.name ?? 'Error';
  const message = (error as Error)?.message ?? String(error);
  const advice =
    name === 'ResourceNotFoundException'
      ? ' Check logGroupNames and region.'
      : name === 'MalformedQueryException'
        ? ' This is a bug in the compiled query; please report it.'
        : '';
  return new WindowedError('SOURCE_FAILED', `CloudWatch Logs ${name}: ${message}.${advice}`, {
    cause: error,
  });
}
