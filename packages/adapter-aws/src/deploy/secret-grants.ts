import { passwordsOfEnvironment, type RolePolicy } from '@windowed/core';

type Grant = RolePolicy['actions'][number];

export interface AwsScope {
  partition: string;
  region: string;
  accountId: string;
}

/**
 * The ARN a password reference reads: a Secrets Manager secret (by name, its ARN ends in `-` and six
 * random characters, hence `-??????`:
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_iam-policies.html),
 * or an SSM parameter (`parameter/<name without its leading slash>`:
 * https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-access.html).
 */
export function referenceArn(reference: { secret: string } | { parameter: string }, scope: AwsScope): string {
  const { partition, region, accountId } = scope;
  if ('secret' in reference)
    return reference.secret.startsWith('arn:')
      ? reference.secret
      : `arn:${partition}:secretsmanager:${region}:${accountId}:secret:${reference.secret}-??????`;
  return reference.parameter.startsWith('arn:')
    ? reference.parameter
    : `arn:${partition}:ssm:${region}:${accountId}:parameter/${reference.parameter.replace(/^\//, '')}`;
}

export function kmsKeyArn(key: string, scope: AwsScope): string {
  return key.startsWith('arn:')
    ? key
    : `arn:${scope.partition}:kms:${scope.region}:${scope.accountId}:key/${key}`;
}

/**
 * Read access to exactly the secrets the function's database URLs name: `secretsmanager:GetSecretValue`
 * on the secret, `ssm:GetParameter` on the parameter, and `kms:Decrypt` on the customer-managed key
 * the reference names (`kmsKey`; the stores' default keys need no grant).
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html ("Required permissions")
 */
export function secretGrants(env: Record<string, string> | undefined, scope: AwsScope): Grant[] {
  return passwordsOfEnvironment(env).references.flatMap(({ variable, reference }) => {
    const why = `read the database password ${variable} names`;
    const grants: Grant[] = [
      {
        action: 'secret' in reference ? 'secretsmanager:GetSecretValue' : 'ssm:GetParameter',
        resource: referenceArn(reference, scope),
        why,
      },
    ];
    if (reference.kmsKey)
      grants.push({ action: 'kms:Decrypt', resource: kmsKeyArn(reference.kmsKey, scope), why });
    return grants;
  });
}
