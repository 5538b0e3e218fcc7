import { firstIssue, issuePath, safeParseSchema, WindowedError } from '@windowed/core';
import * as v from 'valibot';
import { SLS_MAX_ROWS } from './compile.js';

/**
 * `{ type: 'sls', project, logstore, endpoint, ... }`: a Log Service logstore as a source.
 * Credentials, when not given here, come from `setFcCredentials` (what the FC handlers record
 * from `context.credentials`) or the `ALIBABA_CLOUD_*` environment variables.
 */
export interface SlsSourceOptions {
  type?: 'sls';
  project: string;
  logstore: string;
  /** `cn-hangzhou.log.aliyuncs.com`, `cn-hangzhou-intranet.log.aliyuncs.com`, or a URL `http://host:port`. */
  endpoint: string;
  accessKeyId?: string;
  accessKeySecret?: string;
  securityToken?: string;
  /** The search statement before `|`. Default `*`. */
  query?: string;
  /** A field with epoch seconds deciding window membership instead of the log time `__time__`. */
  timeField?: string;
  /** First wait before repeating a query SLS answered `Incomplete`; doubles up to 5 s. Default 500. */
  pollIntervalMs?: number;
  /**
   * Bounds on repeating a query SLS keeps answering `Incomplete` (each repeat is billed and a query
   * over too much data may never complete): at most `maxAttempts` requests (default 10) within
   * `maxMs` (default 120000) per query, scheduled run or backfill alike. Then the source fails.
   */
  incomplete?: { maxAttempts?: number; maxMs?: number };
  /** Run the SQL on Dedicated SQL (`set session parallel_sql=true;`): more data per query, billed by CPU time. */
  dedicatedSql?: boolean;
  /**
   * Rows one query may return (its `LIMIT`), at most SLS's 1,000,000. An answer that reaches it is
   * treated as cut short: multi-window queries are split, a single window fails. Default 1000000.
   */
  maxRows?: number;
  /** Per-request read timeout, bounded by the run's deadline. Default 60000. */
  requestTimeoutMs?: number;
}

/** Resolved endpoint: what the SDK is given (`host[:port]`) and the protocol. */
export interface SlsEndpoint {
  host: string;
  protocol: 'http' | 'https';
}

// https://help.aliyun.com/document_detail/48984.html (naming conventions)
const PROJECT = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const LOGSTORE = /^[a-z0-9][a-z0-9_-]{0,61}[a-z0-9]$/;
const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$/;

const int = (min: number, max: number) =>
  v.pipe(v.number(), v.safeInteger(), v.minValue(min), v.maxValue(max));
const nonEmpty = v.pipe(v.string(), v.minLength(1));

export const slsSourceSchema = v.strictObject({
  type: v.optional(v.literal('sls')),
  project: v.pipe(
    v.string(),
    v.regex(PROJECT, 'expected an SLS project name: 3-63 lowercase letters, digits and hyphens'),
  ),
  logstore: v.pipe(
    v.string(),
    v.regex(LOGSTORE, 'expected a logstore name: 2-63 lowercase letters, digits, _ and -'),
  ),
  endpoint: v.pipe(v.string(), v.minLength(1, 'expected an endpoint such as cn-hangzhou.log.aliyuncs.com')),
  accessKeyId: v.optional(nonEmpty),
  accessKeySecret: v.optional(nonEmpty),
  securityToken: v.optional(nonEmpty),
  query: v.optional(v.string()),
  timeField: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'expected a field name (letters, digits, _)'),
    ),
  ),
  pollIntervalMs: v.optional(int(1, 60_000)),
  incomplete: v.optional(
    v.strictObject({ maxAttempts: v.optional(int(1, 100)), maxMs: v.optional(int(1, 3_600_000)) }),
  ),
  dedicatedSql: v.optional(v.boolean()),
  maxRows: v.optional(int(1, SLS_MAX_ROWS)),
  requestTimeoutMs: v.optional(int(100, 600_000)),
});

/** Validates the options; throws `INVALID_CONFIG` naming the field (never echoing a secret). */
export function parseSlsSourceOptions(input: unknown): SlsSourceOptions & { endpointInfo: SlsEndpoint } {
  const result = safeParseSchema(slsSourceSchema, input);
  if (!result.success) {
    const issue = firstIssue(result.issues);
    throw new WindowedError(
      'INVALID_CONFIG',
      `Invalid sls source option "${issuePath(issue) || 'options'}": ${issue.message}. Expected { type: 'sls', project, logstore, endpoint, ` +
        'accessKeyId?, accessKeySecret?, securityToken?, query?, timeField?, pollIntervalMs?, incomplete?: { maxAttempts?, maxMs? }, ' +
        'dedicatedSql?, maxRows?, requestTimeoutMs? }.',
    );
  }
  const options = result.output;
  if (Boolean(options.accessKeyId) !== Boolean(options.accessKeySecret)) {
    throw new WindowedError(
      'INVALID_CONFIG',
      "The sls source needs accessKeyId and accessKeySecret together (or neither, to use the function's role or the environment).",
    );
  }
  if (options.securityToken && !options.accessKeyId) {
    throw new WindowedError(
      'INVALID_CONFIG',
      "The sls source's securityToken comes with the accessKeyId and accessKeySecret it was issued with.",
    );
  }
  if (options.query?.includes('|')) {
    throw new WindowedError(
      'INVALID_CONFIG',
      'The sls source\'s `query` is the search statement only (before "|", e.g. `*` or `status: 200`); windowed writes the SQL from the job\'s query.',
    );
  }
  return { ...options, endpointInfo: parseEndpoint(options.endpoint) };
}

function parseEndpoint(endpoint: string): SlsEndpoint {
  let protocol: 'http' | 'https' = 'https';
  let host = endpoint.trim();
  const scheme = /^(https?):\/\//i.exec(host);
  if (scheme) {
    protocol = scheme[1]!.toLowerCase() as 'http' | 'https';
    host = host.slice(scheme[0].length).replace(/\/+$/, '');
  }
  if (!HOST.test(host)) {
    throw new WindowedError(
      'INVALID_CONFIG',
      `Invalid sls source option "endpoint": expected a host such as cn-hangzhou.log.aliyuncs.com (optionally http(s)://host:port), got ${JSON.stringify(endpoint.slice(0, 80))}.`,
    );
  }
  return { host, protocol };
}
