import { describeError, describeReference, type SecretResolver, WindowedError } from '@windowed/core';
import { type AliyunCredentials, credentialsFromEnv, getFcCredentials } from './credentials.js';

export interface AliyunSecretResolverOptions {
  /** Default: the region in the secret's ARN, else `FC_REGION` (FC sets it), else `ALIBABA_CLOUD_REGION_ID`. */
  region?: string;
  /** `host[:port]` or a URL (`http://127.0.0.1:4711` in tests). Default `kms.<region>.aliyuncs.com` over HTTPS. */
  endpoint?: string;
  /** Default: the function's role (`setFcCredentials`), else `ALIBABA_CLOUD_ACCESS_KEY_ID` / `…_SECRET` / `…_SECURITY_TOKEN`. */
  credentials?: AliyunCredentials;
}

/**
 * Reads `{ secret }` password references on Alibaba Cloud from KMS Secrets Manager
 * (GetSecretValue, the ACSCurrent version) with `@alicloud/kms20160120`, loaded on the first read.
 * https://www.alibabacloud.com/help/en/kms/key-management-service/developer-reference/api-kms-2016-01-20-getsecretvalue
 */
export function aliyunSecretResolver(options: AliyunSecretResolverOptions = {}): SecretResolver {
  return {
    platform: 'aliyun',
    kinds: ['secret'],
    async fetch(reference) {
      if (!('secret' in reference))
        throw new WindowedError(
          'INVALID_CONFIG',
          `Alibaba Cloud has no ${describeReference(reference)}: use { secret: '<KMS secret name>' }.`,
        );
      const id = reference.secret;
      const arnRegion = id.startsWith('acs:kms:') ? id.split(':')[2] : undefined;
      const region =
        options.region ??
        (arnRegion || undefined) ??
        process.env.FC_REGION ??
        process.env.ALIBABA_CLOUD_REGION_ID;
      const credentials = options.credentials ?? getFcCredentials() ?? credentialsFromEnv();
      if (!region || !credentials)
        throw new WindowedError(
          'INVALID_CONFIG',
          `Reading the database password's ${describeReference(reference)} needs ${region ? 'credentials (the function service role, or ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET)' : 'a region (the secret ARN, FC_REGION or ALIBABA_CLOUD_REGION_ID)'}.`,
        );
      const sdk = await loadKms();
      const endpoint = endpointOf(options.endpoint ?? `kms.${region}.aliyuncs.com`);
      // CommonJS: under ESM the client class is the module's `default.default`.
      const Client = (sdk.default as unknown as { default?: typeof sdk.default }).default ?? sdk.default;
      const client = new Client({
        ...credentials,
        regionId: region,
        endpoint: endpoint.host,
        protocol: endpoint.protocol,
      } as never);
      try {
        const out = await client.getSecretValue(new sdk.GetSecretValueRequest({ secretName: id }));
        if (out.secretData === undefined)
          throw new WindowedError('INVALID_CONFIG', `The ${describeReference(reference)} holds no value.`);
        return out.secretDataType === 'binary'
          ? Buffer.from(out.secretData, 'base64').toString('utf8')
          : out.secretData;
      } catch (error) {
        throw readError(error, describeReference(reference));
      }
    },
  };
}

function endpointOf(endpoint: string): { host: string; protocol: 'http' | 'https' } {
  if (!/^https?:\/\//.test(endpoint)) return { host: endpoint, protocol: 'https' };
  const url = new URL(endpoint);
  return { host: url.host, protocol: url.protocol === 'http:' ? 'http' : 'https' };
}

async function loadKms(): Promise<typeof import('@alicloud/kms20160120')> {
  try {
    return await import('@alicloud/kms20160120');
  } catch (cause) {
    throw new WindowedError(
      'MISSING_DEPENDENCY',
      '@alicloud/kms20160120 could not be loaded. Run: npm install @alicloud/kms20160120',
      { cause },
    );
  }
}

/**
 * A missing secret (`Forbidden.ResourceNotFound`) or a refusal (`Forbidden.NoPermission`) is
 * `INVALID_CONFIG` naming the reference; anything else is the SDK's error (it carries no value).
 * The SDK names errors `<Code>Error`.
 */
function readError(error: unknown, what: string): unknown {
  if (error instanceof WindowedError) return error;
  const code = String((error as { code?: unknown })?.code ?? '');
  if (code.startsWith('Forbidden.ResourceNotFound'))
    return new WindowedError(
      'INVALID_CONFIG',
      `The database password's ${what} does not exist (KMS GetSecretValue: Forbidden.ResourceNotFound): create it, or fix the reference in the URL.`,
    );
  if (code.startsWith('Forbidden.NoPermission') || code.startsWith('Forbidden.'))
    return new WindowedError(
      'INVALID_CONFIG',
      `The function may not read the database password's ${what} (KMS GetSecretValue: ${describeError(error)}): grant what \`windowed policy\` lists to its role.`,
    );
  return error;
}
