import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import {
  type DeclarativeQuery,
  firstIssue,
  issuePath,
  type MultiWindowResult,
  type Row,
  type Source,
  type SourceQueryOptions,
  type SourceResult,
  safeParseSchema,
  type Window,
  WindowedError,
} from '@windowed/core';
import * as v from 'valibot';
import { BIN_FIELD, type CompiledInsights, compileInsightsQuery } from './compile.js';
import { type PollOptions, runInsightsQuery } from './run.js';

/** `{ type: 'cloudwatch', logGroupNames: ['/app/access'], region: 'us-east-1' }` */
export interface CloudWatchSourceOptions {
  type?: 'cloudwatch';
  /** Log groups to query (at most 50); or `logGroupIdentifiers` (names or ARNs, for cross-account). */
  logGroupNames?: string[];
  logGroupIdentifiers?: string[];
  /** Default: the SDK's (`AWS_REGION` inside Lambda). */
  region?: string;
  /** Another endpoint (VPC endpoint, tests). */
  endpoint?: string;
  /** Default: the SDK's credential chain (the execution role inside Lambda). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Rows a query may return; reaching it is an error, never a silently short answer. Default and maximum 10,000. */
  limit?: number;
  /** Backoff between `GetQueryResults` polls. Default `{ initialMs: 500, maxMs: 5000 }`. */
  poll?: Partial<PollOptions>;
  /** Insights queries this source runs at once, at most `concurrentQueryQuota`. Default 4. */
  maxConcurrentQueries?: number;
  /**
   * The account's concurrent Insights query quota, shared by every query in the account (dashboards,
   * other jobs): 100 by default, per the StartQuery reference. Give the raised value if AWS raised it.
   * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartQuery.html
   */
  concurrentQueryQuota?: number;
  /** An SDK client to use instead of creating one (object form only). */
  client?: CloudWatchLogsClient;
}

const MAX_LIMIT = 10_000;
/** "You can have up to 100 concurrent CloudWatch Logs insights queries" (API_StartQuery). */
const DEFAULT_QUERY_QUOTA = 100;

/** Built on first use: a function whose source is not CloudWatch never builds it. */
let optionsSchema: ReturnType<typeof buildOptionsSchema> | undefined;

function buildOptionsSchema() {
  const positiveInt = v.pipe(v.number(), v.safeInteger(), v.minValue(1));
  const names = (max: number) =>
    v.pipe(v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(max))), v.minLength(1), v.maxLength(50));
  return v.pipe(
    v.strictObject({
      type: v.optional(v.literal('cloudwatch')),
      logGroupNames: v.optional(names(512)),
      logGroupIdentifiers: v.optional(names(2048)),
      region: v.optional(
        v.pipe(v.string(), v.regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'expected an AWS region such as us-east-1')),
      ),
      endpoint: v.optional(
        v.pipe(v.string(), v.url('expected a URL such as https://logs.us-east-1.amazonaws.com')),
      ),
      credentials: v.optional(
        v.object({
          accessKeyId: v.pipe(v.string(), v.minLength(1)),
          secretAccessKey: v.pipe(v.string(), v.minLength(1)),
          sessionToken: v.optional(v.string()),
        }),
      ),
      limit: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(MAX_LIMIT))),
      poll: v.optional(
        v.strictObject({ initialMs: v.optional(positiveInt), maxMs: v.optional(positiveInt) }),
      ),
      maxConcurrentQueries: v.optional(positiveInt),
      concurrentQueryQuota: v.optional(positiveInt),
      client: v.optional(
        v.custom<CloudWatchLogsClient>(
          (value) => typeof value === 'object' && value !== null && 'send' in value,
          'expected a CloudWatchLogsClient',
        ),
      ),
    }),
    v.check(
      (o) => (o.logGroupNames === undefined) !== (o.logGroupIdentifiers === undefined),
      'expected exactly one of logGroupNames or logGroupIdentifiers',
    ),
    v.forward(
      v.check(
        (o) => (o.maxConcurrentQueries ?? 0) <= (o.concurrentQueryQuota ?? DEFAULT_QUERY_QUOTA),
        `expected at most concurrentQueryQuota (${DEFAULT_QUERY_QUOTA} unless given): the account's quota is shared by all its queries`,
      ),
      ['maxConcurrentQueries'],
    ),
  );
}

/**
 * A CloudWatch Logs Insights source. Answers each window exactly over `[start, end)` (ms), distinct
 * counts exactly unless the job asks for `approximate`, and many windows at once with `bin()`.
 */
export function createCloudWatchSource(input: CloudWatchSourceOptions | Record<string, unknown>): Source {
  optionsSchema ??= buildOptionsSchema();
  const parsed = safeParseSchema(optionsSchema, input);
  if (!parsed.success) {
    const issue = firstIssue(parsed.issues);
    throw new WindowedError(
      'INVALID_CONFIG',
      `Invalid cloudwatch source option "${issuePath(issue) || 'options'}": ${issue.message}. Expected { type: 'cloudwatch', logGroupNames: ['/my/group'], region?: 'us-east-1' }.`,
    );
  }
  return new CloudWatchSource(parsed.output as CloudWatchSourceOptions);
}

class CloudWatchSource implements Source {
  readonly type = 'cloudwatch';
  private client: CloudWatchLogsClient | undefined;
  private readonly ownsClient: boolean;
  private readonly poll: PollOptions;
  private readonly limit: number;
  private readonly concurrency: number;

  constructor(private readonly options: CloudWatchSourceOptions) {
    this.client = options.client;
    this.ownsClient = options.client === undefined;
    this.poll = { initialMs: options.poll?.initialMs ?? 500, maxMs: options.poll?.maxMs ?? 5_000 };
    this.limit = options.limit ?? MAX_LIMIT;
    this.concurrency = options.maxConcurrentQueries ?? 4;
  }

  async query(query: DeclarativeQuery, window: Window, options: SourceQueryOptions): Promise<SourceResult> {
    const compiled = compileInsightsQuery(query, window);
    const rows = await this.execute(compiled, options);
    if (rows === 'truncated') throw this.truncated(window, query);
    return { rows: [...rows.values()].flat() };
  }

  async queryMany(
    query: DeclarativeQuery,
    windows: readonly Window[],
    options: SourceQueryOptions,
  ): Promise<MultiWindowResult> {
    const sorted = [...windows].sort((a, b) => a.start.getTime() - b.start.getTime());
    const result = new Map<string, Row[]>();
    const binMs = commonBin(sorted);
    const tasks: Array<() => Promise<void>> = [];
    if (binMs === undefined) {
      // Windows of varying length (DST days, months) or not aligned to the epoch: one query each.
      for (const window of sorted)
        tasks.push(async () => void result.set(window.key, (await this.query(query, window, options)).rows));
    } else {
      for (const run of contiguousRuns(sorted))
        tasks.push(() => this.binned(query, run, binMs, options, result));
    }
    await pool(tasks, Math.max(1, Math.floor(this.concurrency / 2)));
    return { rows: result };
  }

  describe(): string {
    const groups = this.options.logGroupNames ?? this.options.logGroupIdentifiers ?? [];
    return `cloudwatch:${this.options.region ?? 'default-region'}:${groups.join(',')}`;
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client?.destroy();
    this.client = undefined;
  }

  /** Contiguous windows of one length in one binned query; halves the run when the answer is truncated. */
  private async binned(
    query: DeclarativeQuery,
    run: readonly Window[],
    binMs: number,
    options: SourceQueryOptions,
    into: Map<string, Row[]>,
  ): Promise<void> {
    const compiled = compileInsightsQuery(
      query,
      { start: run[0]!.start, end: run[run.length - 1]!.end },
      { binMs },
    );
    const rows = await this.execute(compiled, options);
    if (rows === 'truncated') {
      if (run.length === 1) throw this.truncated(run[0]!, query);
      const half = Math.ceil(run.length / 2);
      await this.binned(query, run.slice(0, half), binMs, options, into);
      await this.binned(query, run.slice(half), binMs, options, into);
      return;
    }
    const byStart = new Map(run.map((w) => [w.start.getTime(), w]));
    for (const [bin, binRows] of rows) {
      const window = byStart.get(bin);
      if (window) into.set(window.key, binRows);
    }
  }

  /** Runs the compiled queries side by side and merges their rows by time bin and group. */
  private async execute(
    compiled: CompiledInsights,
    options: SourceQueryOptions,
  ): Promise<Map<number, Row[]> | 'truncated'> {
    const client = await this.getClient();
    // One failing query stops its siblings (and their cost) at once.
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal.reason);
    options.signal.addEventListener('abort', onAbort, { once: true });
    if (options.signal.aborted) onAbort();
    try {
      const outcomes = await allStopped(
        compiled.queries.map((q) =>
          runInsightsQuery(
            client,
            {
              ...(this.options.logGroupNames ? { logGroupNames: this.options.logGroupNames } : {}),
              ...(this.options.logGroupIdentifiers
                ? { logGroupIdentifiers: this.options.logGroupIdentifiers }
                : {}),
              queryString: q.queryString,
              startTime: compiled.startTime,
              endTime: compiled.endTime,
              limit: this.limit,
            },
            {
              signal: controller.signal,
              deadline: options.deadline,
              logger: options.logger,
              poll: this.poll,
            },
          ).catch((error) => {
            if (!controller.signal.aborted) controller.abort(error);
            throw error;
          }),
        ),
      );
      if (outcomes.some((o) => o.truncated)) return 'truncated';
      const merged = new Map<string, Row>();
      const binOf = new Map<string, number>();
      outcomes.forEach((outcome, i) => {
        for (const raw of outcome.rows) {
          const bin = compiled.binMs === undefined ? 0 : parseBin(raw[BIN_FIELD]);
          const dims = compiled.groupBy.map((f) => field(raw, f) ?? null);
          const key = JSON.stringify([bin, dims]);
          let row = merged.get(key);
          if (!row) {
            row = Object.fromEntries(compiled.groupBy.map((f, j) => [f, dims[j]!]));
            merged.set(key, row);
            binOf.set(key, bin);
          }
          for (const metric of compiled.queries[i]!.metrics) row[metric] = field(raw, metric) ?? null;
        }
      });
      const byBin = new Map<number, Row[]>();
      for (const [key, row] of merged) {
        const bin = binOf.get(key)!;
        byBin.set(bin, [...(byBin.get(bin) ?? []), row]);
      }
      return byBin;
    } finally {
      options.signal.removeEventListener('abort', onAbort);
    }
  }

  private truncated(window: Window, query: DeclarativeQuery): WindowedError {
    return new WindowedError(
      'SOURCE_FAILED',
      `The Logs Insights answer for window ${window.key} reached the ${this.limit}-row limit, so it may be incomplete` +
        `${query.groupBy?.length ? ` (too many ${query.groupBy.join(', ')} groups)` : ''}; refusing to store a possibly wrong number. ` +
        'Use fewer group-by fields or a smaller window.',
      { window },
    );
  }

  private async getClient(): Promise<CloudWatchLogsClient> {
    if (this.client) return this.client;
    // Loaded on first use: a job that never queries CloudWatch never loads the SDK.
    const { CloudWatchLogsClient } = await import('@aws-sdk/client-cloudwatch-logs');
    this.client ??= new CloudWatchLogsClient({
      ...(this.options.region ? { region: this.options.region } : {}),
      ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
      ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
    });
    return this.client;
  }
}

/** Result fields of names that needed backticks may come back with or without them. */
function field(raw: Record<string, string>, name: string): string | undefined {
  return raw[name] ?? raw[`\`${name}\``];
}

/** `bin()` values look like `2026-11-27 10:01:00.000` (UTC). */
function parseBin(value: string | undefined): number {
  if (value === undefined)
    throw new WindowedError('SOURCE_FAILED', 'A Logs Insights row came back without its time bin.');
  const text = /[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`;
  const ms = Date.parse(text);
  if (Number.isNaN(ms))
    throw new WindowedError('SOURCE_FAILED', `Unreadable Logs Insights time bin ${JSON.stringify(value)}.`);
  return ms;
}

/**
 * The bin length when every window has the same fixed length and starts on a multiple of it since
 * the epoch (`bin()` floors `@timestamp` to such multiples), else undefined.
 */
function commonBin(windows: readonly Window[]): number | undefined {
  const length = windows[0] ? windows[0].end.getTime() - windows[0].start.getTime() : 0;
  if (length <= 0 || length > 86_400_000) return undefined;
  const aligned = windows.every(
    (w) => w.end.getTime() - w.start.getTime() === length && w.start.getTime() % length === 0,
  );
  return aligned ? length : undefined;
}

function contiguousRuns(windows: readonly Window[]): Window[][] {
  const runs: Window[][] = [];
  for (const window of windows) {
    const last = runs[runs.length - 1];
    if (last && last[last.length - 1]!.end.getTime() === window.start.getTime()) last.push(window);
    else runs.push([window]);
  }
  return runs;
}

async function pool(tasks: Array<() => Promise<void>>, size: number): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (next < tasks.length && failed === undefined) {
      const task = tasks[next++]!;
      try {
        await task();
      } catch (error) {
        failed ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, tasks.length) }, worker));
  if (failed !== undefined) throw failed;
}

/**
 * `Promise.all`, but settles only when every query has finished or been stopped, so a window's
 * failure is reported after its sibling queries have released their concurrent-query slots. The
 * error is the first in time: the root cause, not a sibling's abort.
 */
async function allStopped<T>(promises: Promise<T>[]): Promise<T[]> {
  let first: { error: unknown } | undefined;
  const settled = await Promise.allSettled(
    promises.map((p) =>
      p.catch((error: unknown) => {
        first ??= { error };
        throw error;
      }),
    ),
  );
  if (first) throw first.error;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}
