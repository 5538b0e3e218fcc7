import type { AliyunCredentials } from '../credentials.js';
import type { SlsEndpoint } from './options.js';

/** The slice of `@alicloud/sls20201230` the SLS source uses. */
export interface SlsSdk {
  Client: new (
    config: Record<string, unknown>,
  ) => {
    getLogsV2WithOptions(
      project: string,
      logstore: string,
      request: unknown,
      headers: unknown,
      runtime: unknown,
    ): Promise<GetLogsV2Response>;
  };
  GetLogsV2Request: new (map: Record<string, unknown>) => unknown;
  GetLogsV2Headers: new (map: Record<string, unknown>) => unknown;
}

export interface GetLogsV2Response {
  headers?: Record<string, string>;
  body?: { data?: Array<Record<string, string>>; meta?: { progress?: string } };
}

export type SlsClient = InstanceType<SlsSdk['Client']>;

let sdk: Promise<SlsSdk> | undefined;

/** Loaded on first query, so a job on another source never pays for the SDK at cold start. */
export function loadSlsSdk(): Promise<SlsSdk> {
  sdk ??= import('@alicloud/sls20201230').then((module) => {
    const m = module as unknown as Record<string, unknown> & { default?: Record<string, unknown> };
    // CJS interop: the client is `exports.default`; the models are named exports.
    const models = (m.GetLogsV2Request ? m : m.default) as Record<string, unknown>;
    let Client = m.default as unknown;
    while (Client && typeof Client !== 'function') Client = (Client as { default?: unknown }).default;
    return {
      Client,
      GetLogsV2Request: models.GetLogsV2Request,
      GetLogsV2Headers: models.GetLogsV2Headers,
    } as SlsSdk;
  });
  return sdk;
}

/**
 * A client asking `credentials()` before each request (a credential provider object instead of
 * fixed keys: FC rotates the function's STS token between invocations).
 */
export function createSlsClient(
  Client: SlsSdk['Client'],
  endpoint: SlsEndpoint,
  credentials: () => AliyunCredentials,
): SlsClient {
  const credential = {
    getCredential: async () => {
      const c = credentials();
      return { ...c, type: c.securityToken ? 'sts' : 'access_key' };
    },
    getAccessKeyId: async () => credentials().accessKeyId,
    getAccessKeySecret: async () => credentials().accessKeySecret,
    getSecurityToken: async () => credentials().securityToken ?? '',
    getType: () => 'sts',
  };
  return new Client({ endpoint: endpoint.host, protocol: endpoint.protocol, credential });
}
