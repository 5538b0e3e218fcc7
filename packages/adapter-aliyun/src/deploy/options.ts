import { WindowedError } from '@windowed/core';
import { z } from 'zod';

/** Node.js runtimes of FC 2.0 that run a CommonJS `index.handler`. */
export const FC_NODE_RUNTIMES = ['nodejs20', 'nodejs18', 'nodejs16', 'nodejs14'] as const;

// https://help.aliyun.com/document_detail/2513637.html (destination ARN formats)
const DESTINATION_PATTERNS: Array<{ kind: string; pattern: RegExp }> = [
  {
    kind: 'MNS queue',
    pattern: /^acs:mns:([a-z0-9-]+):(\d+):\/queues\/[A-Za-z0-9][A-Za-z0-9-]{0,255}\/messages$/,
  },
  {
    kind: 'MNS topic',
    pattern: /^acs:mns:([a-z0-9-]+):(\d+):\/topics\/[A-Za-z0-9][A-Za-z0-9-]{0,255}\/messages$/,
  },
  {
    kind: 'FC 2.0 function',
    pattern:
      /^acs:fc:([a-z0-9-]+):(\d+):services\/[_A-Za-z][-_A-Za-z0-9]{0,127}(\.[-_A-Za-z0-9]+)?\/functions\/[_A-Za-z][-_A-Za-z0-9]{0,63}$/,
  },
  { kind: 'FC 3.0 function', pattern: /^acs:fc:([a-z0-9-]+):(\d+):functions\/[_A-Za-z][-_A-Za-z0-9]{0,63}$/ },
  {
    kind: 'EventBridge event bus',
    pattern: /^acs:eventbridge:([a-z0-9-]+):(\d+):eventbus\/[A-Za-z0-9_.-]+(\/.*)?$/,
  },
  {
    kind: 'RocketMQ 4.x topic',
    pattern: /^acs:mq:([a-z0-9-]+):(\d+):\/instances\/[A-Za-z0-9_-]+\/topic\/[A-Za-z0-9%_-]+$/,
  },
];

const ACCOUNT_ID = /^\d{16}$/;
const REGION = /^[a-z]{2}(-[a-z0-9]+)+$/;
const SERVICE = /^[_A-Za-z][-_A-Za-z0-9]{0,127}$/;
const FUNCTION = /^[_A-Za-z][-_A-Za-z0-9]{0,63}$/;
const TRIGGER = /^[_A-Za-z][-_A-Za-z0-9]{0,127}$/;
const ROLE = /^acs:ram::(\d+):role\/([A-Za-z0-9.-]{1,64})$/;

const destination = z.string().refine((arn) => DESTINATION_PATTERNS.some((d) => d.pattern.test(arn)), {
  message:
    'expected a destination ARN: acs:mns:<region>:<uid>:/queues/<queue>/messages, acs:mns:<region>:<uid>:/topics/<topic>/messages, ' +
    'acs:fc:<region>:<uid>:services/<service>/functions/<function>, acs:fc:<region>:<uid>:functions/<function>, ' +
    'acs:eventbridge:<region>:<uid>:eventbus/<bus> or acs:mq:<region>:<uid>:/instances/<instance>/topic/<topic>',
});

export const fcDeployOptionsSchema = z
  .object({
    /** The FC API: 2 (services, `@alicloud/fc2`, `fcHandler`) or 3 (functions without services, `@alicloud/fc20230330`, `fcAsyncHandler`). Default 2. */
    fcVersion: z.union([z.literal(2), z.literal(3)]).optional(),
    /** The Alibaba Cloud account ID (UID), 16 digits. */
    accountId: z.string().regex(ACCOUNT_ID, 'expected the 16-digit Alibaba Cloud account ID (UID)'),
    region: z.string().regex(REGION, 'expected a region ID such as cn-hangzhou or ap-southeast-1'),
    /** FC 2.0's service (FC 3.0 has none). */
    service: z
      .string()
      .regex(
        SERVICE,
        'expected an FC service name: letters, digits, _ and -, starting with a letter or _, at most 128',
      )
      .optional(),
    /** Default: the job's name. */
    functionName: z
      .string()
      .regex(
        FUNCTION,
        'expected an FC function name: letters, digits, _ and -, starting with a letter or _, at most 64',
      )
      .optional(),
    /** The service's RAM role: FC assumes it to hand the function STS credentials and to send failures. */
    role: z.union([
      z.string().regex(ROLE, 'expected a RAM role ARN acs:ram::<uid>:role/<name>, or { create: true }'),
      z
        .object({
          /** The deploy creates the role (trusting fc.aliyuncs.com) with the policy `windowed policy` prints. */
          create: z.literal(true),
          /** Default `windowed-<function>`. */
          name: z
            .string()
            .regex(/^[A-Za-z0-9.-]{1,64}$/, 'expected a RAM role name: 1-64 letters, digits, . and -')
            .optional(),
        })
        .strict(),
    ]),
    /** The handler file to bundle (it exports `handler = fcAsyncHandler(job)` or `fcHandler(job)`). */
    entry: z.string().min(1, 'expected the path of the handler entry file'),
    /** The export of the entry that FC calls. Default `handler`. */
    exportName: z
      .string()
      .regex(/^[A-Za-z_$][A-Za-z0-9_$]*$/, 'expected a JavaScript identifier')
      .optional(),
    runtime: z.enum(FC_NODE_RUNTIMES).optional(),
    memorySize: z
      .number()
      .int()
      .min(128)
      .max(32768)
      .refine((n) => n % 64 === 0, { message: 'expected a multiple of 64 MB' })
      .optional(),
    /** Seconds, 1-86400. Default 60. Also the run's deadline. */
    timeout: z.number().int().min(1).max(86400).optional(),
    environmentVariables: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'),
        z.string(),
      )
      .optional(),
    description: z.string().max(256).optional(),
    /** Default `<function>-timer`. */
    triggerName: z
      .string()
      .regex(TRIGGER, 'expected a trigger name: letters, digits, _ and -, starting with a letter or _')
      .optional(),
    /** Text the timer puts in every event's `payload`. */
    payload: z.string().max(4096).optional(),
    /** Where FC sends an invocation that failed all its attempts (required: a failure must be seen). */
    destination,
    onSuccess: destination.optional(),
    /** 0-8. Default 3 (FC's default). */
    maxAsyncRetryAttempts: z.number().int().min(0).max(8).optional(),
    /** 1-604800. Default 86400. */
    maxAsyncEventAgeInSeconds: z.number().int().min(1).max(604800).optional(),
    /** Version or alias the async config applies to. Default `LATEST` (what the timer invokes). */
    qualifier: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,128}$/, 'expected a version or alias name')
      .optional(),
    /** FC writes the function's logs here (`{ project, logstore }`). */
    logConfig: z
      .object({ project: z.string().min(3), logstore: z.string().min(2) })
      .strict()
      .optional(),
    internetAccess: z.boolean().optional(),
  })
  .strict();

export type FcDeployOptions = z.input<typeof fcDeployOptionsSchema>;

/** Options with every default filled in. */
export interface ResolvedFcDeployOptions
  extends Omit<
    FcDeployOptions,
    | 'fcVersion'
    | 'functionName'
    | 'runtime'
    | 'memorySize'
    | 'timeout'
    | 'triggerName'
    | 'exportName'
    | 'qualifier'
    | 'maxAsyncRetryAttempts'
    | 'maxAsyncEventAgeInSeconds'
  > {
  fcVersion: 2 | 3;
  functionName: string;
  runtime: (typeof FC_NODE_RUNTIMES)[number];
  memorySize: number;
  timeout: number;
  triggerName: string;
  exportName: string;
  qualifier: string;
  maxAsyncRetryAttempts: number;
  maxAsyncEventAgeInSeconds: number;
}

/** Validates deploy options (strict: unknown keys are rejected) and fills in defaults. Throws `INVALID_CONFIG`. */
export function resolveFcDeployOptions(input: unknown, jobName: string): ResolvedFcDeployOptions {
  const result = fcDeployOptionsSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'options';
    const what =
      issue?.code === 'unrecognized_keys'
        ? `unknown option(s) ${issue.keys.join(', ')}`
        : (issue?.message ?? 'invalid');
    throw new WindowedError('INVALID_CONFIG', `Invalid FC deploy option "${where}": ${what}.`);
  }
  const o = result.data;
  if ((o.fcVersion ?? 2) === 2 && !o.service)
    throw new WindowedError(
      'INVALID_CONFIG',
      'Invalid FC deploy option "service": FC 2.0 functions live in a service: name it (or use fcVersion: 3, which has none).',
    );
  const roleAccount = typeof o.role === 'string' ? ROLE.exec(o.role)![1] : o.accountId;
  if (roleAccount !== o.accountId) {
    throw new WindowedError(
      'INVALID_CONFIG',
      `Invalid FC deploy option "role": the role belongs to account ${roleAccount}, but accountId is ${o.accountId}; FC can only assume a role of the same account.`,
    );
  }
  const functionName = o.functionName ?? jobName;
  if (!FUNCTION.test(functionName)) {
    throw new WindowedError(
      'INVALID_CONFIG',
      `Invalid FC deploy option "functionName": ${JSON.stringify(functionName)} is not a valid FC function name.`,
    );
  }
  for (const [key, arn] of [
    ['destination', o.destination],
    ['onSuccess', o.onSuccess],
  ] as const) {
    if (arn) checkDestination(key, arn, o.region, o.accountId, o.service ?? '', functionName);
  }
  return {
    ...o,
    fcVersion: o.fcVersion ?? 2,
    functionName,
    runtime: o.runtime ?? 'nodejs20',
    memorySize: o.memorySize ?? 512,
    timeout: o.timeout ?? 60,
    triggerName: o.triggerName ?? `${functionName}-timer`,
    exportName: o.exportName ?? 'handler',
    qualifier: o.qualifier ?? 'LATEST',
    maxAsyncRetryAttempts: o.maxAsyncRetryAttempts ?? 3,
    maxAsyncEventAgeInSeconds: o.maxAsyncEventAgeInSeconds ?? 86400,
  };
}

function checkDestination(
  key: string,
  arn: string,
  region: string,
  accountId: string,
  service: string,
  functionName: string,
): void {
  const match = DESTINATION_PATTERNS.map((d) => ({ kind: d.kind, m: d.pattern.exec(arn) })).find((d) => d.m);
  if (!match?.m) return;
  const [, arnRegion, arnAccount] = match.m;
  if (arnRegion !== region) {
    throw new WindowedError(
      'INVALID_CONFIG',
      `Invalid FC deploy option "${key}": the ${match.kind} is in ${arnRegion}, the function in ${region}; FC delivers to destinations in the function's region.`,
    );
  }
  if (arnAccount !== accountId) {
    throw new WindowedError(
      'INVALID_CONFIG',
      `Invalid FC deploy option "${key}": the ${match.kind} belongs to account ${arnAccount}, not ${accountId}.`,
    );
  }
  const self = new RegExp(
    `:services/${escapeRegExp(service)}(\\.[^/]+)?/functions/${escapeRegExp(functionName)}$`,
  );
  if (self.test(arn) || new RegExp(`:functions/${escapeRegExp(functionName)}$`).test(arn)) {
    throw new WindowedError(
      'INVALID_CONFIG',
      `Invalid FC deploy option "${key}": the destination is the function itself; failures would loop.`,
    );
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The RAM role the deploy creates (`role: { create: true }`), by name; undefined for a given ARN. */
export function fcRoleToCreate(
  options: Pick<ResolvedFcDeployOptions, 'role' | 'functionName'>,
): string | undefined {
  if (typeof options.role === 'string') return undefined;
  return options.role.name ?? `windowed-${options.functionName}`.replaceAll('_', '-').slice(0, 64);
}

/** The function's (FC 2.0: its service's) role ARN, given or to be created (RAM ARNs name roles in lower case). */
export function fcRoleArn(
  options: Pick<ResolvedFcDeployOptions, 'role' | 'functionName' | 'accountId'>,
): string {
  if (typeof options.role === 'string') return options.role;
  return `acs:ram::${options.accountId}:role/${fcRoleToCreate(options)!.toLowerCase()}`;
}
