import * as v from 'valibot';
import { parseDurationMs } from './duration.js';
import { WindowedError } from './errors.js';
import { isIdentifier, RESERVED_COLUMNS } from './query/validate.js';
import { firstIssue, type Issue, issuePath, isUnknownKey, safeParse, unknownKey } from './schema-issues.js';
import { passwordReferenceSchema } from './secrets/reference.js';
import { isSink } from './sinks/types.js';
import { isSource } from './sources/types.js';
import type { JobSpec } from './types.js';

export const JOB_NAME = /^[a-z][a-z0-9_]{0,62}$/;

const identifier = v.pipe(
  v.string(),
  v.check(
    (name: string) => isIdentifier(name),
    'expected an identifier: letters, digits and _, not starting with a digit, at most 64 characters',
  ),
);
const duration = v.pipe(
  v.string(),
  v.check((s) => parseDurationMs(s) !== undefined, 'expected a duration such as 30s, 2m, 1h or PT30S'),
);

const metric = v.union([
  v.strictObject({ kind: v.literal('count') }),
  v.strictObject({
    kind: v.literal('countDistinct'),
    field: identifier,
    approximate: v.optional(v.boolean(), false),
  }),
  v.strictObject({ kind: v.picklist(['sum', 'min', 'max']), field: identifier }),
]);

const scalar = v.union([v.string(), v.number(), v.boolean(), v.null()]);
const filter = v.pipe(
  v.strictObject({
    field: identifier,
    op: v.picklist(['=', '!=', '<', '<=', '>', '>=', 'in']),
    value: v.union([scalar, v.pipe(v.array(scalar), v.minLength(1))]),
  }),
  v.check(
    (f) => (f.op === 'in') === Array.isArray(f.value),
    "'in' takes a non-empty array of values; other operators take one value",
  ),
);

const declarativeQuery = v.pipe(
  v.strictObject({
    metrics: v.pipe(
      v.record(identifier, metric),
      v.check((m) => Object.keys(m).length > 0, 'expected at least one metric'),
    ),
    where: v.optional(v.array(filter)),
    groupBy: v.optional(v.array(identifier)),
  }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const q = dataset.value;
    const names = [...Object.keys(q.metrics), ...(q.groupBy ?? [])];
    for (const name of names) {
      if ((RESERVED_COLUMNS as readonly string[]).includes(name.toLowerCase()))
        addIssue({ message: `"${name}" is a reserved sink column (${RESERVED_COLUMNS.join(', ')})` });
    }
    const dupes = names.filter((n, i) => names.indexOf(n) !== i);
    if (dupes.length) addIssue({ message: `"${dupes[0]}" is both a metric and a groupBy field` });
  }),
);

const windowObject = v.strictObject({
  size: v.string(),
  delay: v.optional(v.string()),
  tolerance: v.optional(v.string()),
  lateness: v.optional(v.string()),
  timeZone: v.optional(v.string()),
});

const isFunction = (value: unknown): value is (...args: unknown[]) => unknown => typeof value === 'function';

/** The job spec schema: structure only; window and source/sink contents are checked by their own parsers. */
export const jobSpecSchema = v.strictObject({
  name: v.pipe(
    v.string(),
    v.regex(
      JOB_NAME,
      'expected [a-z][a-z0-9_]{0,62}: lowercase letter first, then lowercase letters, digits, _',
    ),
  ),
  window: v.union([v.string(), windowObject]),
  query: v.union([
    v.custom<(...args: unknown[]) => unknown>(isFunction, 'expected a function'),
    declarativeQuery,
  ]),
  source: v.optional(
    v.union([
      v.string(),
      v.custom((value) => isSource(value), 'expected a Source object'),
      v.looseObject({ type: v.string() }),
    ]),
  ),
  sink: v.optional(
    v.union([
      v.string(),
      v.custom((value) => isSink(value), 'expected a Sink object'),
      v.strictObject({
        url: v.string(),
        table: v.optional(v.string()),
        password: v.optional(passwordReferenceSchema),
      }),
    ]),
  ),
  state: v.optional(v.string()),
  start: v.optional(v.string()),
  catchUp: v.optional(
    v.strictObject({
      maxWindows: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(10_000))),
      staleAfter: v.optional(duration),
      lookback: v.optional(duration),
    }),
  ),
  logger: v.optional(
    v.union([
      v.literal(false),
      v.custom(
        (value) =>
          typeof value === 'object' && value !== null && isFunction((value as { warn?: unknown }).warn),
        'expected false or a logger with debug, info, warn and error',
      ),
    ]),
  ),
});

/** Validates a job spec, throwing `INVALID_JOB` that names the offending field. */
export function validateJobSpec(input: unknown): JobSpec {
  const result = safeParse(jobSpecSchema, input);
  if (result.success) return result.output as JobSpec;
  const issue = firstIssue(result.issues);
  const path = issuePath(issue);
  throw new WindowedError(
    'INVALID_JOB',
    `Invalid job spec at "${path || 'spec'}": ${describeIssue(issue)}.`,
    {
      cause: new v.ValiError(result.issues),
    },
  );
}

function describeIssue(issue: Issue): string {
  if (isUnknownKey(issue))
    return `unknown key "${unknownKey(issue)}"; check the spelling against the documented options`;
  return issue.message;
}
