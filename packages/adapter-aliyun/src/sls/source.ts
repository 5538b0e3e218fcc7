import {
  type DeclarativeQuery,
  type MultiWindowResult,
  type Row,
  type Source,
  type SourceQueryOptions,
  type SourceResult,
  uniformRuns,
  type Window,
  WindowedError,
} from '@windowed/core';
import { type AliyunCredentials, credentialsFromEnv, getFcCredentials } from '../credentials.js';
import { createSlsClient, loadSlsSdk } from './client.js';
import {
  compileSlsMultiQuery,
  compileSlsQuery,
  SLS_MAX_ROWS,
  type SlsCompileOptions,
  toSlsSeconds,
  WINDOW_START_COLUMN,
} from './compile.js';
import {
  DEFAULT_INCOMPLETE_ATTEMPTS,
  DEFAULT_INCOMPLETE_MS,
  fetchComplete,
  type SlsFetcher,
} from './fetch.js';
import { parseSlsSourceOptions, type SlsSourceOptions } from './options.js';

/** A Log Service logstore as a windowed source (`{ type: 'sls', project, logstore, endpoint }`). */
export function createSlsSource(options: SlsSourceOptions): Source {
  return new SlsSource(options);
}

class SlsSource implements Source {
  readonly type = 'sls';
  private readonly options: ReturnType<typeof parseSlsSourceOptions>;
  private readonly maxRows: number;
  private fetcher: Promise<SlsFetcher> | undefined;

  constructor(input: SlsSourceOptions) {
    this.options = parseSlsSourceOptions(input);
    this.maxRows = this.options.maxRows ?? SLS_MAX_ROWS;
  }

  describe(): string {
    const { project, logstore, endpointInfo } = this.options;
    return `sls:${project}/${logstore}@${endpointInfo.host}`;
  }

  async query(query: DeclarativeQuery, window: Window, options: SourceQueryOptions): Promise<SourceResult> {
    const statement = compileSlsQuery(query, window, this.compileOptions());
    const data = await fetchComplete(await this.getFetcher(), statement, options, window);
    // Only a grouped statement has a LIMIT; an ungrouped one answers one row.
    if (query.groupBy?.length && data.length >= this.maxRows) throw this.rowCapReached(window, query);
    return { rows: data.map((raw) => parseRow(raw, query)) };
  }

  /**
   * One statement per run of equal-sized windows (`uniformRuns`), grouped by window start. An answer
   * that reaches `maxRows` may have lost rows without an error (SLS drops what is past the LIMIT),
   * so its run is halved and asked again, down to one window.
   */
  async queryMany(
    query: DeclarativeQuery,
    windows: readonly Window[],
    options: SourceQueryOptions,
  ): Promise<MultiWindowResult> {
    const rows = new Map<string, Row[]>();
    for (const run of uniformRuns(windows)) {
      if (run.windows.length > 0) await this.queryRun(query, run.windows, run.originMs, options, rows);
    }
    return { rows };
  }

  private async queryRun(
    query: DeclarativeQuery,
    run: readonly Window[],
    originMs: number,
    options: SourceQueryOptions,
    into: Map<string, Row[]>,
  ): Promise<void> {
    const first = run[0]!;
    const last = run[run.length - 1]!;
    const statement = compileSlsMultiQuery(
      query,
      {
        originSec: toSlsSeconds(new Date(originMs), 'origin'),
        sizeSec: toSlsSeconds(new Date(first.end.getTime() - first.start.getTime()), 'size'),
        from: toSlsSeconds(first.start, 'start'),
        to: toSlsSeconds(last.end, 'end'),
      },
      this.compileOptions(),
    );
    const data = await fetchComplete(await this.getFetcher(), statement, options, first);
    if (data.length >= this.maxRows) {
      if (run.length === 1) throw this.rowCapReached(first, query);
      const half = Math.ceil(run.length / 2);
      await this.queryRun(query, run.slice(0, half), originMs, options, into);
      await this.queryRun(query, run.slice(half), originMs, options, into);
      return;
    }
    const byStart = new Map(run.map((w) => [w.start.getTime(), w]));
    for (const raw of data) {
      // Buckets between requested windows (a run with gaps) are not asked for: dropped.
      const window = byStart.get(Number(raw[WINDOW_START_COLUMN]) * 1000);
      if (!window) continue;
      const list = into.get(window.key) ?? [];
      list.push(parseRow(raw, query));
      into.set(window.key, list);
    }
  }

  private rowCapReached(window: Window, query: DeclarativeQuery): WindowedError {
    const groups = query.groupBy?.length ? ` (${query.groupBy.join(', ')} groups)` : '';
    return new WindowedError(
      'SOURCE_FAILED',
      `${this.describe()} answered window ${window.key} with ${this.maxRows} rows${groups}, the most one query returns ` +
        `(the maxRows option, at most SLS's LIMIT of ${SLS_MAX_ROWS}); SLS drops the rest without an error, so the answer may be ` +
        'incomplete and nothing was written. Use fewer or coarser group-by fields, or a smaller window.',
      { window },
    );
  }

  private compileOptions(): SlsCompileOptions {
    return {
      ...(this.options.query !== undefined ? { search: this.options.query } : {}),
      ...(this.options.timeField !== undefined ? { timeField: this.options.timeField } : {}),
      maxRows: this.maxRows,
      dedicatedSql: this.options.dedicatedSql === true,
    };
  }

  private async getFetcher(): Promise<SlsFetcher> {
    this.credentials(); // fails early, as INVALID_CONFIG, when there are none
    this.fetcher ??= loadSlsSdk().then((sdk) => ({
      client: createSlsClient(sdk.Client, this.options.endpointInfo, () => this.credentials()),
      sdk,
      project: this.options.project,
      logstore: this.options.logstore,
      source: this.describe(),
      pollIntervalMs: this.options.pollIntervalMs ?? 500,
      requestTimeoutMs: this.options.requestTimeoutMs ?? 60_000,
      incomplete: {
        maxAttempts: this.options.incomplete?.maxAttempts ?? DEFAULT_INCOMPLETE_ATTEMPTS,
        maxMs: this.options.incomplete?.maxMs ?? DEFAULT_INCOMPLETE_MS,
      },
      dedicatedSql: this.options.dedicatedSql === true,
    }));
    return this.fetcher;
  }

  /** Resolved on every request: FC rotates the function's STS token between invocations. */
  private credentials(): AliyunCredentials {
    const { accessKeyId, accessKeySecret, securityToken } = this.options;
    if (accessKeyId && accessKeySecret)
      return { accessKeyId, accessKeySecret, ...(securityToken ? { securityToken } : {}) };
    const found = getFcCredentials() ?? credentialsFromEnv();
    if (!found) {
      throw new WindowedError(
        'INVALID_CONFIG',
        `No credentials for ${this.describe()}: give the source accessKeyId/accessKeySecret, run it under fcHandler/fcAsyncHandler ` +
          "(the function's role via context.credentials), or set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET.",
      );
    }
    return found;
  }
}

/** SLS answers in strings: metrics become numbers (or null), dimensions strings (or null). */
function parseRow(raw: Record<string, string>, query: DeclarativeQuery): Row {
  const row: Row = {};
  for (const field of query.groupBy ?? []) {
    const value = raw[field];
    row[field] = value === undefined || value === 'null' ? null : value;
  }
  for (const name of Object.keys(query.metrics)) {
    const value = raw[name];
    const n = value === undefined || value === 'null' || value === '' ? Number.NaN : Number(value);
    row[name] = Number.isFinite(n) ? n : null;
  }
  return row;
}
