import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBodyServer } from '../http.js';
import { installLoopbackDns } from './dns.js';
import { encodeBody } from './sls/compress.js';
import { Logstore, type SlsIndex } from './sls/logstore.js';
import { isDedicatedSql, parseSlsQuery, runSlsQuery, type SlsQuery } from './sls/query.js';
import { header, type LoopbackCredentials, verifySignature } from './sls/signature.js';
import { type LogRow, SlsQueryError } from './sls/sql.js';
import { getIndexAnswer } from './sls-index.js';

export type { SlsIndex } from './sls/logstore.js';
export type { LoopbackCredentials } from './sls/signature.js';

/**
 * Logs one query reads before SLS stops and marks the answer `Incomplete`: Standard SQL scans "up to
 * 400 MB per query (excluding cached data). Excess data is truncated with an incomplete query result
 * marker"; Dedicated SQL up to 2 GB (https://help.aliyun.com/en/sls/query-and-analysis1). Counted
 * in logs here, so a test can make a logstore "too big" with a handful.
 */
export interface SlsScanLimit {
  standard?: number;
  dedicated?: number;
}

export interface SlsServerOptions {
  /** Keys the server accepts. Default: one pair, `LTAI-test` / `test-secret`. */
  credentials?: LoopbackCredentials[];
  /**
   * How many times each distinct (query, from, to) is answered `Incomplete` (with a partial,
   * wrong result) before the `Complete` answer. Default 0; `Infinity` never completes.
   */
  incompleteAnswers?: number;
  /** Default: no scan limit. */
  scanLimit?: SlsScanLimit;
  /** The endpoint host suffix resolved to 127.0.0.1 for the test. Default `sls.test`. */
  domain?: string;
}

export interface SlsRequestRecord {
  project: string;
  logstore: string;
  query: string;
  from: number;
  to: number;
  accessKeyId: string | undefined;
  securityToken: string | undefined;
  progress: 'Complete' | 'Incomplete' | 'error';
  /** The query asked for Dedicated SQL (`set session parallel_sql=true;`). */
  dedicatedSql: boolean;
  /** The Accept-Encoding the client asked for; the answer is compressed accordingly. */
  acceptEncoding: string | undefined;
  /** The error SLS answered with, if any. */
  errorCode?: string;
}

export interface SlsLoopbackServer {
  /** Give this as the source's `endpoint`: `http://sls.test:<port>`. */
  endpoint: string;
  port: number;
  credentials: LoopbackCredentials[];
  /** Logs to query. `time` (Date, ISO string or epoch seconds) becomes `__time__`; other values are stored as strings. */
  putLogs(
    project: string,
    logstore: string,
    logs: Array<Record<string, unknown> & { time: Date | string | number }>,
  ): void;
  /** Creates an empty logstore (a query on an unknown one is a 404), optionally with an index. */
  createLogstore(project: string, logstore: string, index?: SlsIndex): void;
  /** Sets a logstore's index; logs written from now on are analyzed under it. */
  setIndex(project: string, logstore: string, index: SlsIndex): void;
  /** Changes how many Incomplete answers precede each Complete one (`Infinity`: never complete). */
  setIncompleteAnswers(count: number): void;
  /** Changes the scan limits (`{}`: none). */
  setScanLimit(limit: SlsScanLimit): void;
  /** Makes the next `count` requests fail with HTTP 500 `InternalServerError`. */
  failNext(count: number): void;
  requests: SlsRequestRecord[];
  close(): Promise<void>;
}

/**
 * A loopback Log Service answering `GetLogsV2` (`POST /logstores/{logstore}/logs` on the virtual
 * host `{project}.{endpoint}`), as `@alicloud/sls20201230` calls it. It verifies the v1 `LOG`
 * signature, evaluates the query over the logs a test put in (`sls/`), refuses SQL on fields without
 * statistics, answers `Incomplete` while a query is "still scanning" or beyond its scan limit, and
 * compresses the answer as asked.
 */
export async function startSlsServer(options: SlsServerOptions = {}): Promise<SlsLoopbackServer> {
  const domain = (options.domain ?? 'sls.test').toLowerCase();
  const credentials = options.credentials ?? [{ accessKeyId: 'LTAI-test', accessKeySecret: 'test-secret' }];
  const stores = new Map<string, Logstore>();
  const seen = new Map<string, number>();
  let incomplete = options.incompleteAnswers ?? 0;
  let scanLimit: SlsScanLimit = { ...options.scanLimit };
  let failures = 0;
  const requests: SlsRequestRecord[] = [];

  const store = (project: string, logstore: string) => {
    const key = `${project}/${logstore}`;
    let found = stores.get(key);
    if (!found) {
      found = new Logstore();
      stores.set(key, found);
    }
    return found;
  };

  const server = createBodyServer((req, res, body) => {
    try {
      handle(req, res, body);
    } catch (error) {
      send(res, 500, { errorCode: 'InternalServerError', errorMessage: String((error as Error).message) });
    }
  });

  function handle(req: IncomingMessage, res: ServerResponse, body: Buffer) {
    const host = String(req.headers.host ?? '')
      .split(':')[0]!
      .toLowerCase();
    const project = host.endsWith(`.${domain}`) ? host.slice(0, -domain.length - 1) : '';
    const url = new URL(req.url ?? '/', 'http://x');
    const indexPath = /^\/logstores\/([^/]+)\/index$/.exec(url.pathname);
    if (req.method === 'GET' && indexPath) {
      const auth = verifySignature(req, url, body, credentials);
      if (auth.error) return send(res, 401, { errorCode: auth.error.code, errorMessage: auth.error.message });
      const logstore = decodeURIComponent(indexPath[1]!);
      if (!stores.has(`${project}/${logstore}`))
        return send(res, 404, {
          errorCode: 'LogStoreNotExist',
          errorMessage: `logstore ${logstore} does not exist`,
        });
      const answer = getIndexAnswer(logstore, stores.get(`${project}/${logstore}`)?.currentIndex);
      return send(res, answer.status, answer.body);
    }
    const match = /^\/logstores\/([^/]+)\/logs$/.exec(url.pathname);
    if (req.method !== 'POST' || !match) {
      return send(res, 404, {
        errorCode: 'RequestNotSupported',
        errorMessage: `${req.method} ${url.pathname} is not served here`,
      });
    }
    const logstore = decodeURIComponent(match[1]!);
    const auth = verifySignature(req, url, body, credentials);
    if (auth.error) return send(res, 401, { errorCode: auth.error.code, errorMessage: auth.error.message });
    const record: SlsRequestRecord = {
      project,
      logstore,
      query: '',
      from: 0,
      to: 0,
      accessKeyId: auth.accessKeyId,
      securityToken: header(req, 'x-acs-security-token'),
      progress: 'error',
      dedicatedSql: false,
      acceptEncoding: header(req, 'accept-encoding'),
    };
    requests.push(record);
    const refuse = (status: number, errorCode: string, errorMessage: string) => {
      record.errorCode = errorCode;
      send(res, status, { errorCode, errorMessage });
    };
    if (failures > 0) {
      failures--;
      return refuse(500, 'InternalServerError', 'injected failure');
    }
    let params: { from?: unknown; to?: unknown; query?: unknown };
    try {
      params = JSON.parse(body.toString('utf8'));
    } catch {
      return refuse(400, 'PostBodyInvalid', 'body is not JSON');
    }
    if (
      typeof params.from !== 'number' ||
      typeof params.to !== 'number' ||
      !Number.isInteger(params.from) ||
      !Number.isInteger(params.to)
    ) {
      return refuse(400, 'ParameterInvalid', 'from and to must be integers (epoch seconds)');
    }
    record.query = String(params.query ?? '*');
    record.from = params.from;
    record.to = params.to;
    if (![...stores.keys()].some((k) => k.startsWith(`${project}/`)))
      return refuse(404, 'ProjectNotExist', `Project ${project} does not exist`);
    const target = stores.get(`${project}/${logstore}`);
    if (!target) return refuse(404, 'LogStoreNotExist', `logstore ${logstore} does not exist`);

    let query: SlsQuery;
    let run: ReturnType<typeof runSlsQuery>;
    const key = `${project}/${logstore}\n${record.query}\n${record.from}\n${record.to}`;
    const answered = seen.get(key) ?? 0;
    seen.set(key, answered + 1);
    const stillScanning = answered < incomplete;
    try {
      query = parseSlsQuery(record.query);
      record.dedicatedSql = isDedicatedSql(query);
      const limit = record.dedicatedSql ? scanLimit.dedicated : scanLimit.standard;
      // While still scanning, SLS has seen only part of the data: answer from every other log.
      const logs = stillScanning ? target.logs.filter((_, i) => i % 2 === 0) : target.logs;
      run = runSlsQuery(query, logs, record.from, record.to, {
        analyzable: (field) => target.analyzable(field),
        ...(limit !== undefined ? { scanLimit: limit } : {}),
      });
    } catch (error) {
      if (error instanceof SlsQueryError) return refuse(400, 'ParameterInvalid', error.message);
      throw error;
    }
    record.progress = run.complete && !stillScanning ? 'Complete' : 'Incomplete';
    const keys = run.data[0] ? Object.keys(run.data[0]) : [];
    send(
      res,
      200,
      {
        meta: {
          progress: record.progress,
          count: run.data.length,
          keys,
          hasSQL: query.select !== undefined,
          isAccurate: record.progress === 'Complete',
          processedRows: run.scanned,
          elapsedMillisecond: 1,
        },
        data: run.data,
      },
      { 'x-log-progress': record.progress, 'x-log-count': String(run.data.length) },
      record.acceptEncoding,
    );
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const uninstallDns = installLoopbackDns(domain);

  return {
    endpoint: `http://${domain}:${port}`,
    port,
    credentials,
    requests,
    putLogs(project, logstore, logs) {
      store(project, logstore).put(logs.map(toLogRow));
    },
    createLogstore(project, logstore, index) {
      const created = store(project, logstore);
      if (index) created.setIndex(index);
    },
    setIndex(project, logstore, index) {
      store(project, logstore).setIndex(index);
    },
    setIncompleteAnswers(count) {
      incomplete = count;
    },
    setScanLimit(limit) {
      scanLimit = { ...limit };
    },
    failNext(count) {
      failures = count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        uninstallDns();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function toLogRow(log: Record<string, unknown> & { time: Date | string | number }): LogRow {
  const { time, ...fields } = log;
  const seconds =
    typeof time === 'number'
      ? time
      : Math.floor((time instanceof Date ? time.getTime() : Date.parse(time)) / 1000);
  const row: LogRow = { __time__: String(seconds) };
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined && value !== null)
      row[name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return row;
}

/** Answers JSON, compressed as the request's Accept-Encoding asked (see `sls/compress.ts`). */
function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  acceptEncoding?: string,
): void {
  const encoded = encodeBody(Buffer.from(JSON.stringify(body)), acceptEncoding);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': encoded.body.length,
    'x-log-requestid': randomUUID().replaceAll('-', '').toUpperCase().slice(0, 24),
    ...encoded.headers,
    ...headers,
  });
  res.end(encoded.body);
}
