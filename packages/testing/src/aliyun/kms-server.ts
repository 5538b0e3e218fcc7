import { createHmac, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBodyServer, queryAndFormParams } from '../http.js';
import type { LoopbackCredentials } from './sls-server.js';

export interface KmsServerOptions {
  region?: string;
  accountId?: string;
  credentials?: LoopbackCredentials[];
  /**
   * The policy documents in force for a caller's AccessKey id (a role session's, say, from the
   * loopback RAM's `attachedDocuments`); callers it answers nothing for are not checked.
   */
  policiesOf?: (accessKeyId: string) => unknown[] | undefined;
}

export interface KmsLoopbackServer {
  /** Give `new URL(endpoint).host` and `protocol: 'http'` to `@alicloud/kms20160120`'s client. */
  endpoint: string;
  region: string;
  accountId: string;
  /** Creates the secret, or puts a new ACSCurrent version (a rotation); returns its ARN. */
  putSecret(name: string, value: string, options?: { encryptionKeyId?: string }): string;
  /** Secret names each GetSecretValue answered, in order. */
  reads: string[];
  /** Every action called, in order. */
  calls: string[];
  close(): Promise<void>;
}

interface StoredSecret {
  arn: string;
  name: string;
  encryptionKeyId?: string;
  createTime: string;
  versions: Array<{ versionId: string; data: string; createTime: string }>;
}

class KmsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A loopback KMS Secrets Manager (API 2016-01-20) for what a function and `windowed doctor` call:
 * GetSecretValue and DescribeSecret. RPC style, as `@alicloud/kms20160120` sends it: every
 * parameter (Action, Version, AccessKeyId, SignatureNonce, Timestamp, …) in the query, signed with
 * signature V1: HMAC-SHA1 keyed with `<AccessKeySecret>&` over
 * `POST&%2F&<percent-encoded canonical query>` (sorted keys, RFC 3986 encoding), base64.
 * https://www.alibabacloud.com/help/en/sdk/product-overview/rpc-mechanism
 * - GetSecretValue: `SecretName` (name or ARN `acs:kms:<region>:<account>:secret/<name>`),
 *   `VersionStage` (default ACSCurrent); answers `SecretName`, `SecretType`, `SecretData`,
 *   `SecretDataType` (`text`), `VersionId`, `VersionStages`, `CreateTime`, `RequestId`.
 *   https://www.alibabacloud.com/help/en/kms/key-management-service/developer-reference/api-kms-2016-01-20-getsecretvalue
 * - DescribeSecret: `Arn`, `SecretName`, `EncryptionKeyId`, `CreateTime`.
 *   https://www.alibabacloud.com/help/en/kms/key-management-service/developer-reference/api-kms-2016-01-20-describesecret
 * - An unknown secret is `Forbidden.ResourceNotFound` (HTTP 404), as KMS's error codes name it.
 * - A caller whose policies do not allow `kms:GetSecretValue` on the secret's ARN (and
 *   `kms:Decrypt` on its key, when it names one) is refused `Forbidden.NoPermission` (HTTP 403).
 */
export async function startKmsServer(options: KmsServerOptions = {}): Promise<KmsLoopbackServer> {
  const region = options.region ?? 'cn-hangzhou';
  const accountId = options.accountId ?? '1234567890123456';
  const credentials = options.credentials ?? [{ accessKeyId: 'LTAI-kms', accessKeySecret: 'kms-secret' }];
  const secrets = new Map<string, StoredSecret>();
  const reads: string[] = [];
  const calls: string[] = [];
  const arnOf = (name: string) => `acs:kms:${region}:${accountId}:secret/${name}`;

  const server = createBodyServer((req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const params = queryAndFormParams(url, body);
    const action = params.get('Action') ?? '';
    calls.push(action);
    try {
      const accessKeyId = verifySignatureV1(req.method ?? 'GET', params, credentials);
      send(res, 200, { RequestId: randomUUID(), ...handle(action, params, accessKeyId) });
    } catch (error) {
      const e =
        error instanceof KmsError
          ? error
          : new KmsError(500, 'InternalFailure', String((error as Error)?.message));
      send(res, e.status, { Code: e.code, Message: e.message, RequestId: randomUUID() });
    }
  });

  function find(params: URLSearchParams): StoredSecret {
    const id = params.get('SecretName');
    if (!id) throw new KmsError(400, 'MissingParameter', 'SecretName is mandatory for this action.');
    const name = id.startsWith('acs:kms:') ? id.slice(id.indexOf(':secret/') + ':secret/'.length) : id;
    const secret = secrets.get(name);
    if (!secret || (id.startsWith('acs:') && secret.arn !== id))
      throw new KmsError(404, 'Forbidden.ResourceNotFound', 'The resource cannot be found.');
    return secret;
  }

  function authorize(accessKeyId: string, action: string, resource: string): void {
    const documents = options.policiesOf?.(accessKeyId);
    if (!documents) return;
    const allowed = documents.some((d) =>
      list((d as { Statement?: unknown }).Statement).some((s) => {
        const statement = s as { Effect?: string; Action?: unknown; Resource?: unknown };
        return (
          statement.Effect === 'Allow' &&
          list(statement.Action).some((a) => wildcard(String(a), action)) &&
          list(statement.Resource).some((r) => wildcard(String(r), resource))
        );
      }),
    );
    if (!allowed)
      throw new KmsError(
        403,
        'Forbidden.NoPermission',
        `This operation is forbidden by permission system: ${action} on ${resource}.`,
      );
  }

  function handle(action: string, params: URLSearchParams, accessKeyId: string): Record<string, unknown> {
    switch (action) {
      case 'GetSecretValue': {
        const secret = find(params);
        authorize(accessKeyId, 'kms:GetSecretValue', secret.arn);
        if (secret.encryptionKeyId)
          authorize(
            accessKeyId,
            'kms:Decrypt',
            `acs:kms:${region}:${accountId}:key/${secret.encryptionKeyId}`,
          );
        const stage = params.get('VersionStage') ?? 'ACSCurrent';
        const index = secret.versions.length - (stage === 'ACSPrevious' ? 2 : 1);
        const version =
          stage === 'ACSCurrent' || stage === 'ACSPrevious' ? secret.versions[index] : undefined;
        if (!version) throw new KmsError(404, 'Forbidden.ResourceNotFound', 'The resource cannot be found.');
        reads.push(secret.name);
        return {
          SecretName: secret.name,
          SecretType: 'Generic',
          SecretData: version.data,
          SecretDataType: 'text',
          VersionId: version.versionId,
          VersionStages: { VersionStage: [stage] },
          CreateTime: version.createTime,
        };
      }
      case 'DescribeSecret': {
        const secret = find(params);
        authorize(accessKeyId, 'kms:DescribeSecret', secret.arn);
        return {
          Arn: secret.arn,
          SecretName: secret.name,
          ...(secret.encryptionKeyId ? { EncryptionKeyId: secret.encryptionKeyId } : {}),
          CreateTime: secret.createTime,
        };
      }
    }
    throw new KmsError(404, 'InvalidAction.NotFound', `Specified api is not found: ${action}.`);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region,
    accountId,
    reads,
    calls,
    putSecret(name, value, putOptions = {}) {
      const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      let secret = secrets.get(name);
      if (!secret) {
        secret = {
          arn: arnOf(name),
          name,
          createTime: now,
          versions: [],
          ...(putOptions.encryptionKeyId ? { encryptionKeyId: putOptions.encryptionKeyId } : {}),
        };
        secrets.set(name, secret);
      }
      secret.versions.push({ versionId: randomUUID().replaceAll('-', ''), data: value, createTime: now });
      return secret.arn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** RFC 3986 percent-encoding, as signature V1 canonicalizes. */
function encode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Checks the V1 signature (see startKmsServer); returns the AccessKey id it was made with. */
function verifySignatureV1(
  method: string,
  params: URLSearchParams,
  credentials: LoopbackCredentials[],
): string {
  const accessKeyId = params.get('AccessKeyId') ?? '';
  const credential = credentials.find((c) => c.accessKeyId === accessKeyId);
  if (!credential)
    throw new KmsError(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
  if (credential.securityToken !== undefined && params.get('SecurityToken') !== credential.securityToken)
    throw new KmsError(
      403,
      'InvalidSecurityToken.Mismatch',
      'The security token is missing or does not match.',
    );
  if (params.get('SignatureMethod') !== 'HMAC-SHA1' || params.get('SignatureVersion') !== '1.0')
    throw new KmsError(400, 'InvalidParameter', 'SignatureMethod must be HMAC-SHA1, SignatureVersion 1.0.');
  const canonical = [...params.keys()]
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${encode(k)}=${encode(params.get(k) ?? '')}`)
    .join('&');
  const stringToSign = `${method}&${encode('/')}&${encode(canonical)}`;
  const expected = createHmac('sha1', `${credential.accessKeySecret}&`).update(stringToSign).digest('base64');
  if (params.get('Signature') !== expected)
    throw new KmsError(
      400,
      'SignatureDoesNotMatch',
      'Specified signature is not matched with our calculation.',
    );
  return accessKeyId;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

/** RAM's `*` and `?` wildcards. */
function wildcard(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(value);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
