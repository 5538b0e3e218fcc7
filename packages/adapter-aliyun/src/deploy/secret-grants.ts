import { passwordsOfEnvironment, type RolePolicy } from '@windowed/core';

type Grant = RolePolicy['actions'][number];

/** A KMS secret's ARN: `acs:kms:<region>:<account>:secret/<name>` (the form GetSecretValue accepts). */
export function kmsSecretArn(secret: string, region: string, accountId: string): string {
  return secret.startsWith('acs:') ? secret : `acs:kms:${region}:${accountId}:secret/${secret}`;
}

export function kmsKeyArn(key: string, region: string, accountId: string): string {
  return key.startsWith('acs:') ? key : `acs:kms:${region}:${accountId}:key/${key}`;
}

/**
 * Read access to exactly the KMS secrets the function's database URLs name: `kms:GetSecretValue` on
 * the secret, and `kms:Decrypt` on the key the reference names (`kmsKey`), which a secret
 * protected by a user-specified key needs.
 * https://www.alibabacloud.com/help/en/kms/key-management-service/developer-reference/api-kms-2016-01-20-getsecretvalue
 */
export function secretGrants(
  env: Record<string, string> | undefined,
  region: string,
  accountId: string,
): Grant[] {
  return passwordsOfEnvironment(env).references.flatMap(({ variable, reference }) => {
    if (!('secret' in reference)) return [];
    const why = `read the database password ${variable} names`;
    const grants: Grant[] = [
      { action: 'kms:GetSecretValue', resource: kmsSecretArn(reference.secret, region, accountId), why },
    ];
    if (reference.kmsKey)
      grants.push({ action: 'kms:Decrypt', resource: kmsKeyArn(reference.kmsKey, region, accountId), why });
    return grants;
  });
}
