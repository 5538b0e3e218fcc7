import { type SourceQueryOptions, type Window, WindowedError } from '@windowed/core';
import type { GetLogsV2Response, SlsClient, SlsSdk } from './client.js';
import type { SlsStatement } from './compile.js';

const MAX_POLL_INTERVAL_MS = 5_000;
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * "Narrow down the query time range and perform multiple queries (up to 10 queries) to get the
 * complete results" (https://www.alibabacloud.com/help/doc-detail/128647.html): beyond that, an
 * `Incomplete` answer is a query over more than one query can scan, not one still under way.
 */
export const DEFAULT_INCOMPLETE_ATTEMPTS = 10;
export const DEFAULT_INCOMPLETE_MS = 120_000;

/** What a GetLogsV2 call needs besides the statement. */
export interface SlsFetcher {
  client: SlsClient;
  sdk: SlsSdk;
  project: string;
  logstore: string;
  /** `sls:project/logstore@host`, for messages. */
  source: string;
  pollIntervalMs: number;
  requestTimeoutMs: number;
  incomplete: { maxAttempts: number; maxMs: number };
  dedicatedSql: boolean;
}

/**
 * Sends the statement until SLS answers `Complete`: an `Incomplete` answer is a partial count, and
 * writing it would store a wrong number as if it were final
 * (https://www.alibabacloud.com/help/en/sls/developer-reference/api-sls-2020-12-30-getlogsv2,
 * `meta.progress`). Repeats are bounded by `incomplete` and by the run's deadline: a Standard SQL
 * query stops after scanning 400 MB and marks the rest Incomplete
 * (https://help.aliyun.com/en/sls/query-and-analysis1), so repeating it may never complete.
 */
export async function fetchComplete(
  fetcher: SlsFetcher,
  statement: SlsStatement,
  options: SourceQueryOptions,
  window: Window,
): Promise<Array<Record<string, string>>> {
  const started = Date.now();
  let wait = fetcher.pollIntervalMs;
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(options.signal, window);
    const remaining =
      options.deadline === undefined ? Number.POSITIVE_INFINITY : options.deadline - Date.now();
    if (remaining <= 0) throw deadlineError(window, attempt - 1, fetcher.source);
    const response = await send(fetcher, statement, Math.min(fetcher.requestTimeoutMs, remaining)).catch(
      (cause: unknown) => {
        // A request cut off by the read timeout clipped to the deadline ran out of time, not into SLS.
        if (options.deadline !== undefined && Date.now() >= options.deadline)
          throw deadlineError(window, attempt - 1, fetcher.source, cause);
        throw sourceError(fetcher, cause, window);
      },
    );
    const progress = response.body?.meta?.progress ?? response.headers?.['x-log-progress'];
    if (progress === 'Complete') return response.body?.data ?? [];
    const elapsed = Date.now() - started;
    if (attempt >= fetcher.incomplete.maxAttempts || elapsed + wait >= fetcher.incomplete.maxMs)
      throw stillIncomplete(fetcher, statement, window, attempt, elapsed);
    options.logger.debug('SLS answered Incomplete; repeating the query', {
      source: fetcher.source,
      attempt,
      waitMs: wait,
    });
    if (options.deadline !== undefined && Date.now() + wait >= options.deadline)
      throw deadlineError(window, attempt, fetcher.source);
    await sleep(wait, options.signal);
    wait = Math.min(wait * 2, MAX_POLL_INTERVAL_MS);
  }
}

function send(fetcher: SlsFetcher, statement: SlsStatement, readTimeout: number): Promise<GetLogsV2Response> {
  const { client, sdk } = fetcher;
  return client.getLogsV2WithOptions(
    fetcher.project,
    fetcher.logstore,
    new sdk.GetLogsV2Request({ from: statement.from, to: statement.to, query: statement.query }),
    // gzip, the one compression GetLogsV2 documents for JavaScript ("For PHP, JavaScript, and C#,
    // only the gzip algorithm is supported"); the SDK's default, lz4, needs a native addon that an
    // FC bundle leaves out.
    new sdk.GetLogsV2Headers({ acceptEncoding: 'gzip' }),
    {
      readTimeout: Math.max(1, readTimeout),
      connectTimeout: Math.min(CONNECT_TIMEOUT_MS, Math.max(1, readTimeout)),
    },
  );
}

/**
 * SLS refuses SQL on a field without an index that has analytics (statistics) enabled: "line 1:44:
 * Column 'XXX' cannot be resolved;please add the column in the index attribute"
 * (https://www.alibabacloud.com/help/doc-detail/61628.htm).
 */
const UNRESOLVED_COLUMN = /Column '([^']+)' cannot be resolved/;

function sourceError(fetcher: SlsFetcher, cause: unknown, window: Window): WindowedError {
  const described = describeSdkError(cause);
  const column = UNRESOLVED_COLUMN.exec(described)?.[1];
  const advice = column
    ? ` SLS cannot analyze the field "${column}": in ${fetcher.project}/${fetcher.logstore}'s index, give "${column}" a field index ` +
      'with "Enable Analytics" (statistics) turned on. SQL then sees only logs written after that (reindex older ones), ' +
      'and values cut at 2,048 bytes unless the index says otherwise.'
    : '';
  return new WindowedError(
    'SOURCE_FAILED',
    `SLS GetLogsV2 on ${fetcher.source} failed: ${described}.${advice}`,
    {
      cause,
      window,
    },
  );
}

function stillIncomplete(
  fetcher: SlsFetcher,
  statement: SlsStatement,
  window: Window,
  attempts: number,
  elapsedMs: number,
): WindowedError {
  const range = `${new Date(statement.from * 1000).toISOString()} – ${new Date(statement.to * 1000).toISOString()}`;
  const remedies = fetcher.dedicatedSql
    ? 'Dedicated SQL scans at most 2 GB per query: query a narrower range — a smaller window, or a smaller batchSize in backfill.'
    : 'Run the SQL on Dedicated SQL with the source option `dedicatedSql: true` (it sends "set session parallel_sql=true;", ' +
      'scans up to 2 GB per query, billed by CPU time), or query a narrower range — a smaller window, or a smaller batchSize in backfill.';
  return new WindowedError(
    'SOURCE_FAILED',
    `${fetcher.source} answered Incomplete ${attempts} time(s) in ${Math.round(elapsedMs / 100) / 10} s for ${range}: ` +
      'a Standard SQL query stops after scanning 400 MB and marks the rest Incomplete, so repeating it may never complete ' +
      `(each repeat is billed). Nothing was written. ${remedies} The source option \`incomplete: { maxAttempts, maxMs }\` sets how long to keep repeating.`,
    { window },
  );
}

function describeSdkError(error: unknown): string {
  const e = error as {
    code?: unknown;
    message?: unknown;
    data?: { requestId?: unknown; httpCode?: unknown };
  };
  const parts = [
    e?.data?.httpCode ? `HTTP ${String(e.data.httpCode)}` : '',
    typeof e?.code === 'string' ? e.code : '',
    typeof e?.message === 'string' ? e.message.split('\n')[0] : String(error),
    e?.data?.requestId ? `(request id ${String(e.data.requestId)})` : '',
  ];
  return parts.filter(Boolean).join(' ');
}

function deadlineError(window: Window, incomplete: number, source: string, cause?: unknown): WindowedError {
  return new WindowedError(
    'DEADLINE_EXCEEDED',
    `${source} did not return a Complete result before the run's deadline (${incomplete} Incomplete answer(s)); ` +
      'nothing was written for this window. The platform retries the invocation; if SLS stays slow, raise the function timeout.',
    { window, ...(cause === undefined ? {} : { cause }) },
  );
}

function throwIfAborted(signal: AbortSignal, window: Window): void {
  if (!signal.aborted) return;
  // The runner aborts with its own DEADLINE_EXCEEDED reason when it stops to record the failure.
  if (signal.reason instanceof WindowedError) throw signal.reason;
  throw new WindowedError('ABORTED', 'The SLS query was aborted.', { window, cause: signal.reason });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
