import { z } from 'zod';
import { parseDurationMs } from './duration.js';
import { WindowedError } from './errors.js';
import { isIdentifier, RESERVED_COLUMNS } from './query/validate.js';
import { isSink } from './sinks/types.js';
import { isSource } from './sources/types.js';
import type { JobSpec } from './types.js';

export const JOB_NAME = /^[a-z][a-z0-9_]{0,62}$/;

const identifier = z.string().refine(isIdentifier, {
  message: 'expected an identifier: letters, digits and _, not starting with a digit, at most 64 characters',
});
const duration = z.string().refine((s) => parseDurationMs(s) !== undefined, {
  message: 'expected a duration such as 30s, 2m, 1h or PT30S',
});

const metric = z.union([
  z.object({ kind: z.literal('count') }).strict(),
  z
    .object({ kind: z.literal('countDistinct'), field: identifier, approximate: z.boolean().default(false) })
    .strict(),
  z.object({ kind: z.enum(['sum', 'min', 'max']), field: identifier }).strict(),
]);

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const filter = z
  .object({
    field: identifier,
    op: z.enum(['=', '!=', '<', '<=', '>', '>=', 'in']),
    value: z.union([scalar, z.array(scalar).min(1)]),
  })
  .strict()
  .refine((f) => (f.op === 'in') === Array.isArray(f.value), {
    message: "'in' takes a non-empty array of values; other operators take one value",
  });

const declarativeQuery = z
  .object({
    metrics: z
      .record(identifier, metric)
      .refine((m) => Object.keys(m).length > 0, { message: 'expected at least one metric' }),
    where: z.array(filter).optional(),
    groupBy: z.array(identifier).optional(),
  })
  .strict()
  .superRefine((q, ctx) => {
    const names = [...Object.keys(q.metrics), ...(q.groupBy ?? [])];
    for (const name of names) {
      if ((RESERVED_COLUMNS as readonly string[]).includes(name.toLowerCase())) {
        ctx.addIssue({
          code: 'custom',
          message: `"${name}" is a reserved sink column (${RESERVED_COLUMNS.join(', ')})`,
        });
      }
    }
    const dupes = names.filter((n, i) => names.indexOf(n) !== i);
    if (dupes.length)
      ctx.addIssue({ code: 'custom', message: `"${dupes[0]}" is both a metric and a groupBy field` });
  });

const windowObject = z
  .object({
    size: z.string(),
    delay: z.string().optional(),
    tolerance: z.string().optional(),
    lateness: z.string().optional(),
    timeZone: z.string().optional(),
  })
  .strict();

const isFunction = (v: unknown): v is (...args: unknown[]) => unknown => typeof v === 'function';

/** The job spec schema: structure only; window and source/sink contents are checked by their own parsers. */
export const jobSpecSchema = z
  .object({
    name: z
      .string()
      .regex(JOB_NAME, {
        message: 'expected [a-z][a-z0-9_]{0,62}: lowercase letter first, then lowercase letters, digits, _',
      }),
    window: z.union([z.string(), windowObject]),
    query: z.union([
      z.custom<(...args: unknown[]) => unknown>(isFunction, { message: 'expected a function' }),
      declarativeQuery,
    ]),
    source: z
      .union([
        z.string(),
        z.custom((v) => isSource(v), { message: 'expected a Source object' }),
        z.looseObject({ type: z.string() }),
      ])
      .optional(),
    sink: z
      .union([
        z.string(),
        z.custom((v) => isSink(v), { message: 'expected a Sink object' }),
        z.object({ url: z.string(), table: z.string().optional() }).strict(),
      ])
      .optional(),
    state: z.string().optional(),
    catchUp: z
      .object({
        maxWindows: z.number().int().min(0).max(10_000).optional(),
        staleAfter: duration.optional(),
        lookback: duration.optional(),
      })
      .strict()
      .optional(),
    logger: z
      .union([
        z.literal(false),
        z.custom((v) => typeof v === 'object' && v !== null && isFunction((v as { warn?: unknown }).warn)),
      ])
      .optional(),
  })
  .strict();

/** Validates a job spec, throwing `INVALID_JOB` that names the offending field. */
export function validateJobSpec(input: unknown): JobSpec {
  const result = jobSpecSchema.safeParse(input);
  if (result.success) return result.data as JobSpec;
  const { path, issue } = innermost(result.error.issues[0]!, []);
  throw new WindowedError(
    'INVALID_JOB',
    `Invalid job spec at "${path.join('.') || 'spec'}": ${describeIssue(issue)}.`,
    {
      cause: result.error,
    },
  );
}

type Issue = z.core.$ZodIssue;

/** Unions report "invalid input"; the branch that got furthest says what is really wrong. */
function innermost(issue: Issue, prefix: PropertyKey[]): { path: string[]; issue: Issue } {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union') {
    const nested = issue.errors.flat().sort((a, b) => depth(b) - depth(a))[0];
    if (nested) return innermost(nested, path);
  }
  if (issue.code === 'invalid_key' && issue.issues[0])
    return { path: path.map(String), issue: issue.issues[0] };
  if (issue.code === 'unrecognized_keys') path.push(issue.keys[0]!);
  return { path: path.map(String), issue };
}

function depth(issue: Issue): number {
  return (
    issue.path.length +
    (issue.code === 'unrecognized_keys' ? 1 : 0) +
    (issue.code === 'invalid_type' ? 0 : 0.5)
  );
}

function describeIssue(issue: Issue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}; check the spelling against the documented options`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return issue.message;
  }
}
