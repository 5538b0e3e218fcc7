import { randomBytes, randomUUID } from 'node:crypto';
import { AwsServiceError } from './protocol.js';

interface StoredSecret {
  ARN: string;
  Name: string;
  KmsKeyId?: string;
  /** Newest last; the last is AWSCURRENT, the one before AWSPREVIOUS. */
  versions: Array<{ VersionId: string; SecretString: string; CreatedDate: number }>;
}

interface StoredParameter {
  ARN: string;
  Name: string;
  Type: 'String' | 'SecureString';
  KeyId?: string;
  Value: string;
  Version: number;
  LastModifiedDate: number;
}

/**
 * A loopback AWS Secrets Manager (JSON 1.1, `X-Amz-Target: secretsmanager.<Operation>`) for what a
 * function and `windowed doctor` call: GetSecretValue and DescribeSecret.
 * - GetSecretValue takes `SecretId` (name or ARN) and answers `ARN`, `Name`, `VersionId`,
 *   `SecretString`, `VersionStages` (`AWSCURRENT` by default), `CreatedDate` (epoch seconds);
 *   an unknown secret is `ResourceNotFoundException` ("Secrets Manager can't find the specified
 *   secret."). https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
 * - A secret's ARN is its name with a hyphen and six random characters appended
 *   (https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-permissions.html#iam-resources).
 * - DescribeSecret answers `ARN`, `Name`, `KmsKeyId` (absent for the default `aws/secretsmanager` key).
 *   https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html
 */
export class SecretsManagerLoopback {
  private readonly secrets = new Map<string, StoredSecret>();
  /** Every GetSecretValue answered, by secret name. */
  readonly reads: string[] = [];

  constructor(
    private readonly region: string,
    private readonly accountId: string,
  ) {}

  /** Creates the secret, or puts a new AWSCURRENT version (a rotation); returns its ARN. */
  putSecret(name: string, value: string, options: { kmsKeyId?: string } = {}): string {
    let secret = this.secrets.get(name);
    if (!secret) {
      const suffix = randomBytes(3).toString('hex');
      secret = {
        ARN: `arn:aws:secretsmanager:${this.region}:${this.accountId}:secret:${name}-${suffix}`,
        Name: name,
        versions: [],
        ...(options.kmsKeyId ? { KmsKeyId: options.kmsKeyId } : {}),
      };
      this.secrets.set(name, secret);
    }
    secret.versions.push({ VersionId: randomUUID(), SecretString: value, CreatedDate: Date.now() / 1000 });
    return secret.ARN;
  }

  handle(operation: string, input: Record<string, unknown>): unknown {
    const secret = this.find(input.SecretId);
    switch (operation) {
      case 'GetSecretValue': {
        const stage = typeof input.VersionStage === 'string' ? input.VersionStage : 'AWSCURRENT';
        const index = secret.versions.length - (stage === 'AWSPREVIOUS' ? 2 : 1);
        const version =
          stage === 'AWSCURRENT' || stage === 'AWSPREVIOUS' ? secret.versions[index] : undefined;
        if (!version)
          throw new AwsServiceError(
            'ResourceNotFoundException',
            `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
          );
        this.reads.push(secret.Name);
        return {
          ARN: secret.ARN,
          Name: secret.Name,
          VersionId: version.VersionId,
          SecretString: version.SecretString,
          VersionStages: [stage],
          CreatedDate: version.CreatedDate,
        };
      }
      case 'DescribeSecret':
        return {
          ARN: secret.ARN,
          Name: secret.Name,
          ...(secret.KmsKeyId ? { KmsKeyId: secret.KmsKeyId } : {}),
        };
    }
    throw new AwsServiceError('UnknownOperationException', `Unknown operation ${operation}.`);
  }

  /** The ARN a request names (name or ARN), for authorization; the id itself when unknown. */
  arnOf(id: unknown): string {
    try {
      return this.find(id).ARN;
    } catch {
      return String(id);
    }
  }

  /** The customer-managed key a secret is encrypted with, if any. */
  keyOf(id: unknown): string | undefined {
    try {
      return this.find(id).KmsKeyId;
    } catch {
      return undefined;
    }
  }

  private find(id: unknown): StoredSecret {
    if (typeof id !== 'string' || id === '')
      throw new AwsServiceError('InvalidParameterException', 'SecretId is required.');
    const secret = id.startsWith('arn:')
      ? [...this.secrets.values()].find((s) => s.ARN === id)
      : this.secrets.get(id);
    if (!secret)
      throw new AwsServiceError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret.",
      );
    return secret;
  }
}

/**
 * A loopback SSM Parameter Store (JSON 1.1, `X-Amz-Target: AmazonSSM.<Operation>`): GetParameter.
 * `Name` is the name or ARN; a SecureString's `Value` is its plaintext only with
 * `WithDecryption: true` (without it, the value stays encrypted — here an opaque base64 text); the
 * answer is `{ Parameter: { Name, Type, Value, Version, LastModifiedDate, ARN, DataType } }`; an
 * unknown name is `ParameterNotFound`.
 * https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html
 * A parameter's ARN is `arn:aws:ssm:<region>:<account>:parameter/<name without its leading slash>`
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html#awssystemsmanager-resources-for-iam-policies).
 */
export class ParameterStoreLoopback {
  private readonly parameters = new Map<string, StoredParameter>();
  readonly reads: string[] = [];

  constructor(
    private readonly region: string,
    private readonly accountId: string,
  ) {}

  /** Creates or overwrites a parameter (a new version); returns its ARN. */
  putParameter(
    name: string,
    value: string,
    options: { type?: 'String' | 'SecureString'; keyId?: string } = {},
  ): string {
    const previous = this.parameters.get(name);
    const parameter: StoredParameter = {
      ARN: this.arnOf(name),
      Name: name,
      Type: options.type ?? 'SecureString',
      ...(options.keyId ? { KeyId: options.keyId } : {}),
      Value: value,
      Version: (previous?.Version ?? 0) + 1,
      LastModifiedDate: Date.now() / 1000,
    };
    this.parameters.set(name, parameter);
    return parameter.ARN;
  }

  handle(operation: string, input: Record<string, unknown>): unknown {
    if (operation !== 'GetParameter')
      throw new AwsServiceError('UnknownOperationException', `Unknown operation ${operation}.`);
    const name = typeof input.Name === 'string' ? input.Name : '';
    if (!name) throw new AwsServiceError('ValidationException', 'Name is required.');
    const parameter = this.find(name);
    if (!parameter) throw new AwsServiceError('ParameterNotFound', `Parameter ${name} not found.`);
    this.reads.push(parameter.Name);
    const decrypted = parameter.Type !== 'SecureString' || input.WithDecryption === true;
    return {
      Parameter: {
        Name: parameter.Name,
        Type: parameter.Type,
        Value: decrypted ? parameter.Value : Buffer.from(`sealed:${parameter.Version}`).toString('base64'),
        Version: parameter.Version,
        LastModifiedDate: parameter.LastModifiedDate,
        ARN: parameter.ARN,
        DataType: 'text',
      },
    };
  }

  arnOf(name: string): string {
    if (name.startsWith('arn:')) return name;
    return `arn:aws:ssm:${this.region}:${this.accountId}:parameter/${name.replace(/^\//, '')}`;
  }

  /** The key a SecureString is encrypted with, when not the default `aws/ssm`. */
  keyOf(name: string): string | undefined {
    return this.find(name)?.KeyId;
  }

  private find(name: string): StoredParameter | undefined {
    return name.startsWith('arn:')
      ? [...this.parameters.values()].find((p) => p.ARN === name)
      : this.parameters.get(name);
  }
}
