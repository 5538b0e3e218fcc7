import {
  check,
  type DoctorCheck,
  describeError,
  describeReference,
  passwordsOfEnvironment,
} from '@windowed/core';
import { credentialsOf, type FcClientOptions } from './fc-api.js';
import { kmsSecretArn } from './secret-grants.js';

/**
 * For each password reference of the function's environment: it names a KMS secret (Alibaba Cloud
 * has no parameter store) and the secret exists (DescribeSecret with the deploying credentials,
 * which never returns the value). RAM has no policy simulation: whether the role may read it is
 * what `windowed policy` lists (`kms:GetSecretValue` on the secret).
 * https://www.alibabacloud.com/help/en/kms/key-management-service/developer-reference/api-kms-2016-01-20-describesecret
 */
export async function secretChecks(
  options: FcClientOptions & { environmentVariables?: Record<string, string> },
  kmsEndpoint: string | undefined,
): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  for (const { variable, reference } of passwordsOfEnvironment(options.environmentVariables).references) {
    const title = `${variable}'s password ${describeReference(reference)} exists`;
    const id = `secret:${variable}`;
    if (!('secret' in reference)) {
      out.push(
        check(
          id,
          title,
          'fail',
          'Alibaba Cloud has no parameter store: name a KMS secret (passwordSecret=).',
        ),
      );
      continue;
    }
    try {
      const sdk = await import('@alicloud/kms20160120');
      const Client = (sdk.default as unknown as { default?: typeof sdk.default }).default ?? sdk.default;
      const endpoint = new URL(kmsEndpoint ?? `https://kms.${options.region}.aliyuncs.com`);
      const client = new Client({
        ...credentialsOf(options),
        regionId: options.region,
        endpoint: endpoint.host,
        protocol: endpoint.protocol.replace(':', ''),
      } as never);
      const out2 = await client.describeSecret(
        new sdk.DescribeSecretRequest({ secretName: reference.secret }),
      );
      const key = out2.encryptionKeyId && !reference.kmsKey ? out2.encryptionKeyId : undefined;
      out.push(
        key
          ? check(
              id,
              title,
              'fail',
              `${out2.arn ?? reference.secret} is encrypted with the key ${key}: add kmsKey to the reference so that \`windowed policy\` grants kms:Decrypt on it.`,
            )
          : check(
              id,
              title,
              'ok',
              `${out2.arn ?? kmsSecretArn(reference.secret, options.region, options.accountId)}; the role needs kms:GetSecretValue on it (\`windowed policy\`).`,
            ),
      );
    } catch (error) {
      const missing = String((error as { code?: unknown })?.code).startsWith('Forbidden.ResourceNotFound');
      out.push(
        check(
          id,
          title,
          'fail',
          missing
            ? `The ${describeReference(reference)} does not exist: create it.`
            : `DescribeSecret failed: ${describeError(error)}`,
        ),
      );
    }
  }
  return out;
}
