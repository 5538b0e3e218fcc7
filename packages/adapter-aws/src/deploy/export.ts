import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type ExportResult, WindowedError, type WindowedJob } from '@windowed/core';
import type { LambdaBundle } from './bundle.js';
import { type LambdaDeployOptions, lambdaIdentity } from './options.js';
import { planLambdaDeployment } from './plan.js';
import { lambdaPolicies } from './policy.js';

type Json = Record<string, unknown>;

/**
 * A plain CloudFormation template (no transform: usable as is, or inside a SAM or CDK app) holding
 * exactly what `planLambdaDeployment` would create: the function (code from the `CodeS3Bucket` /
 * `CodeS3Key` parameters, the bundle written beside it as function.zip), its EventInvokeConfig
 * (retries, OnFailure destination), the Scheduler schedule (or legacy rule and permission) and the
 * roles with the policies `windowed policy` prints. Every value comes from the plan's requests, so
 * the template and `windowed plan` cannot disagree.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-function.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-scheduler-schedule.html
 */
export function cloudFormationTemplate(
  job: Pick<WindowedJob, 'name' | 'windowSpec'>,
  options: LambdaDeployOptions,
): Json {
  const plan = planLambdaDeployment(job, options, {});
  const input = (api: string) => plan.steps.find((s) => s.api === api)?.input;
  const fn = input('CreateFunction')!;
  const invoke = input('PutFunctionEventInvokeConfig')!;
  const id = lambdaIdentity(options, job);
  const policies = lambdaPolicies(options, job);
  const role = (key: 'execution' | 'scheduler') => {
    const r = policies.roles[key]!;
    const arn = key === 'execution' ? id.executionRoleArn : id.schedulerRoleArn!;
    return {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: arn.slice(arn.lastIndexOf('/') + 1),
        Description: r.description,
        AssumeRolePolicyDocument: r.trust,
        Policies: [{ PolicyName: 'windowed', PolicyDocument: r.policy }],
      },
    };
  };
  const resources: Json = {
    ExecutionRole: role('execution'),
    Function: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        FunctionName: fn.FunctionName,
        Role: { 'Fn::GetAtt': ['ExecutionRole', 'Arn'] },
        Runtime: fn.Runtime,
        Handler: fn.Handler,
        Description: fn.Description,
        Timeout: fn.Timeout,
        MemorySize: fn.MemorySize,
        Environment: fn.Environment,
        Architectures: fn.Architectures,
        PackageType: fn.PackageType,
        Code: { S3Bucket: { Ref: 'CodeS3Bucket' }, S3Key: { Ref: 'CodeS3Key' } },
      },
    },
    EventInvokeConfig: {
      Type: 'AWS::Lambda::EventInvokeConfig',
      Properties: {
        FunctionName: { Ref: 'Function' },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: invoke.MaximumRetryAttempts,
        MaximumEventAgeInSeconds: invoke.MaximumEventAgeInSeconds,
        DestinationConfig: invoke.DestinationConfig,
      },
    },
  };
  const schedule = input('CreateSchedule');
  if (schedule) {
    const target = schedule.Target as Json;
    resources.SchedulerRole = role('scheduler');
    resources.Schedule = {
      Type: 'AWS::Scheduler::Schedule',
      Properties: {
        ...schedule,
        Target: {
          ...target,
          Arn: { 'Fn::GetAtt': ['Function', 'Arn'] },
          RoleArn: { 'Fn::GetAtt': ['SchedulerRole', 'Arn'] },
        },
      },
    };
  } else {
    const rule = input('PutRule')!;
    const permission = input('AddPermission')!;
    resources.Rule = {
      Type: 'AWS::Events::Rule',
      Properties: { ...rule, Targets: [{ Id: 'windowed', Arn: { 'Fn::GetAtt': ['Function', 'Arn'] } }] },
    };
    resources.Permission = {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        FunctionName: { Ref: 'Function' },
        Action: permission.Action,
        Principal: permission.Principal,
        SourceArn: { 'Fn::GetAtt': ['Rule', 'Arn'] },
      },
    };
  }
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `windowed job ${job.name}: ${job.windowSpec.size.label} windows (exported by windowed export)`,
    Parameters: {
      CodeS3Bucket: { Type: 'String', Description: 'The S3 bucket you uploaded function.zip to.' },
      CodeS3Key: { Type: 'String', Default: 'function.zip', Description: 'Its key.' },
    },
    Resources: resources,
  };
}

/** Writes template.json and function.zip to `outDir`. */
export function exportCloudFormation(
  job: Pick<WindowedJob, 'name' | 'windowSpec'>,
  options: LambdaDeployOptions,
  bundle: LambdaBundle,
  outDir: string,
): ExportResult {
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const template = `${JSON.stringify(cloudFormationTemplate(job, options), null, 2)}\n`;
  writeFileSync(join(dir, 'template.json'), template);
  writeFileSync(join(dir, 'function.zip'), bundle.zip);
  return {
    target: 'aws',
    format: 'cloudformation',
    files: [
      { path: 'template.json', bytes: Buffer.byteLength(template) },
      { path: 'function.zip', bytes: bundle.bytes },
    ],
    notes: [
      'Upload function.zip to S3, then deploy template.json with CodeS3Bucket (and CodeS3Key) set, e.g. `aws cloudformation deploy --template-file template.json --stack-name <name> --capabilities CAPABILITY_NAMED_IAM --parameter-overrides CodeS3Bucket=<bucket>`.',
      'The template creates the roles with the policies of `windowed policy`; remove them and set the ARNs if your roles are managed elsewhere.',
    ],
  };
}

export function unknownFormat(target: string, format: string, formats: readonly string[]): WindowedError {
  return new WindowedError(
    'INVALID_ARGUMENT',
    `${target} exports ${formats.join(', ')}, not ${JSON.stringify(format)}.`,
  );
}
