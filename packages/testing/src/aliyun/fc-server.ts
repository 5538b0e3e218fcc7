import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBodyServer } from '../http.js';
import { FcInvocations } from './fc-invoke.js';
import {
  describeFunction,
  type FcAsyncConfigState,
  FcError,
  type FcFunctionState,
  type FcServiceState,
  type FcTriggerState,
  functionFrom,
  header,
  newTimerTrigger,
  parseBody,
  rejectUnknown,
  requireName,
  splitQualifier,
  updateTimerTrigger,
  validateAsyncConfig,
} from './fc-shared.js';
import { createFc3Routes, FC3_API_VERSION, type Fc3FunctionState } from './fc3-routes.js';
import type { LoopbackCredentials } from './sls-server.js';

export type { FcAsyncConfigState, FcFunctionState, FcServiceState, FcTriggerState } from './fc-shared.js';

const API_VERSION = '2016-08-15';

export interface FcCall {
  /** FC API operation name, e.g. `CreateFunction`. */
  operation: string;
  method: string;
  path: string;
  status: number;
}

export interface FcServerOptions {
  accountId?: string;
  region?: string;
  credentials?: LoopbackCredentials[];
  /** Wait before retry `n` of a failed async invocation (see FcInvocations). */
  retryDelayMs?: (n: number) => number;
  /** Where async destination records go (an MNS loopback's `sendMessage`, by queue ARN). */
  deliver?: (arn: string, record: string) => void;
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
  /** FC 3.0 (`/2023-03-30/…`): functions without services, their triggers and async configs. */
  fc3: {
    fn(name: string): Fc3FunctionState | undefined;
    trigger(fn: string, name: string): FcTriggerState | undefined;
    asyncConfig(fn: string, qualifier?: string): FcAsyncConfigState | undefined;
    counts(): { functions: number; triggers: number; asyncConfigs: number };
  };
  /** InvokeFunction: runs the functions' code (sync and async, with retries and destinations). */
  invocations: FcInvocations;
  close(): Promise<void>;
}

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
  const invocations = new FcInvocations({
    region: options.region ?? 'cn-hangzhou',
    accountId,
    ...(options.retryDelayMs ? { retryDelayMs: options.retryDelayMs } : {}),
    ...(options.deliver ? { deliver: options.deliver } : {}),
  });
  const fc3 = createFc3Routes(credentials, invocations);

  const server = createBodyServer((req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const call: FcCall = {
      operation: 'Unknown',
      method: req.method ?? 'GET',
      path: url.pathname,
      status: 0,
    };
    calls.push(call);
    if (url.pathname.startsWith(`/${FC3_API_VERSION}/`)) {
      void fc3.handle(req, url, body).then((answer) => {
        Object.assign(call, { operation: answer.operation, status: answer.status });
        send(res, answer.status, answer.body, answer.headers);
      });
      return;
    }
    const failed = (error: unknown) => {
      const e =
        error instanceof FcError
          ? error
          : new FcError(500, 'InternalServerError', String((error as Error)?.message));
      call.status = e.status;
      send(res, e.status, { ErrorCode: e.code, ErrorMessage: e.message });
    };
    try {
      authenticate(req, url, body);
      const answer = route(req, url.pathname.slice(`/${API_VERSION}`.length), body, call);
      Promise.resolve(answer).then((result) => {
        call.status = result.status;
        send(res, result.status, result.body, result.headers);
      }, failed);
    } catch (error) {
      failed(error);
    }
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

  type Answer = { status: number; body: unknown; headers?: Record<string, string> };
  function route(req: IncomingMessage, path: string, raw: Buffer, call: FcCall): Answer | Promise<Answer> {
    const method = req.method ?? 'GET';
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
    if (parts[4] === 'invocations' && parts.length === 5 && method === 'POST') {
      const config = asyncConfigs.get(`${fnKey}/${qualifier ?? 'LATEST'}`);
      return invocations.invoke(
        serviceName,
        fn,
        config,
        header(req, 'x-fc-invocation-type'),
        raw.toString('utf8'),
      );
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
        const state = newTimerTrigger(json(), (t) => triggers.has(`${fnKey}/${t}`), now);
        triggers.set(`${fnKey}/${state.triggerName}`, state);
        return { status: 200, body: state };
      }
      const triggerName = parts[5];
      const trigger = triggerName ? triggers.get(`${fnKey}/${triggerName}`) : undefined;
      if (!trigger) throw new FcError(404, 'TriggerNotFound', `trigger '${triggerName}' does not exist`);
      if (method === 'GET') return { status: 200, body: trigger };
      if (method === 'PUT') {
        return { status: 200, body: updateTimerTrigger(trigger, json(), now) };
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
    invocations,
    fc3: {
      fn: (name) => fc3.state.functions.get(name),
      trigger: (fn, name) => fc3.state.triggers.get(`${fn}/${name}`),
      asyncConfig: (fn, qualifier) => fc3.state.asyncConfigs.get(`${fn}/${qualifier ?? 'LATEST'}`),
      counts: () => ({
        functions: fc3.state.functions.size,
        triggers: fc3.state.triggers.size,
        asyncConfigs: fc3.state.asyncConfigs.size,
      }),
    },
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
  if (parts[4] === 'invocations') return 'InvokeFunction';
  if (parts[4] === 'async-invoke-config')
    return { GET: 'GetFunctionAsyncInvokeConfig', PUT: 'PutFunctionAsyncInvokeConfig' }[method] ?? 'Unknown';
  if (parts[4] === 'triggers') {
    if (parts.length === 5) return method === 'POST' ? 'CreateTrigger' : 'ListTriggers';
    return { GET: 'GetTrigger', PUT: 'UpdateTrigger', DELETE: 'DeleteTrigger' }[method] ?? 'Unknown';
  }
  return 'Unknown';
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text
      ? { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }
      : {}),
    'x-fc-request-id': randomUUID(),
    ...headers,
  });
  res.end(text);
}
