import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLoopbackServer } from '../http.js';
import { describeCall } from './describe.js';
import { EventBridgeLoopback } from './eventbridge.js';
import { IamLoopback, queryError } from './iam.js';
import { LambdaLoopback } from './lambda.js';
import { LambdaInvocations } from './lambda-invoke.js';
import { LogsLoopback } from './logs.js';
import { AwsServiceError, type LoopbackResponse } from './protocol.js';
import { SchedulerLoopback } from './scheduler.js';
import { ParameterStoreLoopback, SecretsManagerLoopback } from './secrets.js';
import { type AwsLoopbackCredentials, verifySigV4 } from './sigv4.js';
import { SqsLoopback } from './sqs.js';

export interface AwsLoopbackOptions {
  credentials?: AwsLoopbackCredentials;
  region?: string;
  accountId?: string;
  /** GetFunction polls that still see Pending / InProgress after each create or update. Default 0. */
  lambdaSettlePolls?: number;
  /** Wait before retry `n` of a failed async invocation. Default Lambda's: n minutes. */
  lambdaRetryDelayMs?: (n: number) => number;
}

export interface AwsLoopbackRequest {
  service: 'lambda' | 'scheduler' | 'events' | 'logs' | 'sqs' | 'iam' | 'sts' | 'secretsmanager' | 'ssm';
  operation: string;
  status: number;
}

export interface AwsLoopback {
  endpoint: string;
  region: string;
  accountId: string;
  credentials: AwsLoopbackCredentials;
  /** Spread into any AWS SDK v3 client: `new LambdaClient(aws.clientConfig)`. */
  clientConfig: { endpoint: string; region: string; credentials: AwsLoopbackCredentials };
  lambda: LambdaLoopback;
  scheduler: SchedulerLoopback;
  events: EventBridgeLoopback;
  logs: LogsLoopback;
  sqs: SqsLoopback;
  /** IAM roles and policies (Lambda checks them); STS GetCallerIdentity. */
  iam: IamLoopback;
  /** Secrets Manager: GetSecretValue, DescribeSecret (a role session needs the read permission). */
  secretsManager: SecretsManagerLoopback;
  /** SSM Parameter Store: GetParameter. */
  ssm: ParameterStoreLoopback;
  /** Every request, in order (rejected ones too). */
  requests: AwsLoopbackRequest[];
  /** Operation names called on a service, in order. */
  operations(service?: AwsLoopbackRequest['service']): string[];
  close(): Promise<void>;
}

export const AWS_LOOPBACK_CREDENTIALS: AwsLoopbackCredentials = {
  accessKeyId: 'AKIDLOOPBACKTEST0001',
  secretAccessKey: 'loopback/secret/key/for/tests/only/0000000',
};

/**
 * One HTTP server on 127.0.0.1 that plays Lambda and EventBridge Scheduler (REST-JSON), EventBridge
 * and CloudWatch Logs (JSON 1.1, `X-Amz-Target`), checks every request's SigV4 signature, and keeps
 * state, so the real SDK clients run against it unchanged.
 */
export async function startAwsLoopback(options: AwsLoopbackOptions = {}): Promise<AwsLoopback> {
  const credentials = options.credentials ?? AWS_LOOPBACK_CREDENTIALS;
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  const iam = new IamLoopback(accountId);
  const lambda = new LambdaLoopback(region, accountId, options.lambdaSettlePolls ?? 0, iam);
  const scheduler = new SchedulerLoopback(region, accountId);
  const events = new EventBridgeLoopback(region, accountId);
  const logs = new LogsLoopback(accountId);
  const secretsManager = new SecretsManagerLoopback(region, accountId);
  const ssm = new ParameterStoreLoopback(region, accountId);
  let endpoint = '';
  const sqs = new SqsLoopback(() => endpoint, accountId);
  lambda.invocations = new LambdaInvocations(region, {
    ...(options.lambdaRetryDelayMs ? { retryDelayMs: options.lambdaRetryDelayMs } : {}),
    // Only SQS destinations are delivered (the others are accepted by the config and dropped).
    deliver: (arn, record) => {
      const [, , service, , , queue] = arn.split(':');
      if (service === 'sqs' && queue) sqs.send(queue, record);
    },
  });
  const requests: AwsLoopbackRequest[] = [];

  const server = createLoopbackServer((req, res) => {
    handle(req, res).catch((error) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: String((error as Error)?.message ?? error) }));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const target = req.headers['x-amz-target'];
    const route = routeOf(req, typeof target === 'string' ? target : undefined, body);
    const json = route.protocol === 'json';
    const record = (status: number) =>
      requests.push({ service: route.service, operation: route.operation, status });
    // A role session's key (what a function signs with) is checked against the role's policies.
    const accessKeyId = /Credential=([^/,\s]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
    const session = iam.sessions.get(accessKeyId);
    try {
      const check = await verifySigV4(req, body, session?.credentials ?? credentials);
      if (!check.ok) throw new AwsServiceError(check.code, check.message, check.status);
      if (check.service !== route.service) {
        throw new AwsServiceError(
          'InvalidSignatureException',
          `Credential should be scoped to correct service: '${route.service}'.`,
          403,
        );
      }
      if (route.protocol === 'query') {
        const params = new URLSearchParams(body.toString('utf8'));
        const answer =
          route.service === 'sts'
            ? iam.handleSts(route.operation, accessKeyId)
            : iam.handleIam(route.operation, params);
        record(200);
        res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
        res.end(answer);
        return;
      }
      const invoke = route.operation === 'Invoke';
      const input =
        body.length && !invoke ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
      if (session) authorize(iam, region, session.roleArn, route, input);
      if (session) authorizeSecretRead(iam, session.roleArn, route, input, secretsManager, ssm);
      let response: LoopbackResponse;
      if (route.service === 'lambda' || route.service === 'scheduler') {
        const url = new URL(req.url ?? '/', 'http://loopback');
        const rest = {
          method: req.method ?? 'GET',
          segments: url.pathname.split('/').filter(Boolean).map(decodeURIComponent),
          query: url.searchParams,
          body: input,
          raw: body.toString('utf8'),
          headers: req.headers,
        };
        response = route.service === 'lambda' ? await lambda.handle(rest) : scheduler.handle(rest);
      } else if (route.service === 'secretsmanager' || route.service === 'ssm') {
        const store = route.service === 'ssm' ? ssm : secretsManager;
        response = { body: store.handle(route.operation, input) };
      } else {
        const described =
          route.service === 'logs' || route.service === 'sqs'
            ? describeCall(route.service, route.operation, input, { logs, sqs, region, accountId, endpoint })
            : { handled: false as const };
        const service = { events, logs, sqs }[route.service as 'events' | 'logs' | 'sqs'];
        response = { body: described.handled ? described.body : service.handle(route.operation, input) };
      }
      record(response.status ?? 200);
      res.writeHead(response.status ?? 200, {
        'content-type': contentType(route),
        'x-amzn-requestid': randomUUID(),
        ...response.headers,
      });
      res.end(typeof response.body === 'string' ? response.body : JSON.stringify(response.body ?? {}));
    } catch (error) {
      const failure =
        error instanceof AwsServiceError
          ? error
          : new AwsServiceError('InternalFailure', String((error as Error)?.message ?? error), 500);
      record(failure.status);
      if (route.protocol === 'query') {
        res.writeHead(failure.status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
        res.end(queryError(failure));
        return;
      }
      res.writeHead(failure.status, {
        'content-type': contentType(route),
        'x-amzn-requestid': randomUUID(),
        'x-amzn-errortype': failure.code,
      });
      res.end(
        JSON.stringify(
          json
            ? { __type: failure.code, message: failure.message }
            : { Type: 'User', message: failure.message },
        ),
      );
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    region,
    accountId,
    credentials,
    clientConfig: { endpoint, region, credentials },
    lambda,
    scheduler,
    events,
    logs,
    sqs,
    iam,
    secretsManager,
    ssm,
    requests,
    operations: (service) =>
      requests.filter((r) => !service || r.service === service).map((r) => r.operation),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

interface Route {
  service: AwsLoopbackRequest['service'];
  operation: string;
  protocol: 'json' | 'rest' | 'query';
}

/** The JSON protocol services by their `X-Amz-Target` prefix (the rest is CloudWatch Logs). */
const TARGET_SERVICES: Record<string, AwsLoopbackRequest['service']> = {
  AWSEvents: 'events',
  AmazonSQS: 'sqs',
  secretsmanager: 'secretsmanager',
  AmazonSSM: 'ssm',
};

/**
 * A role session reading a secret needs `secretsmanager:GetSecretValue` on the secret's ARN
 * (`ssm:GetParameter` on the parameter's), and `kms:Decrypt` on the customer-managed key that
 * encrypts it. https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
 * ("Required permissions"), https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-access.html
 */
function authorizeSecretRead(
  iam: IamLoopback,
  roleArn: string,
  route: Route,
  input: Record<string, unknown>,
  secretsManager: SecretsManagerLoopback,
  ssm: ParameterStoreLoopback,
): void {
  if (route.service !== 'secretsmanager' && route.service !== 'ssm') return;
  const isSecret = route.service === 'secretsmanager';
  const resource = isSecret ? secretsManager.arnOf(input.SecretId) : ssm.arnOf(String(input.Name ?? ''));
  const checks: Array<[string, string]> = [[`${route.service}:${route.operation}`, resource]];
  const key = isSecret ? secretsManager.keyOf(input.SecretId) : ssm.keyOf(String(input.Name ?? ''));
  if (key && route.operation !== 'DescribeSecret') checks.push(['kms:Decrypt', key]);
  for (const [action, arn] of checks) {
    if (iam.evaluate(roleArn, action, arn) !== 'allowed')
      throw new AwsServiceError(
        'AccessDeniedException',
        `User: ${roleArn} is not authorized to perform: ${action} on resource: ${arn} because no identity-based policy allows the ${action} action`,
      );
  }
}

function routeOf(req: IncomingMessage, target: string | undefined, body: Buffer): Route {
  if (String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    // The Query protocol (IAM, STS): the service is the signature's scope, the operation `Action`.
    const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(String(req.headers.authorization ?? ''));
    const service = scope?.[1] === 'sts' ? 'sts' : 'iam';
    return {
      service,
      operation: new URLSearchParams(body.toString('utf8')).get('Action') ?? '',
      protocol: 'query',
    };
  }
  if (target) {
    const [prefix = '', operation = ''] = target.split('.');
    return {
      service: TARGET_SERVICES[prefix] ?? 'logs',
      operation,
      protocol: 'json',
    };
  }
  const path = (req.url ?? '/').split('?')[0]!;
  const method = req.method ?? 'GET';
  if (path.startsWith('/schedules')) {
    const names: Record<string, string> = {
      POST: 'CreateSchedule',
      PUT: 'UpdateSchedule',
      GET: 'GetSchedule',
      DELETE: 'DeleteSchedule',
    };
    return { service: 'scheduler', operation: names[method] ?? method, protocol: 'rest' };
  }
  return { service: 'lambda', operation: lambdaOperation(method, path), protocol: 'rest' };
}

/**
 * What a role session may call, by the role's policies, for the CloudWatch Logs Insights calls a
 * source makes: StartQuery on each log group, GetQueryResults and StopQuery on `*` (they take no
 * resource). https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
 * Refused the way the cloud refuses: AccessDeniedException naming the action and resource.
 */
function authorize(
  iam: IamLoopback,
  region: string,
  roleArn: string,
  route: Route,
  input: Record<string, unknown>,
): void {
  if (route.service !== 'logs') return;
  const [, partition = 'aws', , , account = ''] = roleArn.split(':');
  const groups = [
    ...((input.logGroupNames as string[] | undefined) ?? []),
    ...((input.logGroupIdentifiers as string[] | undefined) ?? []),
    ...(typeof input.logGroupName === 'string' ? [input.logGroupName] : []),
  ];
  const resources = groups.length
    ? groups.map((g) =>
        g.startsWith('arn:') ? g : `arn:${partition}:logs:${region}:${account}:log-group:${g}:*`,
      )
    : ['*'];
  for (const resource of resources) {
    const action = `logs:${route.operation}`;
    if (iam.evaluate(roleArn, action, resource) !== 'allowed') {
      throw new AwsServiceError(
        'AccessDeniedException',
        `User: ${roleArn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`,
      );
    }
  }
}

function contentType(route: Route): string {
  if (route.protocol === 'rest') return 'application/json';
  return route.service === 'sqs' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';
}

function lambdaOperation(method: string, path: string): string {
  const sub = path.split('/').filter(Boolean)[3];
  if (sub === 'invocations') return 'Invoke';
  if (path.includes('event-invoke-config'))
    return method === 'PUT' ? 'PutFunctionEventInvokeConfig' : `${method} EventInvokeConfig`;
  if (sub === 'code') return 'UpdateFunctionCode';
  if (sub === 'configuration')
    return method === 'PUT' ? 'UpdateFunctionConfiguration' : 'GetFunctionConfiguration';
  if (sub === 'policy') return method === 'POST' ? 'AddPermission' : 'GetPolicy';
  if (method === 'POST') return 'CreateFunction';
  return method === 'GET' ? 'GetFunction' : `${method} ${path}`;
}
