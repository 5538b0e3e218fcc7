import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

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

export class FcError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const NAME = /^[_A-Za-z][-_A-Za-z0-9]{0,127}$/;
export const CRON = /^(CRON_TZ=[A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)* )?(@every \d+[smh]|(\S+ ){5}\S+)$/;
export const DESTINATION = /^acs:(mns|fc|eventbridge|mq):[a-z0-9-]+:\d+:.+$/;

export function splitQualifier(segment: string): [string, string | undefined] {
  const dot = segment.indexOf('.');
  return dot < 0 ? [segment, undefined] : [segment.slice(0, dot), segment.slice(dot + 1)];
}

export function parseBody(raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) return {};
  try {
    const value = JSON.parse(raw.toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value;
  } catch {
    throw new FcError(400, 'InvalidArgument', 'the request body is not a JSON object');
  }
}

export function requireName(value: unknown, field: string): string {
  if (typeof value !== 'string' || !NAME.test(value))
    throw new FcError(400, 'InvalidArgument', `${field} is invalid: ${JSON.stringify(value)}`);
  return value;
}

export function rejectUnknown(body: Record<string, unknown>, allowed: string[]): void {
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length) throw new FcError(400, 'InvalidArgument', `unknown field(s): ${unknown.join(', ')}`);
}

export function functionFrom(
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

export function describeFunction(fn: FcFunctionState): Omit<FcFunctionState, 'code'> {
  const { code: _code, ...rest } = fn;
  return rest;
}

export function timerConfig(value: unknown): FcTriggerState['triggerConfig'] {
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

export function validateAsyncConfig(b: Record<string, unknown>): FcAsyncConfigState {
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

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * CreateTrigger's body as both API versions validate it (timer triggers only); `config` reads
 * `triggerConfig` (an object in FC 2.0, a JSON string in FC 3.0:
 * https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/developer-reference/api-fc-2023-03-30-createtrigger).
 */
export function newTimerTrigger(
  b: Record<string, unknown>,
  exists: (name: string) => boolean,
  now: string,
  config: (value: unknown) => unknown = (value) => value,
): FcTriggerState {
  const name = requireName(b.triggerName, 'triggerName');
  if (exists(name)) throw new FcError(409, 'TriggerAlreadyExists', `trigger '${name}' already exists`);
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
  return {
    triggerName: name,
    triggerType: 'timer',
    triggerConfig: timerConfig(config(b.triggerConfig)),
    createdTime: now,
    lastModifiedTime: now,
  };
}

/** UpdateTrigger's body, applied to `trigger`. */
export function updateTimerTrigger(
  trigger: FcTriggerState,
  b: Record<string, unknown>,
  now: string,
  config: (value: unknown) => unknown = (value) => value,
): FcTriggerState {
  rejectUnknown(b, ['triggerConfig', 'invocationRole', 'qualifier', 'description']);
  if (b.triggerConfig !== undefined) trigger.triggerConfig = timerConfig(config(b.triggerConfig));
  trigger.lastModifiedTime = now;
  return trigger;
}
