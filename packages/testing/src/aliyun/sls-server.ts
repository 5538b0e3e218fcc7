import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deflateSync } from 'node:zlib';
import { createLoopbackServer } from '../http.js';
import { installLoopbackDns } from './dns.js';
import { getIndexAnswer, type SlsIndex } from './sls-index.js';
import { type LogRow, runSlsQuery, SlsQueryError } from './sls-sql.js';

export interface LoopbackCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export interface SlsServerOptions {
  /** Keys the server accepts. Default: one pair, `LTAI-test` / `test-secret`. */
  credentials?: LoopbackCredentials[];
  /**
   * How many times each distinct (query, from, to) is answered `Incomplete` (with a partial,
   * wrong result) before the `Complete` answer. Default 0.
   */
  incompleteAnswers?: number;
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
  /** The Accept-Encoding the client asked for (`deflate` answers are compressed as SLS does). */
  acceptEncoding: string | undefined;
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
  /** Creates an empty logstore (a query on an unknown one is a 404). */
  createLogstore(project: string, logstore: string): void;
  /** Sets the logstore's index, as GetIndex reports it (see sls-index.ts). */
  setIndex(project: string, logstore: string, index: SlsIndex): void;
  /** Changes how many Incomplete answers precede each Complete one. */
  setIncompleteAnswers(count: number): void;
  /** Makes the next `count` requests fail with HTTP 500 `InternalServerError`. */
  failNext(count: number): void;
  requests: SlsRequestRecord[];
  close(): Promise<void>;
}

/**
 * A loopback Log Service answering `GetLogsV2` (`POST /logstores/{logstore}/logs` on the virtual
 * host `{project}.{endpoint}`), as `@alicloud/sls20201230` calls it. It verifies the v1 `LOG`
 * signature, evaluates the query over the rows a test put in (see `sls-sql.ts`), and can answer
 * `Incomplete` before `Complete` as SLS does while a query is still scanning.
 */
export async function startSlsServer(options: SlsServerOptions = {}): Promise<SlsLoopbackServer> {
  const domain = (options.domain ?? 'sls.test').toLowerCase();
  const credentials = options.credentials ?? [{ accessKeyId: 'LTAI-test', accessKeySecret: 'test-secret' }];
  const stores = new Map<string, LogRow[]>();
  const indexes = new Map<string, SlsIndex>();
  const seen = new Map<string, number>();
  let incomplete = options.incompleteAnswers ?? 0;
  let failures = 0;
  const requests: SlsRequestRecord[] = [];

  const server = createLoopbackServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks));
      } catch (error) {
        send(res, 500, { errorCode: 'InternalServerError', errorMessage: String((error as Error).message) });
      }
    });
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
      const answer = getIndexAnswer(logstore, indexes.get(`${project}/${logstore}`));
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
      acceptEncoding: header(req, 'accept-encoding'),
    };
    requests.push(record);
    if (failures > 0) {
      failures--;
      return send(res, 500, { errorCode: 'InternalServerError', errorMessage: 'injected failure' });
    }
    let params: { from?: unknown; to?: unknown; query?: unknown };
    try {
      params = JSON.parse(body.toString('utf8'));
    } catch {
      return send(res, 400, { errorCode: 'PostBodyInvalid', errorMessage: 'body is not JSON' });
    }
    if (
      typeof params.from !== 'number' ||
      typeof params.to !== 'number' ||
      !Number.isInteger(params.from) ||
      !Number.isInteger(params.to)
    ) {
      return send(res, 400, {
        errorCode: 'ParameterInvalid',
        errorMessage: 'from and to must be integers (epoch seconds)',
      });
    }
    record.query = String(params.query ?? '*');
    record.from = params.from;
    record.to = params.to;
    if (![...stores.keys()].some((k) => k.startsWith(`${project}/`))) {
      return send(res, 404, {
        errorCode: 'ProjectNotExist',
        errorMessage: `Project ${project} does not exist`,
      });
    }
    const rows = stores.get(`${project}/${logstore}`);
    if (!rows)
      return send(res, 404, {
        errorCode: 'LogStoreNotExist',
        errorMessage: `logstore ${logstore} does not exist`,
      });

    const key = `${project}/${logstore}\n${record.query}\n${record.from}\n${record.to}`;
    const answered = seen.get(key) ?? 0;
    seen.set(key, answered + 1);
    const complete = answered >= incomplete;
    // While still scanning, SLS has seen only part of the data: answer from every other row.
    const scanned = complete ? rows : rows.filter((_, i) => i % 2 === 0);
    let result: ReturnType<typeof runSlsQuery>;
    try {
      result = runSlsQuery(record.query, scanned, record.from, record.to);
    } catch (error) {
      if (error instanceof SlsQueryError)
        return send(res, 400, { errorCode: 'ParameterInvalid', errorMessage: error.message });
      throw error;
    }
    record.progress = complete ? 'Complete' : 'Incomplete';
    const keys = result.data[0] ? Object.keys(result.data[0]) : [];
    const compress = record.acceptEncoding === 'deflate';
    send(
      res,
      200,
      {
        meta: {
          progress: record.progress,
          count: result.data.length,
          keys,
          hasSQL: result.sql,
          isAccurate: complete,
          processedRows: scanned.length,
          elapsedMillisecond: 1,
        },
        data: result.data,
      },
      { 'x-log-progress': record.progress, 'x-log-count': String(result.data.length) },
      compress,
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
      const key = `${project}/${logstore}`;
      const rows = stores.get(key) ?? [];
      for (const log of logs) {
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
        rows.push(row);
      }
      stores.set(key, rows);
    },
    createLogstore(project, logstore) {
      if (!stores.has(`${project}/${logstore}`)) stores.set(`${project}/${logstore}`, []);
    },
    setIndex(project, logstore, index) {
      if (!stores.has(`${project}/${logstore}`)) stores.set(`${project}/${logstore}`, []);
      indexes.set(`${project}/${logstore}`, index);
    },
    setIncompleteAnswers(count) {
      incomplete = count;
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

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * SLS signature v1: `LOG {ak}:base64(HMAC-SHA256(secret, METHOD\nCONTENT-MD5\nCONTENT-TYPE\nDATE\n
 * {x-log-*, x-acs-* headers sorted, "k:v\n"}{path}[?sorted query]))`, content-md5 the upper-case
 * hex MD5 of the body. https://help.aliyun.com/document_detail/29012.html
 */
function verifySignature(
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  credentials: LoopbackCredentials[],
): { accessKeyId?: string; error?: { code: string; message: string } } {
  const authorization = header(req, 'authorization') ?? '';
  const m = /^LOG ([^:]+):(.+)$/.exec(authorization);
  if (!m)
    return {
      error: {
        code: 'Unauthorized',
        message: 'missing or malformed Authorization header (expected LOG <ak>:<signature>)',
      },
    };
  const accessKeyId = m[1]!;
  const credential = credentials.find((c) => c.accessKeyId === accessKeyId);
  if (!credential)
    return {
      accessKeyId,
      error: { code: 'Unauthorized', message: `AccessKeyId ${accessKeyId} is not known` },
    };
  if (
    credential.securityToken !== undefined &&
    header(req, 'x-acs-security-token') !== credential.securityToken
  ) {
    return {
      accessKeyId,
      error: { code: 'SecurityTokenExpired', message: 'the security token is missing or does not match' },
    };
  }
  const md5 = header(req, 'content-md5') ?? '';
  if (body.length > 0 && md5 !== createHash('md5').update(body).digest('hex').toUpperCase()) {
    return {
      accessKeyId,
      error: { code: 'InvalidContentMD5', message: 'content-md5 does not match the body' },
    };
  }
  const signed = Object.keys(req.headers)
    .filter((k) => k.includes('x-log-') || k.includes('x-acs-'))
    .sort()
    .map((k) => `${k}:${header(req, k)}\n`)
    .join('');
  const params = [...url.searchParams.keys()].sort();
  const resource =
    url.pathname + params.map((k, i) => `${i === 0 ? '?' : '&'}${k}=${url.searchParams.get(k)}`).join('');
  const stringToSign = `${req.method}\n${md5}\n${header(req, 'content-type') ?? ''}\n${header(req, 'date') ?? ''}\n${signed}${resource}`;
  const expected = createHmac('sha256', credential.accessKeySecret).update(stringToSign).digest('base64');
  if (expected !== m[2])
    return { accessKeyId, error: { code: 'SignatureNotMatch', message: 'signature mismatch' } };
  return { accessKeyId };
}

/** With `deflate`, the body is compressed and sized in `x-log-bodyrawsize`, as SLS answers GetLogsV2. */
function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  deflate = false,
): void {
  const raw = Buffer.from(JSON.stringify(body));
  const payload = deflate ? deflateSync(raw) : raw;
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': payload.length,
    'x-log-requestid': randomUUID().replaceAll('-', '').toUpperCase().slice(0, 24),
    ...(deflate ? { 'x-log-compresstype': 'deflate', 'x-log-bodyrawsize': String(raw.length) } : {}),
    ...headers,
  });
  res.end(payload);
}
