import * as z from 'zod/mini';
import { parseDurationMs } from './duration.js';
import { WindowedError } from './errors.js';
import { isIdentifier, RESERVED_COLUMNS } from './query/validate.js';
import { passwordReferenceSchema } from './secrets/reference.js';
import { isSink } from './sinks/types.js';
import { isSource } from './sources/types.js';
import type { JobSpec } from './types.js';
import { zodMessages as messages } from './zod-messages.js';

// zod/mini: the spec is validated once per cold start, in every function bundle, so only the
// validators used here are bundled and loaded (zod's full API costs tens of ms to load), and its
// objects are checked without compiling a fast path first.

export const JOB_NAME = /^[a-z][a-z0-9_]{0,62}$/;

const identifier = z.string().check(
  z.refine(isIdentifier, {
    message:
      'expected an identifier: letters, digits and _, not starting with a digit, at most 64 characters',
  }),
);
const duration = z.string().check(
  z.refine((s) => parseDurationMs(s) !== undefined, {
    message: 'expected a duration such as 30s, 2m, 1h or PT30S',
  }),
);

const metric = z.union([
  z.strictObject({ kind: z.literal('count') }),
  z.strictObject({
    kind: z.literal('countDistinct'),
    field: identifier,
    approximate: z._default(z.boolean(), false),
  }),
  z.strictObject({ kind: z.enum(['sum', 'min', 'max']), field: identifier }),
]);

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const filter = z
  .strictObject({
    field: identifier,
    op: z.enum(['=', '!=', '<', '<=', '>', '>=', 'in']),
    value: z.union([scalar, z.array(scalar).check(z.minLength(1))]),
  })
  .check(
    z.refine((f) => (f.op === 'in') === Array.isArray(f.value), {
      message: "'in' takes a non-empty array of values; other operators take one value",
    }),
  );

const declarativeQuery = z
  .strictObject({
    metrics: z
      .record(identifier, metric)
      .check(z.refine((m) => Object.keys(m).length > 0, { message: 'expected at least one metric' })),
    where: z.optional(z.array(filter)),
    groupBy: z.optional(z.array(identifier)),
  })
  .check(
    z.superRefine((q, ctx) => {
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
    }),
  );

const windowObject = z.strictObject({
  size: z.string(),
  delay: z.optional(z.string()),
  tolerance: z.optional(z.string()),
  lateness: z.optional(z.string()),
  timeZone: z.optional(z.string()),
});

const isFunction = (v: unknown): v is (...args: unknown[]) => unknown => typeof v === 'function';

/** The job spec schema: structure only; window and source/sink contents are checked by their own parsers. */
export const jobSpecSchema = z.strictObject({
  name: z.string().check(
    z.regex(JOB_NAME, {
      message: 'expected [a-z][a-z0-9_]{0,62}: lowercase letter first, then lowercase letters, digits, _',
    }),
  ),
  window: z.union([z.string(), windowObject]),
  query: z.union([
    z.custom<(...args: unknown[]) => unknown>(isFunction, { message: 'expected a function' }),
    declarativeQuery,
  ]),
  source: z.optional(
    z.union([
      z.string(),
      z.custom((v) => isSource(v), { message: 'expected a Source object' }),
      z.looseObject({ type: z.string() }),
    ]),
  ),
  sink: z.optional(
    z.union([
      z.string(),
      z.custom((v) => isSink(v), { message: 'expected a Sink object' }),
      z.strictObject({
        url: z.string(),
        table: z.optional(z.string()),
        password: z.optional(passwordReferenceSchema),
      }),
    ]),
  ),
  state: z.optional(z.string()),
  start: z.optional(z.string()),
  catchUp: z.optional(
    z.strictObject({
      maxWindows: z.optional(z.int().check(z.gte(0), z.lte(10_000))),
      staleAfter: z.optional(duration),
      lookback: z.optional(duration),
    }),
  ),
  logger: z.optional(
    z.union([
      z.literal(false),
      z.custom((v) => typeof v === 'object' && v !== null && isFunction((v as { warn?: unknown }).warn)),
    ]),
  ),
});

/** Validates a job spec, throwing `INVALID_JOB` that names the offending field. */
export function validateJobSpec(input: unknown): JobSpec {
  const result = jobSpecSchema.safeParse(input, messages);
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
