import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBodyServer, queryAndFormParams } from '../http.js';
import { verifyAcs3 } from './acs3.js';
import type { LoopbackCredentials } from './sls-server.js';

export interface RamRoleState {
  RoleName: string;
  RoleId: string;
  Arn: string;
  AssumeRolePolicyDocument: string;
  Description?: string;
  /** Custom policies attached to the role, by name. */
  attached: Set<string>;
}

export interface RamPolicyState {
  PolicyName: string;
  /** Versions, newest last; `default` is the one in force. */
  versions: Array<{ VersionId: string; PolicyDocument: string }>;
  defaultVersion: string;
}

export interface RamLoopbackServer {
  /** Give `new URL(endpoint).host` and `protocol: 'http'` to `@alicloud/ram20150501`'s client. */
  endpoint: string;
  accountId: string;
  role(name: string): RamRoleState | undefined;
  policy(name: string): RamPolicyState | undefined;
  /** The documents of the custom policies attached to a role, as JSON. */
  attachedDocuments(roleName: string): unknown[];
  /** Every operation called, in order. */
  calls: string[];
  close(): Promise<void>;
}

class RamError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A loopback RAM (Resource Access Management, API 2015-05-01) for what `role: { create: true }`
 * calls: GetRole, CreateRole, UpdateRole, GetPolicy, CreatePolicy, CreatePolicyVersion,
 * AttachPolicyToRole, ListPoliciesForRole. RPC style: the action in `x-acs-action`, parameters in
 * the query, V3-signed (https://help.aliyun.com/zh/sdk/product-overview/v3-request-structure-and-signature).
 * Errors as RAM names them: `EntityNotExist.Role`, `EntityNotExist.Policy`, `EntityAlreadyExists.Role`,
 * `EntityAlreadyExists.Policy`, `EntityAlreadyExists.Role.Policy`
 * (https://www.alibabacloud.com/help/en/ram/developer-reference/api-ram-2015-05-01-createrole).
 * A policy keeps at most 5 versions; CreatePolicyVersion with `RotateStrategy=DeleteOldestNonDefaultVersionWhenLimitExceeded` drops the oldest.
 */
export async function startRamServer(
  options: { accountId?: string; credentials?: LoopbackCredentials[] } = {},
): Promise<RamLoopbackServer> {
  const accountId = options.accountId ?? '1234567890123456';
  const credentials = options.credentials ?? [
    { accessKeyId: 'LTAI-deploy', accessKeySecret: 'deploy-secret' },
  ];
  const roles = new Map<string, RamRoleState>();
  const policies = new Map<string, RamPolicyState>();
  const calls: string[] = [];

  const server = createBodyServer((req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const action = String(req.headers['x-acs-action'] ?? '');
    calls.push(action);
    const auth = verifyAcs3(req, url, body, credentials);
    if ('refused' in auth)
      return send(res, auth.refused.status, { Code: auth.refused.code, Message: auth.refused.message });
    const params = queryAndFormParams(url, body);
    try {
      send(res, 200, { RequestId: randomUUID(), ...handle(action, params) });
    } catch (error) {
      const e =
        error instanceof RamError
          ? error
          : new RamError(500, 'InternalError', String((error as Error)?.message));
      send(res, e.status, { Code: e.code, Message: e.message, RequestId: randomUUID() });
    }
  });

  function required(params: URLSearchParams, name: string): string {
    const value = params.get(name);
    if (!value) throw new RamError(400, `MissingParameter`, `${name} is mandatory for this action.`);
    return value;
  }

  function json(params: URLSearchParams, name: string): string {
    const text = required(params, name);
    try {
      JSON.parse(text);
    } catch {
      throw new RamError(400, 'MalformedPolicyDocument', `${name} is not valid JSON.`);
    }
    return text;
  }

  function role(name: string): RamRoleState {
    const found = roles.get(name);
    if (!found) throw new RamError(404, 'EntityNotExist.Role', `The role does not exist: ${name}.`);
    return found;
  }

  function policy(name: string): RamPolicyState {
    const found = policies.get(name);
    if (!found) throw new RamError(404, 'EntityNotExist.Policy', `The policy does not exist: ${name}.`);
    return found;
  }

  const describe = (r: RamRoleState) => ({
    RoleName: r.RoleName,
    RoleId: r.RoleId,
    Arn: r.Arn,
    AssumeRolePolicyDocument: r.AssumeRolePolicyDocument,
    ...(r.Description ? { Description: r.Description } : {}),
  });

  function handle(action: string, params: URLSearchParams): Record<string, unknown> {
    switch (action) {
      case 'GetRole':
        return { Role: describe(role(required(params, 'RoleName'))) };
      case 'CreateRole': {
        const name = required(params, 'RoleName');
        if (!/^[A-Za-z0-9.-]{1,64}$/.test(name))
          throw new RamError(400, 'InvalidParameter.RoleName', `Invalid RoleName ${name}.`);
        if (roles.has(name))
          throw new RamError(409, 'EntityAlreadyExists.Role', `The role already exists: ${name}.`);
        const created: RamRoleState = {
          RoleName: name,
          RoleId: String(Math.floor(Math.random() * 1e18)),
          Arn: `acs:ram::${accountId}:role/${name.toLowerCase()}`,
          AssumeRolePolicyDocument: json(params, 'AssumeRolePolicyDocument'),
          ...(params.get('Description') ? { Description: params.get('Description')! } : {}),
          attached: new Set(),
        };
        roles.set(name, created);
        return { Role: describe(created) };
      }
      case 'UpdateRole': {
        const found = role(required(params, 'RoleName'));
        if (params.get('NewAssumeRolePolicyDocument'))
          found.AssumeRolePolicyDocument = json(params, 'NewAssumeRolePolicyDocument');
        return { Role: describe(found) };
      }
      case 'GetPolicy': {
        const found = policy(required(params, 'PolicyName'));
        const version = found.versions.find((v) => v.VersionId === found.defaultVersion)!;
        return {
          Policy: {
            PolicyName: found.PolicyName,
            PolicyType: 'Custom',
            DefaultVersion: found.defaultVersion,
          },
          DefaultPolicyVersion: {
            VersionId: version.VersionId,
            IsDefaultVersion: true,
            PolicyDocument: version.PolicyDocument,
          },
        };
      }
      case 'CreatePolicy': {
        const name = required(params, 'PolicyName');
        if (policies.has(name))
          throw new RamError(409, 'EntityAlreadyExists.Policy', `The policy already exists: ${name}.`);
        policies.set(name, {
          PolicyName: name,
          versions: [{ VersionId: 'v1', PolicyDocument: json(params, 'PolicyDocument') }],
          defaultVersion: 'v1',
        });
        return { Policy: { PolicyName: name, PolicyType: 'Custom', DefaultVersion: 'v1' } };
      }
      case 'CreatePolicyVersion': {
        const found = policy(required(params, 'PolicyName'));
        if (found.versions.length >= 5) {
          if (params.get('RotateStrategy') !== 'DeleteOldestNonDefaultVersionWhenLimitExceeded')
            throw new RamError(
              409,
              'LimitExceeded.Policy.Version',
              'The number of policy versions exceeds the limit of 5.',
            );
          const oldest = found.versions.findIndex((v) => v.VersionId !== found.defaultVersion);
          found.versions.splice(oldest, 1);
        }
        const last = found.versions[found.versions.length - 1]!.VersionId;
        const VersionId = `v${Number(last.slice(1)) + 1}`;
        found.versions.push({ VersionId, PolicyDocument: json(params, 'PolicyDocument') });
        if (params.get('SetAsDefault') === 'true') found.defaultVersion = VersionId;
        return { PolicyVersion: { VersionId, IsDefaultVersion: found.defaultVersion === VersionId } };
      }
      case 'AttachPolicyToRole': {
        if (params.get('PolicyType') !== 'Custom')
          throw new RamError(400, 'InvalidParameter.PolicyType', 'PolicyType must be Custom or System.');
        const name = required(params, 'PolicyName');
        policy(name);
        const found = role(required(params, 'RoleName'));
        if (found.attached.has(name))
          throw new RamError(
            409,
            'EntityAlreadyExists.Role.Policy',
            `The policy is already attached to the role: ${name}.`,
          );
        found.attached.add(name);
        return {};
      }
      case 'ListPoliciesForRole': {
        const found = role(required(params, 'RoleName'));
        return {
          Policies: {
            Policy: [...found.attached].map((PolicyName) => ({ PolicyName, PolicyType: 'Custom' })),
          },
        };
      }
    }
    throw new RamError(
      400,
      'InvalidAction.NotFound',
      `Specified api is not found, please check your url and method: ${action}`,
    );
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    accountId,
    calls,
    role: (name) => roles.get(name),
    policy: (name) => policies.get(name),
    attachedDocuments(roleName) {
      const found = roles.get(roleName);
      return [...(found?.attached ?? [])].map((name) => {
        const p = policies.get(name)!;
        return JSON.parse(p.versions.find((v) => v.VersionId === p.defaultVersion)!.PolicyDocument);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json;charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
