import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeployInput } from '@windowed/core';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { awsPlatform, planLambdaDeployment } from '../../src/deploy/index.js';
import { lambdaOptionsOf } from '../../src/deploy/platform.js';
import { jobLike } from '../jobs.js';

/** The AWS CloudFormation resource specification, as @aws-cdk/cfnspec ships it. */
interface Spec {
  ResourceTypes: Record<string, { Properties: Record<string, PropertySpec> }>;
  PropertyTypes: Record<string, { Properties?: Record<string, PropertySpec> } & PropertySpec>;
}
interface PropertySpec {
  Required?: boolean;
  PrimitiveType?: string;
  Type?: string;
  ItemType?: string;
  PrimitiveItemType?: string;
}
const spec = createRequire(import.meta.url)('@aws-cdk/cfnspec/spec/specification.json') as Spec;

const INTRINSIC = /^(Ref|Fn::\w+)$/;
const isIntrinsic = (v: unknown) =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.keys(v).length === 1 &&
  INTRINSIC.test(Object.keys(v)[0]!);

/** Every problem of `properties` against the spec of `type` (a resource or a property type). */
function check(
  resourceType: string,
  properties: Record<string, unknown>,
  specs: Record<string, PropertySpec>,
  path: string,
): string[] {
  const problems: string[] = [];
  for (const [name, s] of Object.entries(specs))
    if (s.Required && !(name in properties)) problems.push(`${path}.${name}: required`);
  for (const [name, value] of Object.entries(properties)) {
    const s = specs[name];
    if (!s) {
      problems.push(`${path}.${name}: not a property of ${resourceType}`);
      continue;
    }
    problems.push(...checkValue(resourceType, value, s, `${path}.${name}`));
  }
  return problems;
}

function checkValue(resourceType: string, value: unknown, s: PropertySpec, path: string): string[] {
  if (isIntrinsic(value)) return [];
  if (s.PrimitiveType) return primitive(value, s.PrimitiveType, path);
  if (s.Type === 'List')
    return Array.isArray(value)
      ? value.flatMap((item, i) =>
          checkValue(
            resourceType,
            item,
            { ...(s.ItemType ? { Type: s.ItemType } : { PrimitiveType: s.PrimitiveItemType! }) },
            `${path}[${i}]`,
          ),
        )
      : [`${path}: expected a list`];
  if (s.Type === 'Map')
    return typeof value === 'object' && value !== null
      ? Object.entries(value).flatMap(([k, v]) =>
          s.PrimitiveItemType ? primitive(v, s.PrimitiveItemType, `${path}.${k}`) : [],
        )
      : [`${path}: expected a map`];
  const type = spec.PropertyTypes[`${resourceType}.${s.Type}`] ?? spec.PropertyTypes[s.Type!];
  if (!type) return [`${path}: unknown property type ${s.Type}`];
  if (typeof value !== 'object' || value === null) return [`${path}: expected ${s.Type}`];
  return check(resourceType, value as Record<string, unknown>, type.Properties ?? {}, path);
}

function primitive(value: unknown, type: string, path: string): string[] {
  if (isIntrinsic(value)) return [];
  const ok =
    type === 'String'
      ? typeof value === 'string'
      : type === 'Integer' || type === 'Long'
        ? Number.isInteger(value)
        : type === 'Double'
          ? typeof value === 'number'
          : type === 'Boolean'
            ? typeof value === 'boolean'
            : type === 'Json'
              ? typeof value === 'object' && value !== null
              : type === 'Timestamp'
                ? typeof value === 'string'
                : false;
  return ok ? [] : [`${path}: expected ${type}, got ${JSON.stringify(value)}`];
}

const cwd = fileURLToPath(new URL('../fixtures/handler/', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'windowed-export-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const job = jobLike('pv_uv', '1m', { delayMs: 30_000, timeZone: 'Asia/Shanghai' });
const input = (schedule: object = {}): DeployInput => ({
  job,
  cwd,
  deploy: {
    region: 'us-east-1',
    roleArn: 'arn:aws:iam::123456789012:role/windowed-pv-uv',
    schedule: { roleArn: 'arn:aws:iam::123456789012:role/windowed-scheduler', ...schedule },
    onFailure: {
      destination: 'arn:aws:sqs:us-east-1:123456789012:windowed-failures',
      maximumRetryAttempts: 1,
    },
    entry: 'handler.ts',
  },
  resources: {
    source: { type: 'cloudwatch', logGroupNames: ['/app/access'] },
    sink: 'mysql://app@db:3306/stats',
  },
});

describe('windowed export --target aws --format cloudformation', () => {
  it('writes template.json (no transform) whose every resource type and property the CloudFormation spec knows, and function.zip', async () => {
    const result = await awsPlatform.export(input(), { format: 'cloudformation', outDir: out });
    expect(result.files.map((f) => f.path)).toEqual(['template.json', 'function.zip']);
    const template = JSON.parse(readFileSync(join(out, 'template.json'), 'utf8'));
    expect(template.Transform).toBeUndefined();
    expect(
      Object.fromEntries(
        Object.entries(template.Resources).map(([k, r]) => [k, (r as { Type: string }).Type]),
      ),
    ).toEqual({
      ExecutionRole: 'AWS::IAM::Role',
      Function: 'AWS::Lambda::Function',
      EventInvokeConfig: 'AWS::Lambda::EventInvokeConfig',
      SchedulerRole: 'AWS::IAM::Role',
      Schedule: 'AWS::Scheduler::Schedule',
    });
    const problems = Object.entries(
      template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>,
    ).flatMap(([name, r]) => {
      const type = spec.ResourceTypes[r.Type];
      return type ? check(r.Type, r.Properties, type.Properties, name) : [`${name}: unknown type ${r.Type}`];
    });
    expect(problems).toEqual([]);
    // The bundle beside it is what `windowed deploy` ships: a zip holding index.mjs.
    expect(Object.keys(unzipSync(new Uint8Array(readFileSync(join(out, 'function.zip')))))).toEqual([
      'index.mjs',
    ]);
  });

  it('the checker catches what the spec forbids (it can fail)', () => {
    const problems = check(
      'AWS::Lambda::EventInvokeConfig',
      { FunctionName: 'f', MaximumRetryAttempts: '2', Bogus: 1 },
      spec.ResourceTypes['AWS::Lambda::EventInvokeConfig']!.Properties,
      'EventInvokeConfig',
    );
    expect(problems).toEqual([
      'EventInvokeConfig.Qualifier: required',
      'EventInvokeConfig.MaximumRetryAttempts: expected Integer, got "2"',
      'EventInvokeConfig.Bogus: not a property of AWS::Lambda::EventInvokeConfig',
    ]);
  });

  it("carries the same schedule, retries, destination and environment as `windowed plan`, and the roles' policies from `windowed policy`", async () => {
    const template = JSON.parse(readFileSync(join(out, 'template.json'), 'utf8'));
    const plan = await awsPlatform.plan(input(), { dryRun: true });
    // biome-ignore lint/suspicious/noExplicitAny: request bodies read in assertions
    const step = (api: string) => plan.steps.find((s) => s.api === api)!.input as Record<string, any>;
    const r = template.Resources;
    expect(r.Function.Properties).toMatchObject({
      FunctionName: step('CreateFunction').FunctionName,
      Runtime: step('CreateFunction').Runtime,
      Handler: step('CreateFunction').Handler,
      Timeout: step('CreateFunction').Timeout,
      MemorySize: step('CreateFunction').MemorySize,
      Environment: step('CreateFunction').Environment,
    });
    expect(r.Function.Properties.Environment.Variables.WINDOWED_SOURCE).toContain('/app/access');
    expect(r.EventInvokeConfig.Properties).toMatchObject({
      MaximumRetryAttempts: 1,
      MaximumEventAgeInSeconds: step('PutFunctionEventInvokeConfig').MaximumEventAgeInSeconds,
      DestinationConfig: step('PutFunctionEventInvokeConfig').DestinationConfig,
    });
    const schedule = step('CreateSchedule');
    expect(r.Schedule.Properties).toMatchObject({
      ScheduleExpression: schedule.ScheduleExpression,
      ScheduleExpressionTimezone: 'Asia/Shanghai',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Input: schedule.Target.Input, RetryPolicy: schedule.Target.RetryPolicy },
    });
    expect(JSON.parse(r.Schedule.Properties.Target.Input).scheduledTime).toBe(
      '<aws.scheduler.scheduled-time>',
    );
    const policies = awsPlatform.policy(input());
    expect(r.ExecutionRole.Properties.Policies[0].PolicyDocument).toEqual(policies.roles.execution!.policy);
    expect(r.SchedulerRole.Properties.AssumeRolePolicyDocument).toEqual(policies.roles.scheduler!.trust);
    expect(planLambdaDeployment(job, lambdaOptionsOf(input()), {}).steps.length).toBe(plan.steps.length);
  });

  it('exports the legacy rule path as a rule and a permission, also valid against the spec', async () => {
    const dir = join(out, 'rule');
    await awsPlatform.export(
      { ...input({ type: 'rule' }), job: jobLike('pv_uv', '1m') },
      { format: 'cloudformation', outDir: dir },
    );
    const template = JSON.parse(readFileSync(join(dir, 'template.json'), 'utf8'));
    expect(Object.keys(template.Resources)).toEqual([
      'ExecutionRole',
      'Function',
      'EventInvokeConfig',
      'Rule',
      'Permission',
    ]);
    for (const [name, r] of Object.entries(
      template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>,
    ))
      expect(check(r.Type, r.Properties, spec.ResourceTypes[r.Type]!.Properties, name)).toEqual([]);
    await expect(awsPlatform.export(input(), { format: 'sam', outDir: dir })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
