import { createHash } from 'node:crypto';
import { WindowedError } from '@windowed/core';
import type { FcDeploymentPlan, FcOperation, FcPlanStep, FcState } from './plan.js';

/** The calls of `@alicloud/fc2`'s client a deployment makes (each resolves `{ headers, data }`). */
export interface FcClientLike {
  getService(serviceName: string): Promise<unknown>;
  createService(serviceName: string, options: Record<string, unknown>): Promise<unknown>;
  updateService(serviceName: string, options: Record<string, unknown>): Promise<unknown>;
  getFunction(serviceName: string, functionName: string): Promise<unknown>;
  createFunction(serviceName: string, options: Record<string, unknown>): Promise<unknown>;
  updateFunction(
    serviceName: string,
    functionName: string,
    options: Record<string, unknown>,
  ): Promise<unknown>;
  getTrigger(
    serviceName: string,
    functionName: string,
    triggerName: string,
  ): Promise<{ data?: unknown } | unknown>;
  createTrigger(
    serviceName: string,
    functionName: string,
    options: Record<string, unknown>,
  ): Promise<unknown>;
  updateTrigger(
    serviceName: string,
    functionName: string,
    triggerName: string,
    options: Record<string, unknown>,
  ): Promise<unknown>;
  putFunctionAsyncConfig(
    serviceName: string,
    functionName: string,
    qualifier: string | undefined,
    options: Record<string, unknown>,
  ): Promise<unknown>;
}

export interface FcClientOptions {
  accountId: string;
  region: string;
  /** Default: `ALIBABA_CLOUD_ACCESS_KEY_ID` / `_SECRET` / `ALIBABA_CLOUD_SECURITY_TOKEN`. */
  accessKeyId?: string;
  accessKeySecret?: string;
  securityToken?: string;
  /** Override the API endpoint, e.g. `http://127.0.0.1:9000` (tests) or a VPC endpoint. */
  endpoint?: string;
  /** Per-request timeout. Default 60 s (code uploads can be large). */
  timeoutMs?: number;
}

/** An `@alicloud/fc2` client. Throws `INVALID_CONFIG` when no credentials are configured. */
export async function createFcClient(options: FcClientOptions): Promise<FcClientLike> {
  const accessKeyId = options.accessKeyId ?? process.env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const accessKeySecret = options.accessKeySecret ?? process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  const securityToken =
    options.securityToken ?? (options.accessKeyId ? undefined : process.env.ALIBABA_CLOUD_SECURITY_TOKEN);
  if (!accessKeyId || !accessKeySecret) {
    throw new WindowedError(
      'INVALID_CONFIG',
      'Deploying to FC needs credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (and ALIBABA_CLOUD_SECURITY_TOKEN for an STS token), or plan with --dry-run.',
    );
  }
  let FCClient: typeof import('@alicloud/fc2');
  try {
    const module = (await import('@alicloud/fc2')) as unknown as { default?: typeof import('@alicloud/fc2') };
    FCClient = (module.default ?? module) as typeof import('@alicloud/fc2');
  } catch (cause) {
    throw new WindowedError(
      'MISSING_DEPENDENCY',
      'Deploying to FC needs @alicloud/fc2. Run: npm install --save-dev @alicloud/fc2',
      { cause },
    );
  }
  return new FCClient(options.accountId, {
    accessKeyID: accessKeyId,
    accessKeySecret,
    ...(securityToken ? { securityToken } : {}),
    region: options.region,
    secure: true,
    timeout: options.timeoutMs ?? 60_000,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  }) as unknown as FcClientLike;
}

/** Asks FC which of the deployment's resources exist. Only "not found" means absent; other errors fail. */
export async function discoverFcState(
  client: FcClientLike,
  options: { service: string; functionName: string; triggerName: string },
): Promise<FcState> {
  const service = await exists(() => client.getService(options.service), 'GetService');
  const fn =
    service && (await exists(() => client.getFunction(options.service, options.functionName), 'GetFunction'));
  let trigger = false;
  if (fn) {
    const found = await find(
      () => client.getTrigger(options.service, options.functionName, options.triggerName),
      'GetTrigger',
    );
    if (found) {
      const type = (found as { data?: { triggerType?: unknown } }).data?.triggerType;
      if (type !== undefined && type !== 'timer') {
        throw new WindowedError(
          'DEPLOY_FAILED',
          `FC trigger ${options.triggerName} on ${options.service}/${options.functionName} exists with type ${String(type)}, not timer; choose another triggerName.`,
        );
      }
      trigger = true;
    }
  }
  return { service, function: fn, trigger };
}

async function exists(call: () => Promise<unknown>, api: string): Promise<boolean> {
  return (await find(call, api)) !== undefined;
}

async function find(call: () => Promise<unknown>, api: string): Promise<unknown> {
  try {
    return (await call()) ?? {};
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw deployError(api, error);
  }
}

export interface FcApplyOptions {
  /** The zip the plan's `code` describes. */
  zip?: Uint8Array;
  onStep?: (step: FcPlanStep, index: number) => void;
}

export interface FcApplyResult {
  /** Operations called, in order (a create that found the resource there is called as an update). */
  calls: FcOperation[];
  steps: Array<{ api: FcOperation; appliedAs: FcOperation }>;
}

/**
 * Applies a plan with the FC SDK client, in order. A create that finds the resource already there
 * (409, e.g. created since the plan) updates it, and an update of a resource gone since (404)
 * creates it: applying twice, or concurrently with another deploy, converges instead of failing.
 */
export async function applyFcDeployment(
  plan: FcDeploymentPlan,
  client: FcClientLike,
  options: FcApplyOptions = {},
): Promise<FcApplyResult> {
  if (!plan.code || !options.zip)
    throw new WindowedError(
      'DEPLOY_FAILED',
      'The plan uploads code but no package was given; build the code package first (buildFcCode).',
    );
  const sha256 = createHash('sha256').update(options.zip).digest('hex');
  if (sha256 !== plan.code.sha256) {
    throw new WindowedError(
      'DEPLOY_FAILED',
      `The code package (sha256 ${sha256.slice(0, 12)}…) is not the one the plan was made with (${plan.code.sha256.slice(0, 12)}…).`,
    );
  }
  const zipFile = Buffer.from(options.zip).toString('base64');
  const steps: FcApplyResult['steps'] = [];
  for (const [index, step] of plan.steps.entries()) {
    options.onStep?.(step, index);
    const appliedAs = await applyStep(client, step, zipFile);
    steps.push({ api: step.api, appliedAs });
  }
  return { calls: steps.map((s) => s.appliedAs), steps };
}

async function applyStep(client: FcClientLike, step: FcPlanStep, zipFile: string): Promise<FcOperation> {
  const { serviceName = '', functionName = '', triggerName = '', qualifier } = step.input;
  // Copies: the SDK normalizes (mutates) the options it is given.
  const body = structuredClone(step.input.body) as Record<string, unknown>;
  if (isRecord(body.code)) body.code = { zipFile };
  const {
    serviceName: newService,
    functionName: newFunction,
    triggerName: newTrigger,
    ...rest
  } = body as Record<string, unknown> & {
    serviceName?: string;
    functionName?: string;
    triggerName?: string;
  };
  const ops: Record<FcOperation, () => Promise<unknown>> = {
    CreateService: () => client.createService(String(newService ?? serviceName), { ...rest }),
    UpdateService: () => client.updateService(serviceName || String(newService), { ...rest }),
    CreateFunction: () =>
      client.createFunction(serviceName, { functionName: newFunction ?? functionName, ...rest }),
    UpdateFunction: () =>
      client.updateFunction(serviceName, functionName || String(newFunction), { ...rest }),
    CreateTrigger: () =>
      client.createTrigger(serviceName, functionName, { triggerName: newTrigger ?? triggerName, ...rest }),
    UpdateTrigger: () => {
      const { triggerType: _type, ...update } = rest;
      return client.updateTrigger(serviceName, functionName, triggerName || String(newTrigger), update);
    },
    PutFunctionAsyncInvokeConfig: () =>
      client.putFunctionAsyncConfig(serviceName, functionName, qualifier, { ...rest }),
  };
  const fallback: Partial<Record<FcOperation, { status: number; op: FcOperation }>> = {
    CreateService: { status: 409, op: 'UpdateService' },
    UpdateService: { status: 404, op: 'CreateService' },
    CreateFunction: { status: 409, op: 'UpdateFunction' },
    UpdateFunction: { status: 404, op: 'CreateFunction' },
    CreateTrigger: { status: 409, op: 'UpdateTrigger' },
    UpdateTrigger: { status: 404, op: 'CreateTrigger' },
  };
  try {
    await ops[step.api]();
    return step.api;
  } catch (error) {
    const alternative = fallback[step.api];
    if (!alternative || statusOf(error) !== alternative.status) throw deployError(step.api, error);
    try {
      await ops[alternative.op]();
      return alternative.op;
    } catch (second) {
      throw deployError(alternative.op, second);
    }
  }
}

/** fc2 errors carry `code` (FC's ErrorCode) and the status only in the message: "… failed with 404. …". */
function statusOf(error: unknown): number | undefined {
  const m = /failed with (\d{3})/.exec(String((error as Error)?.message ?? ''));
  if (m) return Number(m[1]);
  const code = String((error as { code?: unknown })?.code ?? '');
  if (/NotFound$/.test(code)) return 404;
  if (/AlreadyExists$/.test(code)) return 409;
  return undefined;
}

function deployError(api: string, error: unknown): WindowedError {
  const code = (error as { code?: unknown })?.code;
  const message = String((error as Error)?.message ?? error);
  return new WindowedError(
    'DEPLOY_FAILED',
    `FC ${api} failed${typeof code === 'string' && code ? ` (${code})` : ''}: ${message}`,
    { cause: error },
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
