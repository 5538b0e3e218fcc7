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
import {
  compileSlsMultiQuery,
  compileSlsQuery,
  type SlsStatement,
  toSlsSeconds,
  WINDOW_START_COLUMN,
} from './compile.js';
import { parseSlsSourceOptions, type SlsEndpoint, type SlsSourceOptions } from './options.js';

const MAX_POLL_INTERVAL_MS = 5_000;
const CONNECT_TIMEOUT_MS = 10_000;

/** The slice of `@alicloud/sls20201230` this source uses. */
interface SlsSdk {
  Client: new (
    config: Record<string, unknown>,
  ) => {
    getLogsV2WithOptions(
      project: string,
      logstore: string,
      request: unknown,
      headers: unknown,
      runtime: unknown,
    ): Promise<GetLogsV2Response>;
  };
  GetLogsV2Request: new (map: Record<string, unknown>) => unknown;
  GetLogsV2Headers: new (map: Record<string, unknown>) => unknown;
}

interface GetLogsV2Response {
  headers?: Record<string, string>;
  body?: { data?: Array<Record<string, string>>; meta?: { progress?: string } };
}

type SlsClient = InstanceType<SlsSdk['Client']>;

let sdk: Promise<SlsSdk> | undefined;

/** Loaded on first query, so a job on another source never pays for the SDK at cold start. */
function loadSdk(): Promise<SlsSdk> {
  sdk ??= import('@alicloud/sls20201230').then((module) => {
    const m = module as unknown as Record<string, unknown> & { default?: Record<string, unknown> };
    // CJS interop: the client is `exports.default`; the models are named exports.
    const models = (m.GetLogsV2Request ? m : m.default) as Record<string, unknown>;
    let Client = m.default as unknown;
    while (Client && typeof Client !== 'function') Client = (Client as { default?: unknown }).default;
    return {
      Client,
      GetLogsV2Request: models.GetLogsV2Request,
      GetLogsV2Headers: models.GetLogsV2Headers,
    } as SlsSdk;
  });
  return sdk;
}

/** A Log Service logstore as a windowed source (`{ type: 'sls', project, logstore, endpoint }`). */
export function createSlsSource(options: SlsSourceOptions): Source {
  return new SlsSource(options);
}

class SlsSource implements Source {
  readonly type = 'sls';
  private readonly options: ReturnType<typeof parseSlsSourceOptions>;
  private client: Promise<SlsClient> | undefined;

  constructor(input: SlsSourceOptions) {
    this.options = parseSlsSourceOptions(input);
  }

  describe(): string {
    const { project, logstore, endpointInfo } = this.options;
    return `sls:${project}/${logstore}@${endpointInfo.host}`;
  }

  async query(query: DeclarativeQuery, window: Window, options: SourceQueryOptions): Promise<SourceResult> {
    const statement = compileSlsQuery(query, window, this.compileOptions());
    const data = await this.fetchComplete(statement, options, window);
    return { rows: data.map((raw) => parseRow(raw, query)) };
  }

  /** One statement per run of equal-sized windows (`uniformRuns`), grouped by window start. */
  async queryMany(
    query: DeclarativeQuery,
    windows: readonly Window[],
    options: SourceQueryOptions,
  ): Promise<MultiWindowResult> {
    const rows = new Map<string, Row[]>();
    for (const run of uniformRuns(windows)) {
      if (run.windows.length === 0) continue;
      const first = run.windows[0]!;
      const last = run.windows[run.windows.length - 1]!;
      const statement = compileSlsMultiQuery(
        query,
        {
          originSec: toSlsSeconds(new Date(run.originMs), 'origin'),
          sizeSec: toSlsSeconds(new Date(run.sizeMs), 'size'),
          from: toSlsSeconds(first.start, 'start'),
          to: toSlsSeconds(last.end, 'end'),
        },
        this.compileOptions(),
      );
      const byStart = new Map(run.windows.map((w) => [w.start.getTime(), w]));
      const data = await this.fetchComplete(statement, options, first);
      for (const raw of data) {
        const startSec = Number(raw[WINDOW_START_COLUMN]);
        // Buckets between requested windows (a run with gaps) are not asked for: dropped.
        const window = byStart.get(startSec * 1000);
        if (!window) continue;
        const list = rows.get(window.key) ?? [];
        list.push(parseRow(raw, query));
        rows.set(window.key, list);
      }
    }
    return { rows };
  }

  private compileOptions() {
    return {
      ...(this.options.query !== undefined ? { search: this.options.query } : {}),
      ...(this.options.timeField !== undefined ? { timeField: this.options.timeField } : {}),
    };
  }

  /**
   * Repeats the statement until SLS says the answer is `Complete`: an `Incomplete` answer is a
   * partial count, and writing it would store a wrong number as if it were final.
   * https://help.aliyun.com/document_detail/2771313.html (GetLogsV2, meta.progress)
   */
  private async fetchComplete(
    statement: SlsStatement,
    options: SourceQueryOptions,
    window: Window,
  ): Promise<Array<Record<string, string>>> {
    const { project, logstore } = this.options;
    this.credentials(); // fails early, as INVALID_CONFIG, when there are none
    const client = await this.getClient();
    const { GetLogsV2Request, GetLogsV2Headers } = await loadSdk();
    let wait = this.options.pollIntervalMs ?? 500;
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(options.signal, window);
      const remaining =
        options.deadline === undefined ? Number.POSITIVE_INFINITY : options.deadline - Date.now();
      if (remaining <= 0) throw deadlineError(window, attempt - 1, this.describe());
      const readTimeout = Math.max(1, Math.min(this.options.requestTimeoutMs ?? 60_000, remaining));
      let response: GetLogsV2Response;
      try {
        response = await client.getLogsV2WithOptions(
          project,
          logstore,
          new GetLogsV2Request({ from: statement.from, to: statement.to, query: statement.query }),
          // deflate, not the SDK's default lz4: lz4 needs a native addon that an FC bundle leaves out.
          new GetLogsV2Headers({ acceptEncoding: 'deflate' }),
          { readTimeout, connectTimeout: Math.min(CONNECT_TIMEOUT_MS, readTimeout) },
        );
      } catch (cause) {
        throw new WindowedError(
          'SOURCE_FAILED',
          `SLS GetLogsV2 on ${this.describe()} failed: ${describeSdkError(cause)}`,
          { cause, window },
        );
      }
      const progress = response.body?.meta?.progress ?? response.headers?.['x-log-progress'];
      if (progress === 'Complete') return response.body?.data ?? [];
      options.logger.debug('SLS answered Incomplete; repeating the query', {
        source: this.describe(),
        attempt,
        waitMs: wait,
      });
      if (options.deadline !== undefined && Date.now() + wait >= options.deadline) {
        throw deadlineError(window, attempt, this.describe());
      }
      await sleep(wait, options.signal);
      wait = Math.min(wait * 2, MAX_POLL_INTERVAL_MS);
    }
  }

  private getClient(): Promise<SlsClient> {
    this.client ??= loadSdk().then(({ Client }) =>
      createClient(Client, this.options.endpointInfo, () => this.credentials()),
    );
    return this.client;
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

function createClient(
  Client: SlsSdk['Client'],
  endpoint: SlsEndpoint,
  credentials: () => AliyunCredentials,
): SlsClient {
  // A credential provider object instead of fixed keys: the gateway asks it before each request.
  const credential = {
    getCredential: async () => {
      const c = credentials();
      return { ...c, type: c.securityToken ? 'sts' : 'access_key' };
    },
    getAccessKeyId: async () => credentials().accessKeyId,
    getAccessKeySecret: async () => credentials().accessKeySecret,
    getSecurityToken: async () => credentials().securityToken ?? '',
    getType: () => 'sts',
  };
  return new Client({ endpoint: endpoint.host, protocol: endpoint.protocol, credential });
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

function deadlineError(window: Window, incomplete: number, source: string): WindowedError {
  return new WindowedError(
    'DEADLINE_EXCEEDED',
    `${source} did not return a Complete result before the run's deadline (${incomplete} Incomplete answer(s)); ` +
      'nothing was written for this window. The platform retries the invocation; if SLS stays slow, raise the function timeout.',
    { window },
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
