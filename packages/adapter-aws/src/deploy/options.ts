import { WindowedError } from '@windowed/core';
import { z } from 'zod';

const PARTITION = '(aws|aws-cn|aws-us-gov)';
const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d+$/;
const ROLE_ARN = new RegExp(`^arn:${PARTITION}:iam::\\d{12}:role\\/[\\w+=,.@/-]{1,512}$`);
/** Lambda OnFailure destinations: SQS queue, SNS topic, Lambda function, EventBridge bus, S3 bucket. */
const DESTINATION_ARN = new RegExp(
  `^arn:${PARTITION}:(` +
    '(sqs|sns):[a-z0-9-]+:\\d{12}:[\\w.-]{1,256}' +
    '|lambda:[a-z0-9-]+:\\d{12}:function:[\\w-]{1,64}(:[\\w$-]+)?' +
    '|events:[a-z0-9-]+:\\d{12}:event-bus\\/[\\w./-]{1,256}' +
    '|s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]' +
    ')$',
);
const SQS_ARN = new RegExp(`^arn:${PARTITION}:sqs:[a-z0-9-]+:\\d{12}:[\\w.-]{1,80}$`);

const roleArn = z
  .string()
  .regex(ROLE_ARN, 'expected an IAM role ARN such as arn:aws:iam::123456789012:role/windowed-pv-uv');

const fifo = (arn: string) => /^arn:[\w-]+:(sqs|sns):[^:]*:\d{12}:[\w.-]+\.fifo$/.test(arn);

export const lambdaDeployOptionsSchema = z
  .object({
    region: z.string().regex(REGION, 'expected an AWS region such as us-east-1'),
    /** The function's execution role; or `role: { create: true }`. */
    roleArn: roleArn.optional(),
    /**
     * `{ create: true }`: `windowed deploy` creates the execution role (and Scheduler's role, unless
     * `schedule.roleArn` names one) with the policies `windowed policy` prints. Needs `accountId`.
     */
    role: z
      .object({
        create: z.literal(true),
        /** Default `windowed-<function>`; Scheduler's is `<name>-scheduler`. */
        name: z
          .string()
          .regex(
            /^[\w+=,.@-]{1,55}$/,
            'expected 1–55 letters, digits or +=,.@-_ (the name -scheduler is added to)',
          )
          .optional(),
      })
      .strict()
      .optional(),
    /** Default: the job's name. */
    functionName: z
      .string()
      .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'expected 1–64 letters, digits, - or _')
      .optional(),
    /** The user's handler module, bundled with esbuild (`export const handler = lambdaHandler(job)`). */
    entry: z.string().min(1).optional(),
    handler: z
      .string()
      .regex(/^[\w./-]+\.\w+$/, 'expected <file>.<export>, e.g. index.handler')
      .default('index.handler'),
    runtime: z.enum(['nodejs20.x', 'nodejs22.x', 'nodejs24.x']).default('nodejs22.x'),
    architecture: z.enum(['x86_64', 'arm64']).default('x86_64'),
    memorySize: z.number().int().min(128).max(10240).default(256),
    /** Seconds. */
    timeout: z.number().int().min(1).max(900).default(60),
    environment: z
      .record(z.string().regex(/^[a-zA-Z]\w*$/, 'expected an environment variable name'), z.string())
      .default({}),
    description: z.string().max(256).optional(),
    /** Default: taken from `roleArn`. */
    accountId: z
      .string()
      .regex(/^\d{12}$/, 'expected a 12-digit account id')
      .optional(),
    schedule: z
      .object({
        /** `scheduler` (EventBridge Scheduler, the default) or `rule` (legacy EventBridge rule, UTC only). */
        type: z.enum(['scheduler', 'rule']).default('scheduler'),
        /** Default: `windowed-<job>`. */
        name: z
          .string()
          .regex(/^[\w.-]{1,64}$/, 'expected 1–64 letters, digits, -, _ or .')
          .optional(),
        groupName: z
          .string()
          .regex(/^[\w.-]{1,64}$/, 'expected 1–64 letters, digits, -, _ or .')
          .default('default'),
        /** The role Scheduler assumes to invoke the function (trusts scheduler.amazonaws.com; lambda:InvokeFunction). */
        roleArn: roleArn.optional(),
        state: z.enum(['ENABLED', 'DISABLED']).default('ENABLED'),
        retryPolicy: z
          .object({
            maximumRetryAttempts: z.number().int().min(0).max(185),
            maximumEventAgeInSeconds: z.number().int().min(60).max(86400),
          })
          .strict()
          .default({ maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86400 }),
        deadLetterArn: z.string().regex(SQS_ARN, 'expected an SQS queue ARN').optional(),
      })
      .strict()
      .default({
        type: 'scheduler',
        groupName: 'default',
        state: 'ENABLED',
        retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86400 },
      }),
    onFailure: z
      .object({
        /** Where Lambda sends the record of an invocation that failed all its attempts. Required: a failure must never be silent. */
        destination: z
          .string()
          .regex(
            DESTINATION_ARN,
            'expected the ARN of an SQS queue, SNS topic, Lambda function, EventBridge event bus or S3 bucket, e.g. arn:aws:sqs:us-east-1:123456789012:windowed-failures',
          ),
        maximumRetryAttempts: z.number().int().min(0).max(2).default(2),
        maximumEventAgeInSeconds: z.number().int().min(60).max(21600).default(21600),
      })
      .strict(),
  })
  .strict()
  .superRefine((options, ctx) => {
    if (!options.roleArn && !options.role) {
      ctx.addIssue({
        code: 'custom',
        path: ['roleArn'],
        message: "expected the execution role's ARN, or role: { create: true } to let the deploy create it",
      });
    }
    if (options.role && !options.accountId) {
      ctx.addIssue({
        code: 'custom',
        path: ['accountId'],
        message: 'role: { create: true } needs the 12-digit account id the roles are created in',
      });
    }
    if (options.schedule.type === 'scheduler' && !options.schedule.roleArn && !options.role) {
      ctx.addIssue({
        code: 'custom',
        path: ['schedule', 'roleArn'],
        message:
          'EventBridge Scheduler needs a role to invoke the function (trusting scheduler.amazonaws.com, allowing lambda:InvokeFunction), or role: { create: true }',
      });
    }
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-eventinvokeconfig-destinationconfig.html
    if (fifo(options.onFailure.destination)) {
      ctx.addIssue({
        code: 'custom',
        path: ['onFailure', 'destination'],
        message:
          'a FIFO queue or topic cannot be a Lambda destination: Lambda accepts the setting but every failure record is lost (only a metric shows it). Use a standard SQS queue or SNS topic',
      });
    }
  });

/** What `planLambdaDeployment` and `deployLambda` accept. */
export type LambdaDeployOptionsInput = z.input<typeof lambdaDeployOptionsSchema>;
/** Validated options, defaults applied. */
export type LambdaDeployOptions = z.output<typeof lambdaDeployOptionsSchema>;

/** Validates deploy options (unknown keys are errors) and applies defaults. */
export function resolveLambdaDeployOptions(input: unknown): LambdaDeployOptions {
  const result = lambdaDeployOptionsSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const where = issue.path.length ? issue.path.join('.') : 'options';
    if (issue.code === 'unrecognized_keys')
      return `${where}: unknown option${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    if (issue.code === 'invalid_type' && issue.input === undefined) return `${where}: required`;
    return `${where}: ${issue.message}`;
  });
  throw new WindowedError('INVALID_CONFIG', `Invalid AWS deploy options — ${problems.join('; ')}.`);
}

/** `arn:aws:iam::123456789012:role/x` → partition and account of the role. */
export function arnParts(arn: string): { partition: string; accountId: string } {
  const [, partition = 'aws', , , accountId = ''] = arn.split(':');
  return { partition, accountId };
}

/** The partition a region belongs to. */
export function partitionOf(region: string): string {
  return region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
}

/** Who the deployment is for: names and ARNs every deploy-time part derives the same way. */
export interface LambdaIdentity {
  partition: string;
  accountId: string;
  functionName: string;
  functionArn: string;
  executionRoleArn: string;
  /** Absent on the rule path (a rule invokes through the function's resource policy). */
  schedulerRoleArn?: string;
  scheduleName: string;
  /** The roles `role: { create: true }` creates, by ARN. */
  created: { execution?: string; scheduler?: string };
}

export function lambdaIdentity(options: LambdaDeployOptions, job: { name: string }): LambdaIdentity {
  const partition = options.roleArn ? arnParts(options.roleArn).partition : partitionOf(options.region);
  const accountId = options.accountId ?? arnParts(options.roleArn ?? '').accountId;
  const functionName = options.functionName ?? job.name;
  const roleName = options.role?.name ?? `windowed-${functionName}`.slice(0, 55);
  const roleArn = (name: string) => `arn:${partition}:iam::${accountId}:role/${name}`;
  const created: LambdaIdentity['created'] = {};
  if (!options.roleArn) created.execution = roleArn(roleName);
  const scheduler = options.schedule.type === 'scheduler';
  if (scheduler && !options.schedule.roleArn) created.scheduler = roleArn(`${roleName}-scheduler`);
  const executionRoleArn = options.roleArn ?? created.execution!;
  const schedulerRoleArn = scheduler ? (options.schedule.roleArn ?? created.scheduler) : undefined;
  return {
    partition,
    accountId,
    functionName,
    functionArn: `arn:${partition}:lambda:${options.region}:${accountId}:function:${functionName}`,
    executionRoleArn,
    ...(schedulerRoleArn ? { schedulerRoleArn } : {}),
    scheduleName: options.schedule.name ?? `windowed-${job.name}`.slice(0, 64),
    created,
  };
}
