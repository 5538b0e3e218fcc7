import type { IncomingMessage } from 'node:http';
import { verifyAcs3 } from './acs3.js';
import type { FcInvocations } from './fc-invoke.js';
import {
  describeFunction,
  type FcAsyncConfigState,
  FcError,
  type FcFunctionState,
  type FcTriggerState,
  functionFrom,
  newTimerTrigger,
  parseBody,
  rejectUnknown,
  requireName,
  updateTimerTrigger,
  validateAsyncConfig,
} from './fc-shared.js';
import type { LoopbackCredentials } from './sls-server.js';

export const FC3_API_VERSION = '2023-03-30';

/** An FC 3.0 function: no service; its role and log config are its own. */
export interface Fc3FunctionState extends FcFunctionState {
  role?: string;
  logConfig?: unknown;
}

export interface Fc3State {
  functions: Map<string, Fc3FunctionState>;
  triggers: Map<string, FcTriggerState>;
  asyncConfigs: Map<string, FcAsyncConfigState>;
}

/** Fields of FC 3.0's CreateFunctionInput the loopback keeps (and the ones it accepts and ignores). */
const FC3_FUNCTION_FIELDS = ['role', 'logConfig', 'cpu', 'diskSize', 'internetAccess', 'instanceConcurrency'];

/**
 * FC 3.0's control plane (`/2023-03-30/functions…`), as `@alicloud/fc20230330` calls it: functions
 * without services, triggers whose `triggerConfig` is a JSON *string*, and PutAsyncInvokeConfig
 * with the qualifier in the query.
 * - CreateFunction `POST /2023-03-30/functions`, GetFunction / UpdateFunction `GET|PUT
 *   /2023-03-30/functions/{functionName}`
 *   (https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/developer-reference/api-fc-2023-03-30-createfunction);
 * - CreateTrigger `POST /2023-03-30/functions/{functionName}/triggers` with `triggerConfig` a string
 *   (https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/developer-reference/api-fc-2023-03-30-createtrigger);
 * - PutAsyncInvokeConfig `PUT /2023-03-30/functions/{functionName}/async-invoke-config?qualifier=`
 *   (https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/developer-reference/api-fc-2023-03-30-putasyncinvokeconfig);
 * - InvokeFunction `POST /2023-03-30/functions/{functionName}/invocations?qualifier=` with the
 *   event as the raw body and `x-fc-invocation-type: Sync|Async`
 *   (https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/developer-reference/api-fc-2023-03-30-invokefunction),
 *   run by `FcInvocations` against the qualifier's async config (retries, then onFailure).
 * Requests are signed with the V3 signature (ACS3-HMAC-SHA256, verified by acs3.ts). Errors
 * answer `{ Code, Message, RequestId }`.
 */
export function createFc3Routes(credentials: LoopbackCredentials[], invocations: FcInvocations) {
  const state: Fc3State = { functions: new Map(), triggers: new Map(), asyncConfigs: new Map() };

  function authenticate(req: IncomingMessage, url: URL, body: Buffer): void {
    const result = verifyAcs3(req, url, body, credentials);
    if ('refused' in result)
      throw new FcError(result.refused.status, result.refused.code, result.refused.message);
  }

  function route(req: IncomingMessage, url: URL, raw: Buffer): Fc3Answer | Promise<Fc3Answer> {
    const method = req.method ?? 'GET';
    const parts = url.pathname.split('/').filter(Boolean).slice(1).map(decodeURIComponent);
    const now = new Date().toISOString();
    if (parts[0] !== 'functions')
      throw new FcError(404, 'PathNotSupported', `unknown API path ${url.pathname}`);
    if (parts.length === 1 && method === 'POST') {
      const b = parseBody(raw);
      const name = requireName(b.functionName, 'functionName');
      if (state.functions.has(name))
        throw new FcError(409, 'FunctionAlreadyExists', `function '${name}' already exists`);
      const fn = fc3Function(b, undefined, now, name);
      state.functions.set(name, fn);
      return { operation: 'CreateFunction', status: 200, body: describe(fn) };
    }
    const name = parts[1]!;
    const fn = state.functions.get(name);
    const operation = operationOf(method, parts);
    if (!fn) throw new FcError(404, 'FunctionNotFound', `function '${name}' does not exist`);
    if (parts.length === 2) {
      if (method === 'GET') return { operation, status: 200, body: describe(fn) };
      if (method === 'PUT') {
        const updated = fc3Function(parseBody(raw), fn, now, name);
        state.functions.set(name, updated);
        return { operation, status: 200, body: describe(updated) };
      }
    }
    if (parts[2] === 'invocations' && parts.length === 3 && method === 'POST') {
      const config = state.asyncConfigs.get(`${name}/${url.searchParams.get('qualifier') ?? 'LATEST'}`);
      const type = req.headers['x-fc-invocation-type'];
      return Promise.resolve(
        invocations.invoke(undefined, fn, config, Array.isArray(type) ? type[0] : type, raw.toString('utf8')),
      ).then((answer) => ({ operation, ...answer }));
    }
    if (parts[2] === 'async-invoke-config' && parts.length === 3) {
      const key = `${name}/${url.searchParams.get('qualifier') ?? 'LATEST'}`;
      if (method === 'PUT') {
        const b = parseBody(raw);
        rejectUnknown(b, [
          'destinationConfig',
          'maxAsyncRetryAttempts',
          'maxAsyncEventAgeInSeconds',
          'asyncTask',
        ]);
        const config = validateAsyncConfig(b);
        state.asyncConfigs.set(key, config);
        return {
          operation,
          status: 200,
          body: { ...config, functionArn: `functions/${name}`, createdTime: now, lastModifiedTime: now },
        };
      }
      const existing = state.asyncConfigs.get(key);
      if (!existing)
        throw new FcError(404, 'AsyncConfigNotFound', `async invoke config of '${name}' does not exist`);
      return { operation, status: 200, body: existing };
    }
    if (parts[2] === 'triggers') {
      if (parts.length === 3 && method === 'POST') {
        const created = newTimerTrigger(
          parseBody(raw),
          (t) => state.triggers.has(`${name}/${t}`),
          now,
          configString,
        );
        state.triggers.set(`${name}/${created.triggerName}`, created);
        return { operation, status: 200, body: wire(created) };
      }
      const trigger = parts[3] ? state.triggers.get(`${name}/${parts[3]}`) : undefined;
      if (!trigger) throw new FcError(404, 'TriggerNotFound', `trigger '${parts[3]}' does not exist`);
      if (method === 'GET') return { operation, status: 200, body: wire(trigger) };
      if (method === 'PUT') {
        return {
          operation,
          status: 200,
          body: wire(updateTimerTrigger(trigger, parseBody(raw), now, configString)),
        };
      }
    }
    throw new FcError(404, 'PathNotSupported', `${method} ${url.pathname} is not served by this loopback`);
  }

  return {
    state,
    /** Answers one FC 3.0 request: `{ operation, status, body, headers }`; errors as FC 3.0 writes them. */
    async handle(req: IncomingMessage, url: URL, body: Buffer): Promise<Fc3Answer> {
      try {
        authenticate(req, url, body);
        return await route(req, url, body);
      } catch (error) {
        const e =
          error instanceof FcError
            ? error
            : new FcError(500, 'InternalServerError', String((error as Error)?.message));
        return {
          operation: operationOf(req.method ?? 'GET', url.pathname.split('/').filter(Boolean).slice(1)),
          status: e.status,
          body: { Code: e.code, Message: e.message, RequestId: 'loopback' },
        };
      }
    },
  };
}

interface Fc3Answer {
  operation: string;
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

function fc3Function(
  b: Record<string, unknown>,
  previous: Fc3FunctionState | undefined,
  now: string,
  name: string,
): Fc3FunctionState {
  const own = Object.fromEntries(FC3_FUNCTION_FIELDS.filter((k) => k in b).map((k) => [k, b[k]]));
  const rest = Object.fromEntries(Object.entries(b).filter(([k]) => !FC3_FUNCTION_FIELDS.includes(k)));
  const fn: Fc3FunctionState = functionFrom(rest, previous, now, name);
  const role = (own.role ?? previous?.role) as string | undefined;
  if (role !== undefined && !/^acs:ram::\d+:role\/[\w.-]+$/i.test(role))
    throw new FcError(400, 'InvalidArgument', `role is invalid: ${JSON.stringify(role)}`);
  return {
    ...fn,
    ...(role ? { role } : {}),
    ...((own.logConfig ?? previous?.logConfig) ? { logConfig: own.logConfig ?? previous?.logConfig } : {}),
  };
}

function describe(fn: Fc3FunctionState): Record<string, unknown> {
  return { ...describeFunction(fn), functionArn: `functions/${fn.functionName}` };
}

/** FC 3.0 takes and returns `triggerConfig` as a JSON string. */
function configString(value: unknown): unknown {
  if (typeof value !== 'string')
    throw new FcError(
      400,
      'InvalidArgument',
      'triggerConfig must be a JSON string in FC 3.0 (CreateTriggerInput.triggerConfig is a string)',
    );
  try {
    return JSON.parse(value);
  } catch {
    throw new FcError(400, 'InvalidArgument', 'triggerConfig is not valid JSON');
  }
}

function wire(trigger: FcTriggerState): Record<string, unknown> {
  return { ...trigger, triggerConfig: JSON.stringify(trigger.triggerConfig) };
}

function operationOf(method: string, parts: string[]): string {
  if (parts.length <= 2)
    return (
      (
        {
          GET: 'GetFunction',
          PUT: 'UpdateFunction',
          POST: 'CreateFunction',
          DELETE: 'DeleteFunction',
        } as Record<string, string>
      )[method] ?? 'Unknown'
    );
  if (parts[2] === 'invocations') return 'InvokeFunction';
  if (parts[2] === 'async-invoke-config')
    return (
      ({ GET: 'GetAsyncInvokeConfig', PUT: 'PutAsyncInvokeConfig' } as Record<string, string>)[method] ??
      'Unknown'
    );
  if (parts[2] === 'triggers')
    return parts.length === 3
      ? method === 'POST'
        ? 'CreateTrigger'
        : 'ListTriggers'
      : (({ GET: 'GetTrigger', PUT: 'UpdateTrigger', DELETE: 'DeleteTrigger' } as Record<string, string>)[
          method
        ] ?? 'Unknown');
  return 'Unknown';
}
