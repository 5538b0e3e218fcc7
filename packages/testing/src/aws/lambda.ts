import { createHash, randomUUID } from 'node:crypto';
import type { IamLoopback } from './iam.js';
import type { LambdaInvocations } from './lambda-invoke.js';
import {
  AwsServiceError,
  inRange,
  type LoopbackResponse,
  type RestRequest,
  requireString,
} from './protocol.js';

export interface LambdaFunctionRecord {
  configuration: Record<string, unknown>;
  code: Uint8Array;
  /** Resource policy statements (AddPermission). */
  policy: Array<Record<string, unknown>>;
  eventInvokeConfig?: Record<string, unknown>;
  /** GetFunction polls left before a create or update settles (Pending / InProgress until then). */
  settling: number;
}

/** Lambda's state in the loopback: functions by name. */
export class LambdaLoopback {
  readonly functions = new Map<string, LambdaFunctionRecord>();
  /** Runs functions' code for Invoke (set by the server). */
  invocations?: LambdaInvocations;

  constructor(
    private readonly region: string,
    private readonly accountId: string,
    /** GetFunction calls that see Pending / InProgress after each create and update. */
    public settlePolls = 0,
    /** The account's roles: Lambda checks the execution role against them. */
    private readonly iam?: IamLoopback,
  ) {}

  handle(req: RestRequest): LoopbackResponse | Promise<LoopbackResponse> {
    const [version, collection, name, sub] = req.segments;
    if (collection !== 'functions')
      throw new AwsServiceError('UnknownOperationException', 'Unknown operation', 404);
    if (version === '2015-03-31' && sub === 'invocations' && req.method === 'POST' && this.invocations) {
      const type = req.headers?.['x-amz-invocation-type'];
      return this.invocations.invoke(
        this.find(name!),
        typeof type === 'string' ? type : undefined,
        req.raw ?? '',
      );
    }
    if (version === '2015-03-31') {
      if (!name && req.method === 'POST') return this.createFunction(req.body);
      if (name && !sub && req.method === 'GET') return this.getFunction(name);
      if (sub === 'code' && req.method === 'PUT') return this.updateCode(name!, req.body);
      if (sub === 'configuration' && req.method === 'PUT') return this.updateConfiguration(name!, req.body);
      if (sub === 'configuration' && req.method === 'GET')
        return { body: this.settle(this.find(name!)).configuration };
      if (sub === 'policy' && req.method === 'POST') return this.addPermission(name!, req.body);
      if (sub === 'policy' && req.method === 'GET') return this.getPolicy(name!);
    }
    if (version === '2019-09-25' && sub === 'event-invoke-config') {
      if (req.method === 'PUT') return this.putEventInvokeConfig(name!, req.body);
      if (req.method === 'GET') {
        const config = this.find(name!).eventInvokeConfig;
        if (!config)
          throw new AwsServiceError(
            'ResourceNotFoundException',
            `The function ${name} doesn't have an EventInvokeConfig`,
            404,
          );
        return { body: config };
      }
    }
    throw new AwsServiceError(
      'UnknownOperationException',
      `Unknown operation ${req.method} ${req.segments.join('/')}`,
      404,
    );
  }

  private createFunction(body: Record<string, unknown>): LoopbackResponse {
    const name = requireString(body, 'FunctionName');
    if (!/^[a-zA-Z0-9-_]{1,64}$/.test(name))
      throw new AwsServiceError('InvalidParameterValueException', `Invalid FunctionName ${name}`);
    if (this.functions.has(name))
      throw new AwsServiceError('ResourceConflictException', `Function already exist: ${name}`, 409);
    const role = requireString(body, 'Role');
    if (!/^arn:(aws[a-zA-Z-]*):iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/.test(role)) {
      throw new AwsServiceError('ValidationException', `Role ${role} is not a valid IAM role ARN.`);
    }
    this.assumable(role);
    const zip = (body.Code as { ZipFile?: string } | undefined)?.ZipFile;
    if (typeof zip !== 'string')
      throw new AwsServiceError('InvalidParameterValueException', 'Code.ZipFile is required.');
    validateConfiguration(body);
    const code = Buffer.from(zip, 'base64');
    const configuration: Record<string, unknown> = {
      FunctionName: name,
      FunctionArn: `arn:aws:lambda:${this.region}:${this.accountId}:function:${name}`,
      Role: role,
      Runtime: body.Runtime,
      Handler: body.Handler,
      Timeout: body.Timeout ?? 3,
      MemorySize: body.MemorySize ?? 128,
      Description: body.Description ?? '',
      Environment: body.Environment ?? undefined,
      Architectures: body.Architectures ?? ['x86_64'],
      PackageType: 'Zip',
      ...codeFacts(code),
      Version: '$LATEST',
      RevisionId: randomUUID(),
      LastModified: lambdaTime(),
    };
    const record: LambdaFunctionRecord = { configuration, code, policy: [], settling: this.settlePolls };
    this.functions.set(name, record);
    Object.assign(configuration, this.status(record, 'create'));
    return { status: 201, body: configuration };
  }

  private getFunction(name: string): LoopbackResponse {
    const record = this.settle(this.find(name));
    return {
      body: {
        Configuration: record.configuration,
        Code: {
          RepositoryType: 'S3',
          Location: `https://awslambda-${this.region}-tasks.s3.${this.region}.amazonaws.com/snapshots/${name}`,
        },
      },
    };
  }

  private updateCode(name: string, body: Record<string, unknown>): LoopbackResponse {
    const record = this.ready(this.find(name));
    if (typeof body.ZipFile !== 'string')
      throw new AwsServiceError('InvalidParameterValueException', 'ZipFile is required.');
    record.code = Buffer.from(body.ZipFile, 'base64');
    Object.assign(record.configuration, codeFacts(record.code), {
      RevisionId: randomUUID(),
      LastModified: lambdaTime(),
    });
    if (body.Architectures) record.configuration.Architectures = body.Architectures;
    record.settling = this.settlePolls;
    Object.assign(record.configuration, this.status(record, 'update'));
    return { body: record.configuration };
  }

  private updateConfiguration(name: string, body: Record<string, unknown>): LoopbackResponse {
    const record = this.ready(this.find(name));
    validateConfiguration(body);
    if (typeof body.Role === 'string') this.assumable(body.Role);
    for (const key of ['Role', 'Runtime', 'Handler', 'Timeout', 'MemorySize', 'Description', 'Environment']) {
      if (body[key] !== undefined) record.configuration[key] = body[key];
    }
    Object.assign(record.configuration, { RevisionId: randomUUID(), LastModified: lambdaTime() });
    record.settling = this.settlePolls;
    Object.assign(record.configuration, this.status(record, 'update'));
    return { body: record.configuration };
  }

  private addPermission(name: string, body: Record<string, unknown>): LoopbackResponse {
    const record = this.find(name);
    const sid = requireString(body, 'StatementId');
    requireString(body, 'Action');
    requireString(body, 'Principal');
    if (record.policy.some((s) => s.Sid === sid)) {
      throw new AwsServiceError(
        'ResourceConflictException',
        `The statement id (${sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
        409,
      );
    }
    const statement = {
      Sid: sid,
      Effect: 'Allow',
      Principal: { Service: body.Principal },
      Action: body.Action,
      Resource: record.configuration.FunctionArn,
      ...(body.SourceArn ? { Condition: { ArnLike: { 'AWS:SourceArn': body.SourceArn } } } : {}),
    };
    record.policy.push(statement);
    return { status: 201, body: { Statement: JSON.stringify(statement) } };
  }

  private getPolicy(name: string): LoopbackResponse {
    const record = this.find(name);
    if (record.policy.length === 0)
      throw new AwsServiceError(
        'ResourceNotFoundException',
        'The resource you requested does not exist.',
        404,
      );
    return {
      body: {
        Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: record.policy }),
        RevisionId: randomUUID(),
      },
    };
  }

  private putEventInvokeConfig(name: string, body: Record<string, unknown>): LoopbackResponse {
    const record = this.find(name);
    inRange(body.MaximumRetryAttempts, 0, 2, 'MaximumRetryAttempts', 'InvalidParameterValueException');
    inRange(
      body.MaximumEventAgeInSeconds,
      60,
      21600,
      'MaximumEventAgeInSeconds',
      'InvalidParameterValueException',
    );
    const destinations = body.DestinationConfig as Record<string, { Destination?: string }> | undefined;
    for (const [kind, target] of Object.entries(destinations ?? {})) {
      const arn = target?.Destination ?? '';
      if (!/^arn:aws[a-zA-Z-]*:(sqs|sns|lambda|events|s3):/.test(arn)) {
        throw new AwsServiceError(
          'InvalidParameterValueException',
          `${kind}.Destination is not a supported destination ARN.`,
        );
      }
      this.checkDestination(String(record.configuration.Role), arn);
    }
    // Put replaces the whole configuration (UpdateFunctionEventInvokeConfig would patch it).
    record.eventInvokeConfig = {
      FunctionArn: `${record.configuration.FunctionArn}:$LATEST`,
      MaximumRetryAttempts: body.MaximumRetryAttempts,
      MaximumEventAgeInSeconds: body.MaximumEventAgeInSeconds,
      DestinationConfig: destinations ?? {},
      LastModified: Math.floor(Date.now() / 1000),
    };
    return { body: record.eventInvokeConfig };
  }

  /**
   * Lambda assumes the execution role on create and update: a role that does not exist or does not
   * trust lambda.amazonaws.com is refused with this message.
   * https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html
   */
  private assumable(role: string): void {
    if (this.iam && !this.iam.trusts(role, 'lambda.amazonaws.com'))
      throw new AwsServiceError(
        'InvalidParameterValueException',
        'The role defined for the function cannot be assumed by Lambda.',
      );
  }

  /**
   * Saving an invoke config checks the destination with the execution role, as Lambda does: without
   * the send permission (sqs:SendMessage, sns:Publish, lambda:InvokeFunction, events:PutEvents,
   * s3:PutObject) the call fails with "The provided execution role does not have permissions to
   * call SendMessage on SQS" (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
   * FIFO queues and topics "cannot be used" as destinations (CloudFormation's DestinationConfig
   * reference, https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-eventinvokeconfig-destinationconfig.html);
   * the docs do not say what Lambda answers, and deliveries to one fail: the loopback refuses it
   * when the config is saved, so that a test with a FIFO destination cannot pass.
   */
  private checkDestination(role: string, arn: string): void {
    const [, , service = '', , , resource = ''] = arn.split(':');
    if ((service === 'sqs' || service === 'sns') && resource.endsWith('.fifo'))
      throw new AwsServiceError(
        'InvalidParameterValueException',
        `${arn} is a FIFO ${service === 'sqs' ? 'queue' : 'topic'}: Lambda destinations must be standard queues and topics.`,
      );
    if (!this.iam) return;
    const needs: Record<string, { action: string; api: string; product: string; resource?: string }> = {
      sqs: { action: 'sqs:SendMessage', api: 'SendMessage', product: 'SQS' },
      sns: { action: 'sns:Publish', api: 'Publish', product: 'SNS' },
      lambda: { action: 'lambda:InvokeFunction', api: 'InvokeFunction', product: 'Lambda' },
      events: { action: 'events:PutEvents', api: 'PutEvents', product: 'EventBridge' },
      s3: { action: 's3:PutObject', api: 'PutObject', product: 'S3', resource: `${arn}/*` },
    };
    const need = needs[service];
    if (need && this.iam.evaluate(role, need.action, need.resource ?? arn) !== 'allowed')
      throw new AwsServiceError(
        'InvalidParameterValueException',
        `The provided execution role does not have permissions to call ${need.api} on ${need.product}`,
      );
  }

  private find(nameOrArn: string): LambdaFunctionRecord {
    const name = nameOrArn.includes(':function:')
      ? nameOrArn.split(':function:')[1]!.split(':')[0]!
      : nameOrArn;
    const record = this.functions.get(name);
    if (!record) {
      throw new AwsServiceError(
        'ResourceNotFoundException',
        `Function not found: arn:aws:lambda:${this.region}:${this.accountId}:function:${name}`,
        404,
      );
    }
    return record;
  }

  /** Lambda refuses a change while the previous one is still being applied: callers must wait. */
  private ready(record: LambdaFunctionRecord): LambdaFunctionRecord {
    if (record.configuration.State === 'Pending') {
      throw new AwsServiceError(
        'ResourceConflictException',
        `The operation cannot be performed at this time. The function is currently in the following state: Pending`,
        409,
      );
    }
    if (record.configuration.LastUpdateStatus === 'InProgress') {
      throw new AwsServiceError(
        'ResourceConflictException',
        `The operation cannot be performed at this time. An update is in progress for resource: ${record.configuration.FunctionArn}`,
        409,
      );
    }
    return record;
  }

  private status(record: LambdaFunctionRecord, change: 'create' | 'update'): Record<string, string> {
    if (record.settling <= 0) return { State: 'Active', LastUpdateStatus: 'Successful' };
    return change === 'create'
      ? { State: 'Pending', LastUpdateStatus: 'InProgress' }
      : { State: 'Active', LastUpdateStatus: 'InProgress' };
  }

  private settle(record: LambdaFunctionRecord): LambdaFunctionRecord {
    if (record.settling > 0) record.settling--;
    else Object.assign(record.configuration, { State: 'Active', LastUpdateStatus: 'Successful' });
    return record;
  }
}

function validateConfiguration(body: Record<string, unknown>): void {
  inRange(body.Timeout, 1, 900, 'Timeout', 'InvalidParameterValueException');
  inRange(body.MemorySize, 128, 10240, 'MemorySize', 'InvalidParameterValueException');
  if (body.Runtime !== undefined && !/^nodejs\d+\.x$/.test(String(body.Runtime))) {
    throw new AwsServiceError(
      'InvalidParameterValueException',
      `Unsupported runtime ${String(body.Runtime)} in this loopback.`,
    );
  }
}

function codeFacts(code: Uint8Array): Record<string, unknown> {
  return { CodeSize: code.byteLength, CodeSha256: createHash('sha256').update(code).digest('base64') };
}

/** Lambda's `LastModified` format: `2026-11-27T10:01:00.000+0000`. */
function lambdaTime(): string {
  return new Date().toISOString().replace('Z', '+0000');
}
