import { SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import {
  check,
  type DoctorCheck,
  describeError,
  describeReference,
  type PasswordReference,
  passwordsOfEnvironment,
} from '@windowed/core';
import type { LambdaDeployClients } from './apply.js';
import { type AwsScope, kmsKeyArn, referenceArn } from './secret-grants.js';

type Config = {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
};

/**
 * For each password reference of the function's environment: the secret (parameter) exists, and
 * the execution role may read it (`iam:SimulatePrincipalPolicy` on its real ARN, and on the
 * customer-managed key that encrypts a secret). Never reads a value: DescribeSecret for a secret,
 * GetParameter without decryption for a parameter.
 */
export async function secretChecks(
  config: Config,
  clients: LambdaDeployClients,
  env: Record<string, string> | undefined,
  scope: AwsScope,
  roleArn: string | undefined,
): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  for (const { variable, reference } of passwordsOfEnvironment(env).references) {
    const title = `${variable}'s password ${describeReference(reference)} exists and the role may read it`;
    const id = `secret:${variable}`;
    try {
      const found = await describe(config, reference, scope);
      if (!found) {
        out.push(check(id, title, 'fail', `The ${describeReference(reference)} does not exist: create it.`));
        continue;
      }
      const problems: string[] = [...found.problems];
      if (found.key && !reference.kmsKey)
        problems.push(
          `it is encrypted with the customer-managed key ${found.key}: add kmsKey to the reference so that \`windowed policy\` grants kms:Decrypt on it`,
        );
      const grants: Array<[string, string]> = [
        ['secret' in reference ? 'secretsmanager:GetSecretValue' : 'ssm:GetParameter', found.arn],
      ];
      const key = reference.kmsKey ?? found.key;
      if (key) grants.push(['kms:Decrypt', kmsKeyArn(key, scope)]);
      if (roleArn) problems.push(...(await deniedReads(clients, roleArn, grants)));
      out.push(
        problems.length
          ? check(id, title, 'fail', `${found.arn}: ${problems.join('; ')}.`)
          : check(id, title, 'ok', `${found.arn}${roleArn ? `, readable by ${roleArn}` : ''}.`),
      );
    } catch (error) {
      out.push(check(id, title, 'fail', `Checking it failed: ${describeError(error)}`));
    }
  }
  return out;
}

/** What the role may not do of `grants`, by IAM's policy simulation. */
async function deniedReads(
  clients: LambdaDeployClients,
  roleArn: string,
  grants: Array<[string, string]>,
): Promise<string[]> {
  const denied: string[] = [];
  try {
    for (const [action, resource] of grants) {
      const result = await clients.iam.send(
        new SimulatePrincipalPolicyCommand({
          PolicySourceArn: roleArn,
          ActionNames: [action],
          ResourceArns: [resource],
        }),
      );
      if (result.EvaluationResults?.[0]?.EvalDecision !== 'allowed')
        denied.push(`${roleArn} does not allow ${action} on ${resource} (see \`windowed policy\`)`);
    }
  } catch (error) {
    if (String((error as Error)?.name) !== 'NoSuchEntityException') throw error;
    denied.push(`the role ${roleArn} does not exist`);
  }
  return denied;
}

/** The secret's ARN and key (DescribeSecret), or the parameter's (GetParameter, still encrypted). */
async function describe(
  config: Config,
  reference: PasswordReference,
  scope: AwsScope,
): Promise<{ arn: string; key?: string; problems: string[] } | undefined> {
  try {
    if ('secret' in reference) {
      const sdk = await import('@aws-sdk/client-secrets-manager');
      const client = new sdk.SecretsManagerClient(config);
      try {
        const out = await client.send(new sdk.DescribeSecretCommand({ SecretId: reference.secret }));
        const key =
          out.KmsKeyId && !out.KmsKeyId.endsWith('alias/aws/secretsmanager') ? out.KmsKeyId : undefined;
        return { arn: out.ARN ?? referenceArn(reference, scope), ...(key ? { key } : {}), problems: [] };
      } finally {
        client.destroy();
      }
    }
    const sdk = await import('@aws-sdk/client-ssm');
    const client = new sdk.SSMClient(config);
    try {
      const out = await client.send(
        new sdk.GetParameterCommand({ Name: reference.parameter, WithDecryption: false }),
      );
      const type = out.Parameter?.Type;
      return {
        arn: out.Parameter?.ARN ?? referenceArn(reference, scope),
        problems:
          type === 'SecureString'
            ? []
            : [`it is a ${type} parameter, stored unencrypted: make it a SecureString`],
      };
    } finally {
      client.destroy();
    }
  } catch (error) {
    if (['ResourceNotFoundException', 'ParameterNotFound'].includes(String((error as Error)?.name)))
      return undefined;
    throw error;
  }
}
