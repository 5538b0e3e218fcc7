import { randomUUID } from 'node:crypto';
import { AwsServiceError } from './protocol.js';
import type { AwsLoopbackCredentials } from './sigv4.js';

/** An IAM role in the loopback: its trust policy and inline policies (documents as JSON text). */
export interface IamRole {
  RoleName: string;
  RoleId: string;
  Arn: string;
  Path: string;
  CreateDate: string;
  AssumeRolePolicyDocument: string;
  Description?: string;
  /** Inline policies by name (PutRolePolicy). */
  policies: Map<string, string>;
}

export type EvalDecision = 'allowed' | 'implicitDeny' | 'explicitDeny';

interface Statement {
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
}

/**
 * IAM (roles, inline policies, SimulatePrincipalPolicy) and STS (GetCallerIdentity) in the
 * loopback, over the AWS Query protocol: form-encoded requests, XML answers
 * (https://docs.aws.amazon.com/IAM/latest/APIReference/iam-api.pdf, "Making Query requests").
 * Policy documents travel URL-encoded in IAM's answers, as IAM returns them
 * (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRole.html: "The policy is
 * URL-encoded compliant with RFC 3986").
 *
 * Policy evaluation is the subset windowed's policies use: Allow and Deny statements, `Action` /
 * `NotAction` and `Resource` with `*` and `?` wildcards, no conditions; an explicit Deny wins, and
 * no Allow is an implicit deny (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
 */
export class IamLoopback {
  readonly roles = new Map<string, IamRole>();
  /** Access keys of role sessions (what a function running with the role signs with). */
  readonly sessions = new Map<string, { credentials: AwsLoopbackCredentials; roleArn: string }>();

  constructor(private readonly accountId: string) {}

  /** Creates (or replaces) a role with a trust policy and inline policies; returns its ARN. */
  putRole(name: string, trust: object, policies: Record<string, object> = {}): string {
    const role = this.createRole({
      RoleName: name,
      AssumeRolePolicyDocument: JSON.stringify(trust),
    });
    for (const [policyName, document] of Object.entries(policies))
      role.policies.set(policyName, JSON.stringify(document));
    return role.Arn;
  }

  /** A role trusting `service` (e.g. `lambda.amazonaws.com`) with one inline policy allowing `statements`. */
  putServiceRole(name: string, service: string, statements: Statement[] = []): string {
    return this.putRole(
      name,
      {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
      },
      statements.length ? { windowed: { Version: '2012-10-17', Statement: statements } } : {},
    );
  }

  /** Credentials of a session of `roleArn`: requests signed with them are authorized by its policies. */
  sessionFor(roleArn: string): AwsLoopbackCredentials {
    const credentials = {
      accessKeyId: `ASIA${randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase()}`,
      secretAccessKey: randomUUID() + randomUUID(),
    };
    this.sessions.set(credentials.accessKeyId, { credentials, roleArn });
    return credentials;
  }

  role(nameOrArn: string): IamRole | undefined {
    return this.roles.get(nameOrArn.slice(nameOrArn.lastIndexOf('/') + 1));
  }

  /** Whether `principal` (a role ARN) may call `action` on `resource`, by its inline policies. */
  evaluate(roleArn: string, action: string, resource: string): EvalDecision {
    const role = this.role(roleArn);
    if (!role || role.Arn !== roleArn) return 'implicitDeny';
    let allowed = false;
    for (const text of role.policies.values()) {
      const document = JSON.parse(text) as { Statement?: Statement | Statement[] };
      for (const statement of list(document.Statement)) {
        if (!matchesAction(statement, action) || !list(statement.Resource).some((r) => wildcard(r, resource)))
          continue;
        if (statement.Effect === 'Deny') return 'explicitDeny';
        if (statement.Effect === 'Allow') allowed = true;
      }
    }
    return allowed ? 'allowed' : 'implicitDeny';
  }

  /** Whether `service` may assume the role (its trust policy names it). */
  trusts(roleArn: string, service: string): boolean {
    const role = this.role(roleArn);
    if (!role || role.Arn !== roleArn) return false;
    const trust = JSON.parse(role.AssumeRolePolicyDocument) as {
      Statement?: Array<Statement & { Principal?: { Service?: string | string[] } }>;
    };
    return list(trust.Statement).some(
      (s) =>
        s.Effect === 'Allow' &&
        list(s.Action).includes('sts:AssumeRole') &&
        list(s.Principal?.Service).includes(service),
    );
  }

  /** An IAM Query action; `params` as the form sent them (`ActionNames.member.1`, …). */
  handleIam(action: string, params: URLSearchParams): string {
    switch (action) {
      case 'GetRole':
        return xml('GetRole', { Role: describe(this.find(required(params, 'RoleName'))) });
      case 'CreateRole': {
        const name = required(params, 'RoleName');
        if (this.roles.has(name))
          throw new AwsServiceError('EntityAlreadyExists', `Role with name ${name} already exists.`, 409);
        const role = this.createRole({
          RoleName: name,
          AssumeRolePolicyDocument: policyParam(params, 'AssumeRolePolicyDocument'),
          ...(params.get('Description') ? { Description: params.get('Description')! } : {}),
        });
        return xml('CreateRole', { Role: describe(role) });
      }
      case 'UpdateAssumeRolePolicy': {
        this.find(required(params, 'RoleName')).AssumeRolePolicyDocument = policyParam(
          params,
          'PolicyDocument',
        );
        return xml('UpdateAssumeRolePolicy', undefined);
      }
      case 'PutRolePolicy': {
        const role = this.find(required(params, 'RoleName'));
        role.policies.set(required(params, 'PolicyName'), policyParam(params, 'PolicyDocument'));
        return xml('PutRolePolicy', undefined);
      }
      case 'GetRolePolicy': {
        const role = this.find(required(params, 'RoleName'));
        const name = required(params, 'PolicyName');
        const document = role.policies.get(name);
        if (document === undefined)
          throw new AwsServiceError(
            'NoSuchEntity',
            `The role policy with name ${name} cannot be found.`,
            404,
          );
        return xml('GetRolePolicy', {
          RoleName: role.RoleName,
          PolicyName: name,
          PolicyDocument: encodeURIComponent(document),
        });
      }
      case 'SimulatePrincipalPolicy':
        return this.simulate(params);
    }
    throw new AwsServiceError('InvalidAction', `The action ${action} is not valid for this web service.`);
  }

  /** An STS Query action. */
  handleSts(action: string, accessKeyId: string): string {
    if (action !== 'GetCallerIdentity')
      throw new AwsServiceError('InvalidAction', `The action ${action} is not valid for this web service.`);
    const session = this.sessions.get(accessKeyId);
    const arn = session
      ? session.roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/') + '/session'
      : `arn:aws:iam::${this.accountId}:user/windowed-deployer`;
    return xml(
      'GetCallerIdentity',
      { UserId: accessKeyId, Account: this.accountId, Arn: arn },
      'https://sts.amazonaws.com/doc/2011-06-15/',
    );
  }

  /**
   * SimulatePrincipalPolicy: one result per action and resource.
   * https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html
   */
  private simulate(params: URLSearchParams): string {
    const source = required(params, 'PolicySourceArn');
    this.find(source.slice(source.lastIndexOf('/') + 1));
    const actions = members(params, 'ActionNames');
    if (actions.length === 0) throw new AwsServiceError('ValidationError', 'ActionNames is required.');
    const resources = members(params, 'ResourceArns');
    const results = actions.flatMap((action) =>
      (resources.length ? resources : ['*']).map((resource) => ({
        EvalActionName: action,
        EvalResourceName: resource,
        EvalDecision: this.evaluate(source, action, resource),
      })),
    );
    return xml('SimulatePrincipalPolicy', { IsTruncated: false, EvaluationResults: results });
  }

  private createRole(input: {
    RoleName: string;
    AssumeRolePolicyDocument: string;
    Description?: string;
  }): IamRole {
    if (!/^[\w+=,.@-]{1,64}$/.test(input.RoleName))
      throw new AwsServiceError('ValidationError', `Invalid RoleName ${input.RoleName}.`);
    const role: IamRole = {
      ...input,
      RoleId: `AROA${randomUUID().replaceAll('-', '').slice(0, 17).toUpperCase()}`,
      Arn: `arn:aws:iam::${this.accountId}:role/${input.RoleName}`,
      Path: '/',
      CreateDate: new Date().toISOString(),
      policies: this.roles.get(input.RoleName)?.policies ?? new Map(),
    };
    this.roles.set(input.RoleName, role);
    return role;
  }

  private find(name: string): IamRole {
    const role = this.roles.get(name);
    if (!role) throw new AwsServiceError('NoSuchEntity', `The role with name ${name} cannot be found.`, 404);
    return role;
  }
}

function describe(role: IamRole): Record<string, unknown> {
  return {
    Path: role.Path,
    RoleName: role.RoleName,
    RoleId: role.RoleId,
    Arn: role.Arn,
    CreateDate: role.CreateDate,
    AssumeRolePolicyDocument: encodeURIComponent(role.AssumeRolePolicyDocument),
    ...(role.Description ? { Description: role.Description } : {}),
  };
}

function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (!value) throw new AwsServiceError('ValidationError', `${name} is required.`);
  return value;
}

function policyParam(params: URLSearchParams, name: string): string {
  const text = required(params, name);
  try {
    JSON.parse(text);
  } catch {
    throw new AwsServiceError('MalformedPolicyDocument', `${name} is not valid JSON.`);
  }
  return text;
}

/** `Name.member.1`, `Name.member.2`, … in order. */
function members(params: URLSearchParams, name: string): string[] {
  const out: string[] = [];
  for (let i = 1; params.has(`${name}.member.${i}`); i++) out.push(params.get(`${name}.member.${i}`)!);
  return out;
}

function list<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function matchesAction(statement: Statement, action: string): boolean {
  if (statement.NotAction !== undefined)
    return !list(statement.NotAction).some((a) => wildcard(a, action, true));
  return list(statement.Action).some((a) => wildcard(a, action, true));
}

/** IAM's wildcards: `*` any run of characters, `?` one; actions compare case-insensitively. */
function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

/** A Query protocol answer: `<{Action}Response><{Action}Result>…</{Action}Result><ResponseMetadata/>`. */
function xml(
  action: string,
  result: Record<string, unknown> | undefined,
  ns = 'https://iam.amazonaws.com/doc/2010-05-08/',
): string {
  const body = result === undefined ? '' : `<${action}Result>${fields(result)}</${action}Result>`;
  return `<${action}Response xmlns="${ns}">${body}<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;
}

function fields(value: Record<string, unknown>): string {
  return Object.entries(value)
    .map(([key, v]) => `<${key}>${node(v)}</${key}>`)
    .join('');
}

function node(value: unknown): string {
  if (Array.isArray(value)) return value.map((v) => `<member>${node(v)}</member>`).join('');
  if (typeof value === 'object' && value !== null) return fields(value as Record<string, unknown>);
  return escapeXml(String(value));
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The Query protocol's error document. */
export function queryError(error: AwsServiceError): string {
  return `<ErrorResponse><Error><Type>Sender</Type><Code>${error.code}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
}
