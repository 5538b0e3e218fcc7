import { WindowedError } from '@windowed/core';
import type { ResolvedFcDeployOptions } from './options.js';
import type { FcOperation, FcPlanStep } from './plan.js';

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
  getFunctionAsyncConfig(serviceName: string, functionName: string, qualifier?: string): Promise<unknown>;
  invokeFunction(
    serviceName: string,
    functionName: string,
    event: string,
    headers?: Record<string, string>,
    qualifier?: string,
  ): Promise<{ headers?: Record<string, string>; data?: unknown }>;
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

/** An `@alicloud/fc2` client (FC 2.0). Throws `INVALID_CONFIG` when no credentials are configured. */
export function credentialsOf(options: FcClientOptions) {
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
  return { accessKeyId, accessKeySecret, ...(securityToken ? { securityToken } : {}) };
}

export async function createFcClient(options: FcClientOptions): Promise<FcClientLike> {
  const { accessKeyId, accessKeySecret, securityToken } = credentialsOf(options);
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

/**
 * The FC control plane as a deployment and `doctor` use it, the same for both API versions: reads
 * normalized to one shape (FC 3.0's `triggerConfig` string parsed), writes by operation name.
 */
export interface FcApi {
  readonly version: 2 | 3;
  /** FC 2.0 only: the service. */
  getService(): Promise<Record<string, unknown>>;
  getFunction(): Promise<Record<string, unknown>>;
  /** `{ triggerType, triggerConfig: { cronExpression, enable, payload? } }`. */
  getTrigger(): Promise<Record<string, unknown>>;
  getAsyncConfig(): Promise<Record<string, unknown>>;
  call(operation: FcOperation, input: FcPlanStep['input']): Promise<unknown>;
}

type Names = Pick<ResolvedFcDeployOptions, 'service' | 'functionName' | 'triggerName' | 'qualifier'>;

/** FC 2.0 through an `@alicloud/fc2` client. */
export function fc2Api(client: FcClientLike, names: Names): FcApi {
  const service = names.service ?? '';
  const data = async (call: Promise<unknown>) =>
    ((await call) as { data?: Record<string, unknown> } | undefined)?.data ?? {};
  return {
    version: 2,
    getService: () => data(client.getService(service)),
    getFunction: () => data(client.getFunction(service, names.functionName)),
    getTrigger: () => data(client.getTrigger(service, names.functionName, names.triggerName)),
    getAsyncConfig: () => data(client.getFunctionAsyncConfig(service, names.functionName, names.qualifier)),
    call(operation, input) {
      // Copies: the SDK normalizes (mutates) the options it is given.
      const {
        serviceName: s = service,
        functionName: f = names.functionName,
        triggerName: t = names.triggerName,
      } = input;
      const body = structuredClone(input.body);
      const without = (key: string) => Object.fromEntries(Object.entries(body).filter(([k]) => k !== key));
      switch (operation) {
        case 'CreateService':
          return client.createService(String(body.serviceName ?? s), without('serviceName'));
        case 'UpdateService':
          return client.updateService(s, without('serviceName'));
        case 'CreateFunction':
          return client.createFunction(s, { ...body, functionName: body.functionName ?? f });
        case 'UpdateFunction':
          return client.updateFunction(s, f, without('functionName'));
        case 'CreateTrigger':
          return client.createTrigger(s, f, { ...body, triggerName: body.triggerName ?? t });
        case 'UpdateTrigger': {
          const { triggerType: _type, triggerName: _name, ...update } = body;
          return client.updateTrigger(s, f, t, update);
        }
        case 'PutFunctionAsyncInvokeConfig':
          return client.putFunctionAsyncConfig(s, f, input.qualifier, body);
      }
      throw new WindowedError('DEPLOY_FAILED', `${operation} is not an FC 2.0 operation.`);
    },
  };
}

/**
 * FC 3.0 through the official `@alicloud/fc20230330` client. Its endpoint is
 * `<accountId>.<region>.fc.aliyuncs.com` (https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/developer-reference/api-fc-2023-03-30-endpoint).
 */
export async function createFc3Client(options: FcClientOptions) {
  const credentials = credentialsOf(options);
  let sdk: typeof import('@alicloud/fc20230330');
  try {
    sdk = await import('@alicloud/fc20230330');
  } catch (cause) {
    throw new WindowedError(
      'MISSING_DEPENDENCY',
      'Deploying to FC 3.0 needs @alicloud/fc20230330. Run: npm install --save-dev @alicloud/fc20230330',
      { cause },
    );
  }
  const Client = (sdk.default as unknown as { default?: typeof sdk.default }).default ?? sdk.default;
  const endpoint = options.endpoint ? new URL(options.endpoint) : undefined;
  const client = new Client({
    ...credentials,
    endpoint: endpoint ? endpoint.host : `${options.accountId}.${options.region}.fc.aliyuncs.com`,
    protocol: endpoint ? endpoint.protocol.replace(':', '') : 'https',
    regionId: options.region,
    readTimeout: options.timeoutMs ?? 60_000,
  } as never);
  return { sdk, client };
}

/** The FC 3.0 control plane (see `createFc3Client`) in the shape deploy and `doctor` use. */
export async function createFc3Api(
  names: Names & { accountId: string; region: string },
  options: FcClientOptions,
): Promise<FcApi> {
  const { sdk, client } = await createFc3Client(options);
  const fn = names.functionName;
  const body = async (call: Promise<{ body?: unknown }>) => {
    const out = (await call).body;
    return (out && typeof out === 'object' ? { ...(out as Record<string, unknown>) } : {}) as Record<
      string,
      unknown
    >;
  };
  const model = <T>(Type: new (map: Record<string, unknown>) => T, map: Record<string, unknown>) =>
    new Type(map);
  return {
    version: 3,
    getService: async () => {
      throw new WindowedError('INVALID_ARGUMENT', 'FC 3.0 has no services.');
    },
    getFunction: () => body(client.getFunction(fn, model(sdk.GetFunctionRequest, {}))),
    async getTrigger() {
      const trigger = await body(client.getTrigger(fn, names.triggerName));
      if (typeof trigger.triggerConfig === 'string')
        trigger.triggerConfig = JSON.parse(trigger.triggerConfig);
      return trigger;
    },
    getAsyncConfig: () =>
      body(
        client.getAsyncInvokeConfig(
          fn,
          model(sdk.GetAsyncInvokeConfigRequest, { qualifier: names.qualifier }),
        ),
      ),
    call(operation, input) {
      const b = structuredClone(input.body);
      switch (operation) {
        case 'CreateFunction':
          return client.createFunction(
            model(sdk.CreateFunctionRequest, {
              body: model(sdk.CreateFunctionInput, {
                ...b,
                code: model(sdk.InputCodeLocation, b.code as Record<string, unknown>),
              }),
            }),
          );
        case 'UpdateFunction':
          return client.updateFunction(
            fn,
            model(sdk.UpdateFunctionRequest, {
              body: model(sdk.UpdateFunctionInput, {
                ...b,
                code: model(sdk.InputCodeLocation, b.code as Record<string, unknown>),
              }),
            }),
          );
        case 'CreateTrigger':
          return client.createTrigger(
            fn,
            model(sdk.CreateTriggerRequest, { body: model(sdk.CreateTriggerInput, b) }),
          );
        case 'UpdateTrigger': {
          const { triggerType: _type, triggerName: _name, ...update } = b;
          return client.updateTrigger(
            fn,
            names.triggerName,
            model(sdk.UpdateTriggerRequest, { body: model(sdk.UpdateTriggerInput, update) }),
          );
        }
        case 'PutAsyncInvokeConfig':
          return client.putAsyncInvokeConfig(
            fn,
            model(sdk.PutAsyncInvokeConfigRequest, {
              qualifier: input.qualifier,
              body: model(sdk.PutAsyncInvokeConfigInput, {
                ...b,
                destinationConfig: model(sdk.DestinationConfig, {
                  onFailure: model(
                    sdk.Destination,
                    (b.destinationConfig as { onFailure: Record<string, unknown> }).onFailure,
                  ),
                  ...((b.destinationConfig as { onSuccess?: Record<string, unknown> }).onSuccess
                    ? {
                        onSuccess: model(
                          sdk.Destination,
                          (b.destinationConfig as { onSuccess: Record<string, unknown> }).onSuccess,
                        ),
                      }
                    : {}),
                }),
              }),
            }),
          );
      }
      throw new WindowedError('DEPLOY_FAILED', `${operation} is not an FC 3.0 operation.`);
    },
  };
}

/** The API of the deploy options' `fcVersion`, with credentials from `settings` or the environment. */
export async function createFcApi(
  options: ResolvedFcDeployOptions,
  settings: Omit<FcClientOptions, 'accountId' | 'region'> = {},
): Promise<FcApi> {
  if (options.fcVersion === 3)
    return createFc3Api(options, { accountId: options.accountId, region: options.region, ...settings });
  return fc2Api(
    await createFcClient({ accountId: options.accountId, region: options.region, ...settings }),
    options,
  );
}
