import {
  describeError,
  describeReference,
  type PasswordReference,
  referenceId,
  type SecretResolver,
  WindowedError,
} from '@windowed/core';

export interface AwsSecretResolverOptions {
  /** Default: the region in the reference's ARN, else `AWS_REGION` (Lambda sets it). */
  region?: string;
  /** Another endpoint (a VPC endpoint, tests). Default: the SDK's, or `AWS_ENDPOINT_URL_*`. */
  endpoint?: string;
  /** Default: the SDK's chain (in Lambda, the execution role's session). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** What the SDKs answer when the named secret or parameter does not exist. */
const NOT_FOUND = new Set(['ResourceNotFoundException', 'ParameterNotFound']);

/**
 * Reads password references on AWS: `{ secret }` from Secrets Manager (GetSecretValue, the
 * AWSCURRENT version; SecretString, or SecretBinary as UTF-8) and `{ parameter }` from SSM
 * Parameter Store (GetParameter with WithDecryption, so a SecureString arrives in plaintext). The
 * SDK clients load on the first read only.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
 * https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html
 */
export function awsSecretResolver(options: AwsSecretResolverOptions = {}): SecretResolver {
  return {
    platform: 'aws',
    kinds: ['secret', 'parameter'],
    async fetch(reference) {
      const id = referenceId(reference);
      const config = {
        ...(regionOf(id, options.region) ? { region: regionOf(id, options.region) } : {}),
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        ...(options.credentials ? { credentials: options.credentials } : {}),
      };
      try {
        return 'secret' in reference
          ? await readSecret(id, config)
          : await readParameter(reference.parameter, config);
      } catch (error) {
        throw readError(error, reference);
      }
    },
  };
}

type ClientConfig = Pick<AwsSecretResolverOptions, 'region' | 'endpoint' | 'credentials'>;

async function readSecret(id: string, config: ClientConfig): Promise<string> {
  const sdk = await load(() => import('@aws-sdk/client-secrets-manager'), '@aws-sdk/client-secrets-manager');
  const client = new sdk.SecretsManagerClient(config);
  try {
    const out = await client.send(new sdk.GetSecretValueCommand({ SecretId: id }));
    if (out.SecretString !== undefined) return out.SecretString;
    if (out.SecretBinary !== undefined) return Buffer.from(out.SecretBinary).toString('utf8');
    throw new WindowedError('INVALID_CONFIG', `The secret ${JSON.stringify(id)} holds no value.`);
  } finally {
    client.destroy();
  }
}

async function readParameter(name: string, config: ClientConfig): Promise<string> {
  const sdk = await load(() => import('@aws-sdk/client-ssm'), '@aws-sdk/client-ssm');
  const client = new sdk.SSMClient(config);
  try {
    const out = await client.send(new sdk.GetParameterCommand({ Name: name, WithDecryption: true }));
    const value = out.Parameter?.Value;
    if (value === undefined)
      throw new WindowedError('INVALID_CONFIG', `The parameter ${JSON.stringify(name)} holds no value.`);
    return value;
  } finally {
    client.destroy();
  }
}

/** The region an ARN names (`arn:aws:secretsmanager:<region>:…`), else the configured one. */
function regionOf(id: string, fallback: string | undefined): string | undefined {
  const region = id.startsWith('arn:') ? id.split(':')[3] : undefined;
  return region || fallback;
}

async function load<T>(importer: () => Promise<T>, name: string): Promise<T> {
  try {
    return await importer();
  } catch (cause) {
    throw new WindowedError(
      'MISSING_DEPENDENCY',
      `${name} could not be loaded (the Lambda Node.js runtimes include it). Run: npm install ${name}`,
      { cause },
    );
  }
}

/**
 * A failed read as an error naming the reference, never a value: a missing secret or parameter, or
 * a refusal, is `INVALID_CONFIG` (the configuration or the role must change); anything else (the
 * network, throttling) is the SDK's error, which carries no value.
 */
function readError(error: unknown, reference: PasswordReference): unknown {
  if (error instanceof WindowedError) return error;
  const name = String((error as Error)?.name);
  const what = describeReference(reference);
  const store = 'secret' in reference ? 'Secrets Manager GetSecretValue' : 'SSM GetParameter';
  if (NOT_FOUND.has(name))
    return new WindowedError(
      'INVALID_CONFIG',
      `The database password's ${what} does not exist (${store}: ${name}): create it, or fix the reference in the URL.`,
    );
  if (name === 'AccessDeniedException')
    return new WindowedError(
      'INVALID_CONFIG',
      `The function may not read the database password's ${what} (${store}: ${describeError(error)}): grant what \`windowed policy\` lists to its role.`,
    );
  return error;
}
