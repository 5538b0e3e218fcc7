import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLoopbackServer } from '../http.js';
import type { LoopbackCredentials } from './sls-server.js';

const API_VERSION = '2016-08-15';

export interface FcServiceState {
  serviceName: string;
  serviceId: string;
  description?: string;
  role?: string;
  logConfig?: unknown;
  internetAccess?: boolean;
  createdTime: string;
  lastModifiedTime: string;
}

export interface FcFunctionState {
  functionName: string;
  functionId: string;
  handler: string;
  runtime: string;
  memorySize: number;
  timeout: number;
  description?: string;
  environmentVariables: Record<string, string>;
  /** The uploaded zip. */
  code: Buffer;
  codeSize: number;
  codeChecksum: string;
  createdTime: string;
  lastModifiedTime: string;
}

export interface FcTriggerState {
  triggerName: string;
  triggerType: string;
  triggerConfig: { cronExpression: string; enable: boolean; payload?: string };
  createdTime: string;
  lastModifiedTime: string;
}

export interface FcAsyncConfigState {
  destinationConfig: { onFailure?: { destination: string }; onSuccess?: { destination: string } };
  maxAsyncRetryAttempts?: number;
  maxAsyncEventAgeInSeconds?: number;
}

export interface FcCall {
  /** FC API operation name, e.g. `CreateFunction`. */
  operation: string;
  method: string;
  path: string;
  status: number;
}

export interface FcServerOptions {
  accountId?: string;
  credentials?: LoopbackCredentials[];
}

export interface FcLoopbackServer {
  /** Give this as `endpoint` to `@alicloud/fc2`'s client. */
  endpoint: string;
  accountId: string;
  credentials: LoopbackCredentials[];
  calls: FcCall[];
  service(name: string): FcServiceState | undefined;
  fn(service: string, name: string): FcFunctionState | undefined;
  trigger(service: string, fn: string, name: string): FcTriggerState | undefined;
  /** Async config by `service/function/qualifier` (qualifier `LATEST` when none was given). */
  asyncConfig(service: string, fn: string, qualifier?: string): FcAsyncConfigState | undefined;
  counts(): { services: number; functions: number; triggers: number; asyncConfigs: number };
  close(): Promise<void>;
}

class FcError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const NAME = /^[_A-Za-z][-_A-Za-z0-9]{0,127}$/;
const CRON = /^(CRON_TZ=[A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)* )?(@every \d+[smh]|(\S+ ){5}\S+)$/;
const DESTINATION = /^acs:(mns|fc|eventbridge|mq):[a-z0-9-]+:\d+:.+$/;

/**
 * A loopback FC 2.0 control plane for `@alicloud/fc2`: services, functions, timer triggers and
 * async-invoke configs, kept in memory. It verifies the `FC` signature as FC documents it
 * (https://help.aliyun.com/document_detail/52877.html), answers unknown resources with 404 and
 * duplicates with 409 in FC's error JSON, and validates the fields FC validates — so
 * create-then-update and the spelling of `enable` are exercised for real.
 */
export async function startFcServer(options: FcServerOptions = {}): Promise<FcLoopbackServer> {
  const accountId = options.accountId ?? '1234567890123456';
  const credentials = options.credentials ?? [
    { accessKeyId: 'LTAI-deploy', accessKeySecret: 'deploy-secret' },
  ];
  const services = new Map<string, FcServiceState>();
  const functions = new Map<string, FcFunctionState>();
  const triggers = new Map<string, FcTriggerState>();
  const asyncConfigs = new Map<string, FcAsyncConfigState>();
  const calls: FcCall[] = [];

  const server = createLoopbackServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://x');
      const call: FcCall = {
        operation: 'Unknown',
        method: req.method ?? 'GET',
        path: url.pathname,
        status: 0,
      };
      calls.push(call);
      try {
        authenticate(req, url, body);
        const result = route(req.method ?? 'GET', url.pathname.slice(`/${API_VERSION}`.length), body, call);
        call.status = result.status;
        send(res, result.status, result.body);
      } catch (error) {
        const e =
          error instanceof FcError
            ? error
            : new FcError(500, 'InternalServerError', String((error as Error)?.message));
        call.status = e.status;
        send(res, e.status, { ErrorCode: e.code, ErrorMessage: e.message });
      }
    });
  });

  function authenticate(req: IncomingMessage, url: URL, body: Buffer): void {
    if (!url.pathname.startsWith(`/${API_VERSION}/`))
      throw new FcError(404, 'PathNotSupported', `unknown API path ${url.pathname}`);
    const authorization = header(req, 'authorization') ?? '';
    const m = /^FC ([^:]+):(.+)$/.exec(authorization);
    if (!m)
      throw new FcError(
        403,
        'InvalidAccessKeyID',
        'missing or malformed Authorization header (expected FC <ak>:<signature>)',
      );
    const credential = credentials.find((c) => c.accessKeyId === m[1]);
    if (!credential) throw new FcError(403, 'InvalidAccessKeyID', `AccessKeyId ${m[1]} is not known`);
    if (header(req, 'x-fc-account-id') !== accountId)
      throw new FcError(403, 'AccessDenied', 'x-fc-account-id does not match the account');
    if (
      credential.securityToken !== undefined &&
      header(req, 'x-fc-security-token') !== credential.securityToken
    ) {
      throw new FcError(403, 'InvalidSecurityToken', 'the security token is missing or does not match');
    }
    const date = header(req, 'date');
    if (!date || Number.isNaN(Date.parse(date)))
      throw new FcError(403, 'InvalidArgument', 'the date header is missing');
    const md5 = header(req, 'content-md5') ?? '';
    if (body.length > 0) {
      const expected = Buffer.from(createHash('md5').update(body).digest('hex')).toString('base64');
      if (md5 !== expected) throw new FcError(400, 'InvalidArgument', 'content-md5 does not match the body');
    }
    // stringToSign = METHOD\ncontent-md5\ncontent-type\ndate\n + sorted x-fc-* headers + /2016-08-15/path
    const fcHeaders = Object.keys(req.headers)
      .filter((k) => k.startsWith('x-fc-'))
      .sort()
      .map((k) => `${k}:${header(req, k)}\n`)
      .join('');
    const stringToSign = `${req.method}\n${md5}\n${header(req, 'content-type') ?? ''}\n${date}\n${fcHeaders}${url.pathname}`;
    const expected = createHmac('sha256', credential.accessKeySecret)
      .update(stringToSign, 'utf8')
      .digest('base64');
    if (expected !== m[2])
      throw new FcError(
        403,
        'SignatureNotMatch',
        'The request signature we calculated does not match the signature you provided.',
      );
  }

  function route(method: string, path: string, raw: Buffer, call: FcCall): { status: number; body: unknown } {
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    const json = () => parseBody(raw);
    const now = new Date().toISOString();
    // /services
    if (parts.length === 1 && parts[0] === 'services' && method === 'POST') {
      call.operation = 'CreateService';
      const b = json();
      const name = requireName(b.serviceName, 'serviceName');
      if (services.has(name))
        throw new FcError(409, 'ServiceAlreadyExists', `service '${name}' already exists`);
      rejectUnknown(b, [
        'serviceName',
        'description',
        'role',
        'logConfig',
        'internetAccess',
        'vpcConfig',
        'nasConfig',
        'tracingConfig',
      ]);
      const state: FcServiceState = {
        ...(b as object),
        serviceName: name,
        serviceId: randomUUID(),
        createdTime: now,
        lastModifiedTime: now,
      };
      services.set(name, state);
      return { status: 200, body: state };
    }
    if (parts[0] !== 'services' || parts.length < 2)
      throw new FcError(404, 'PathNotSupported', `unknown API path ${path}`);
    const [serviceName, qualifier] = splitQualifier(parts[1]!);
    const service = services.get(serviceName);
    if (parts.length === 2) {
      call.operation =
        method === 'GET'
          ? 'GetService'
          : method === 'PUT'
            ? 'UpdateService'
            : method === 'DELETE'
              ? 'DeleteService'
              : 'Unknown';
      if (!service) throw new FcError(404, 'ServiceNotFound', `service '${serviceName}' does not exist`);
      if (method === 'GET') return { status: 200, body: service };
      if (method === 'PUT') {
        const b = json();
        rejectUnknown(b, [
          'description',
          'role',
          'logConfig',
          'internetAccess',
          'vpcConfig',
          'nasConfig',
          'tracingConfig',
        ]);
        Object.assign(service, b, { lastModifiedTime: now });
        return { status: 200, body: service };
      }
      if (method === 'DELETE') {
        if ([...functions.keys()].some((k) => k.startsWith(`${serviceName}/`)))
          throw new FcError(412, 'ServiceNotEmpty', `service '${serviceName}' is not empty`);
        services.delete(serviceName);
        return { status: 204, body: undefined };
      }
    }
    if (parts[2] !== 'functions') throw new FcError(404, 'PathNotSupported', `unknown API path ${path}`);
    if (!service) {
      call.operation = operationFor(method, parts);
      throw new FcError(404, 'ServiceNotFound', `service '${serviceName}' does not exist`);
    }
    if (parts.length === 3 && method === 'POST') {
      call.operation = 'CreateFunction';
      const b = json();
      const name = requireName(b.functionName, 'functionName');
      if (functions.has(`${serviceName}/${name}`))
        throw new FcError(
          409,
          'FunctionAlreadyExists',
          `function '${name}' already exists in service '${serviceName}'`,
        );
      const state = functionFrom(b, undefined, now, name);
      functions.set(`${serviceName}/${name}`, state);
      return { status: 200, body: describeFunction(state) };
    }
    const functionName = parts[3]!;
    const fnKey = `${serviceName}/${functionName}`;
    const fn = functions.get(fnKey);
    call.operation = operationFor(method, parts);
    if (!fn)
      throw new FcError(
        404,
        'FunctionNotFound',
        `function '${functionName}' does not exist in service '${serviceName}'`,
      );
    if (parts.length === 4) {
      if (method === 'GET') return { status: 200, body: describeFunction(fn) };
      if (method === 'PUT') {
        const updated = functionFrom(json(), fn, now, functionName);
        functions.set(fnKey, updated);
        return { status: 200, body: describeFunction(updated) };
      }
    }
    if (parts[4] === 'async-invoke-config' && parts.length === 5) {
      const key = `${fnKey}/${qualifier ?? 'LATEST'}`;
      if (method === 'PUT') {
        const b = json();
        rejectUnknown(b, [
          'destinationConfig',
          'maxAsyncRetryAttempts',
          'maxAsyncEventAgeInSeconds',
          'statefulInvocation',
        ]);
        const config = validateAsyncConfig(b);
        asyncConfigs.set(key, config);
        return {
          status: 200,
          body: {
            ...config,
            service: serviceName,
            function: functionName,
            qualifier: qualifier ?? 'LATEST',
            createdTime: now,
            lastModifiedTime: now,
          },
        };
      }
      const existing = asyncConfigs.get(key);
      if (!existing)
        throw new FcError(
          404,
          'AsyncConfigNotExists',
          `async invoke config of '${functionName}' does not exist`,
        );
      return { status: 200, body: existing };
    }
    if (parts[4] === 'triggers') {
      if (parts.length === 5 && method === 'POST') {
        const b = json();
        const name = requireName(b.triggerName, 'triggerName');
        if (triggers.has(`${fnKey}/${name}`))
          throw new FcError(409, 'TriggerAlreadyExists', `trigger '${name}' already exists`);
        rejectUnknown(b, [
          'triggerName',
          'triggerType',
          'triggerConfig',
          'sourceArn',
          'invocationRole',
          'qualifier',
          'description',
        ]);
        if (b.triggerType !== 'timer')
          throw new FcError(
            400,
            'InvalidArgument',
            'this loopback serves timer triggers only: triggerType must be "timer"',
          );
        const state: FcTriggerState = {
          triggerName: name,
          triggerType: 'timer',
          triggerConfig: timerConfig(b.triggerConfig),
          createdTime: now,
          lastModifiedTime: now,
        };
        triggers.set(`${fnKey}/${name}`, state);
        return { status: 200, body: state };
      }
      const triggerName = parts[5];
      const trigger = triggerName ? triggers.get(`${fnKey}/${triggerName}`) : undefined;
      if (!trigger) throw new FcError(404, 'TriggerNotFound', `trigger '${triggerName}' does not exist`);
      if (method === 'GET') return { status: 200, body: trigger };
      if (method === 'PUT') {
        const b = json();
        rejectUnknown(b, ['triggerConfig', 'invocationRole', 'qualifier', 'description']);
        if (b.triggerConfig !== undefined) trigger.triggerConfig = timerConfig(b.triggerConfig);
        trigger.lastModifiedTime = now;
        return { status: 200, body: trigger };
      }
    }
    throw new FcError(404, 'PathNotSupported', `${method} ${path} is not served by this loopback`);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    accountId,
    credentials,
    calls,
    service: (name) => services.get(name),
    fn: (service, name) => functions.get(`${service}/${name}`),
    trigger: (service, fn, name) => triggers.get(`${service}/${fn}/${name}`),
    asyncConfig: (service, fn, qualifier) => asyncConfigs.get(`${service}/${fn}/${qualifier ?? 'LATEST'}`),
    counts: () => ({
      services: services.size,
      functions: functions.size,
      triggers: triggers.size,
      asyncConfigs: asyncConfigs.size,
    }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function operationFor(method: string, parts: string[]): string {
  if (parts.length <= 4)
    return (
      { GET: 'GetFunction', PUT: 'UpdateFunction', DELETE: 'DeleteFunction', POST: 'CreateFunction' }[
        method
      ] ?? 'Unknown'
    );
  if (parts[4] === 'async-invoke-config')
    return { GET: 'GetFunctionAsyncInvokeConfig', PUT: 'PutFunctionAsyncInvokeConfig' }[method] ?? 'Unknown';
  if (parts[4] === 'triggers') {
    if (parts.length === 5) return method === 'POST' ? 'CreateTrigger' : 'ListTriggers';
    return { GET: 'GetTrigger', PUT: 'UpdateTrigger', DELETE: 'DeleteTrigger' }[method] ?? 'Unknown';
  }
  return 'Unknown';
}

function splitQualifier(segment: string): [string, string | undefined] {
  const dot = segment.indexOf('.');
  return dot < 0 ? [segment, undefined] : [segment.slice(0, dot), segment.slice(dot + 1)];
}

function parseBody(raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) return {};
  try {
    const value = JSON.parse(raw.toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value;
  } catch {
    throw new FcError(400, 'InvalidArgument', 'the request body is not a JSON object');
  }
}

function requireName(value: unknown, field: string): string {
  if (typeof value !== 'string' || !NAME.test(value))
    throw new FcError(400, 'InvalidArgument', `${field} is invalid: ${JSON.stringify(value)}`);
  return value;
}

function rejectUnknown(body: Record<string, unknown>, allowed: string[]): void {
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length) throw new FcError(400, 'InvalidArgument', `unknown field(s): ${unknown.join(', ')}`);
}

function functionFrom(
  b: Record<string, unknown>,
  previous: FcFunctionState | undefined,
  now: string,
  name: string,
): FcFunctionState {
  rejectUnknown(b, [
    'functionName',
    'handler',
    'runtime',
    'memorySize',
    'timeout',
    'code',
    'environmentVariables',
    'description',
    'initializer',
    'initializationTimeout',
    'instanceType',
    'layers',
  ]);
  const handler = b.handler ?? previous?.handler;
  const runtime = b.runtime ?? previous?.runtime;
  if (typeof handler !== 'string' || !/^[^.]+\.[A-Za-z_$][\w$]*$/.test(handler))
    throw new FcError(400, 'InvalidArgument', `handler is invalid: ${JSON.stringify(handler)}`);
  if (typeof runtime !== 'string' || !/^nodejs\d+$|^python3|^custom/.test(runtime))
    throw new FcError(400, 'InvalidArgument', `runtime is invalid: ${JSON.stringify(runtime)}`);
  const memorySize = b.memorySize ?? previous?.memorySize ?? 128;
  if (typeof memorySize !== 'number' || memorySize < 128 || memorySize > 32768 || memorySize % 64 !== 0)
    throw new FcError(400, 'InvalidArgument', `memorySize is invalid: ${memorySize}`);
  const timeout = b.timeout ?? previous?.timeout ?? 3;
  if (typeof timeout !== 'number' || timeout < 1 || timeout > 86400)
    throw new FcError(400, 'InvalidArgument', `timeout is invalid: ${timeout}`);
  let code = previous?.code;
  if (b.code !== undefined) {
    const zipFile = (b.code as { zipFile?: unknown })?.zipFile;
    if (typeof zipFile !== 'string' || !/^[A-Za-z0-9+/]+=*$/.test(zipFile))
      throw new FcError(400, 'InvalidArgument', 'code.zipFile must be the base64 of a zip file');
    code = Buffer.from(zipFile, 'base64');
    if (code.readUInt32LE(0) !== 0x04034b50)
      throw new FcError(400, 'InvalidArgument', 'code.zipFile is not a zip file');
  }
  if (!code) throw new FcError(400, 'InvalidArgument', 'code is required');
  const env = b.environmentVariables ?? previous?.environmentVariables ?? {};
  return {
    functionName: name,
    functionId: previous?.functionId ?? randomUUID(),
    handler,
    runtime,
    memorySize,
    timeout,
    ...(typeof (b.description ?? previous?.description) === 'string'
      ? { description: (b.description ?? previous?.description) as string }
      : {}),
    environmentVariables: env as Record<string, string>,
    code,
    codeSize: code.length,
    codeChecksum: createHash('sha256').update(code).digest('hex'),
    createdTime: previous?.createdTime ?? now,
    lastModifiedTime: now,
  };
}

function describeFunction(fn: FcFunctionState): Omit<FcFunctionState, 'code'> {
  const { code: _code, ...rest } = fn;
  return rest;
}

function timerConfig(value: unknown): FcTriggerState['triggerConfig'] {
  if (typeof value !== 'object' || value === null)
    throw new FcError(400, 'InvalidArgument', 'triggerConfig must be an object for a timer trigger (FC 2.0)');
  const c = value as Record<string, unknown>;
  rejectUnknown(c, ['cronExpression', 'enable', 'payload']);
  if (typeof c.cronExpression !== 'string' || !CRON.test(c.cronExpression)) {
    throw new FcError(
      400,
      'InvalidArgument',
      `triggerConfig.cronExpression is invalid: ${JSON.stringify(c.cronExpression)}`,
    );
  }
  if (typeof c.enable !== 'boolean')
    throw new FcError(400, 'InvalidArgument', 'triggerConfig.enable must be a boolean');
  if (c.payload !== undefined && typeof c.payload !== 'string')
    throw new FcError(400, 'InvalidArgument', 'triggerConfig.payload must be a string');
  return {
    cronExpression: c.cronExpression,
    enable: c.enable,
    ...(typeof c.payload === 'string' ? { payload: c.payload } : {}),
  };
}

function validateAsyncConfig(b: Record<string, unknown>): FcAsyncConfigState {
  const retries = b.maxAsyncRetryAttempts;
  if (
    retries !== undefined &&
    (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 0 || retries > 8)
  ) {
    throw new FcError(400, 'InvalidArgument', 'maxAsyncRetryAttempts must be 0-8');
  }
  const age = b.maxAsyncEventAgeInSeconds;
  if (age !== undefined && (typeof age !== 'number' || !Number.isInteger(age) || age < 1 || age > 604800)) {
    throw new FcError(400, 'InvalidArgument', 'maxAsyncEventAgeInSeconds must be 1-604800');
  }
  const dc = (b.destinationConfig ?? {}) as Record<string, { destination?: unknown } | undefined>;
  for (const key of Object.keys(dc)) {
    if (key !== 'onFailure' && key !== 'onSuccess')
      throw new FcError(400, 'InvalidArgument', `destinationConfig.${key} is not a destination`);
    const destination = dc[key]?.destination;
    if (typeof destination !== 'string' || !DESTINATION.test(destination))
      throw new FcError(400, 'InvalidArgument', `destinationConfig.${key}.destination is invalid`);
  }
  return {
    destinationConfig: dc as FcAsyncConfigState['destinationConfig'],
    ...(retries !== undefined ? { maxAsyncRetryAttempts: retries as number } : {}),
    ...(age !== undefined ? { maxAsyncEventAgeInSeconds: age as number } : {}),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text
      ? { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }
      : {}),
    'x-fc-request-id': randomUUID(),
  });
  res.end(text);
}
