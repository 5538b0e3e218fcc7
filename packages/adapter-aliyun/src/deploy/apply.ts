import { createHash } from 'node:crypto';
import { WindowedError } from '@windowed/core';
import type { FcApi } from './fc-api.js';
import type { FcDeploymentPlan, FcOperation, FcPlanStep, FcState } from './plan.js';
import type { RamApi } from './ram.js';

/** Asks FC which of the deployment's resources exist. Only "not found" means absent; other errors fail. */
export async function discoverFcState(
  api: FcApi,
  options: { functionName: string; triggerName: string; service?: string | undefined },
): Promise<FcState> {
  // FC 3.0 has no services: as if it always existed.
  const service = api.version === 3 || (await exists(() => api.getService(), 'GetService'));
  const fn = service && (await exists(() => api.getFunction(), 'GetFunction'));
  let trigger = false;
  if (fn) {
    const found = await find(() => api.getTrigger(), 'GetTrigger');
    if (found) {
      const type = (found as { triggerType?: unknown }).triggerType;
      if (type !== undefined && type !== 'timer') {
        throw new WindowedError(
          'DEPLOY_FAILED',
          `FC trigger ${options.triggerName} on ${options.service ? `${options.service}/` : ''}${options.functionName} exists with type ${String(type)}, not timer; choose another triggerName.`,
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
  /** For the plan's RAM steps (`role: { create: true }`). */
  ram?: RamApi;
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
  api: FcApi,
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
    const appliedAs = RAM_OPERATIONS.has(step.api)
      ? await applyRamStep(options.ram, step)
      : await applyStep(api, step, zipFile);
    steps.push({ api: step.api, appliedAs });
  }
  return { calls: steps.map((s) => s.appliedAs), steps };
}

const RAM_OPERATIONS = new Set<FcOperation>([
  'CreateRole',
  'UpdateRole',
  'CreatePolicy',
  'CreatePolicyVersion',
  'AttachPolicyToRole',
]);

async function applyRamStep(ram: RamApi | undefined, step: FcPlanStep): Promise<FcOperation> {
  if (!ram)
    throw new WindowedError(
      'DEPLOY_FAILED',
      `The plan has the RAM step ${step.api} but no RAM client was given.`,
    );
  try {
    await ram.call(step);
  } catch (error) {
    // Attached since the plan was made (or by a concurrent deploy): what we wanted.
    const attached =
      step.api === 'AttachPolicyToRole' &&
      /EntityAlreadyExists/.test(String((error as { code?: unknown })?.code));
    if (!attached) throw deployError(step.api, error);
  }
  return step.api;
}

async function applyStep(api: FcApi, step: FcPlanStep, zipFile: string): Promise<FcOperation> {
  const input = isRecord(step.input.body.code)
    ? { ...step.input, body: { ...step.input.body, code: { zipFile } } }
    : step.input;
  const fallback: Partial<Record<FcOperation, { status: number; op: FcOperation }>> = {
    CreateService: { status: 409, op: 'UpdateService' },
    UpdateService: { status: 404, op: 'CreateService' },
    CreateFunction: { status: 409, op: 'UpdateFunction' },
    UpdateFunction: { status: 404, op: 'CreateFunction' },
    CreateTrigger: { status: 409, op: 'UpdateTrigger' },
    UpdateTrigger: { status: 404, op: 'CreateTrigger' },
  };
  try {
    await api.call(step.api, input);
    return step.api;
  } catch (error) {
    const alternative = fallback[step.api];
    if (!alternative || statusOf(error) !== alternative.status) throw deployError(step.api, error);
    try {
      await api.call(alternative.op, input);
      return alternative.op;
    } catch (second) {
      throw deployError(alternative.op, second);
    }
  }
}

/**
 * fc2 errors carry `code` (FC's ErrorCode) and the status only in the message ("… failed with 404.
 * …"); the FC 3.0 client's carry `statusCode`.
 */
function statusOf(error: unknown): number | undefined {
  const statusCode = (error as { statusCode?: unknown })?.statusCode;
  if (typeof statusCode === 'number') return statusCode;
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
