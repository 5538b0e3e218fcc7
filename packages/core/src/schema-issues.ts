import * as v from 'valibot';

// Code that ships inside a function validates with valibot: its schemas are plain objects, so
// building and first parsing a job's schema costs a cold start ≈ 2.5 ms where zod/mini's cost ≈ 8 ms
// (docs/design.md, "Decisions — cold start, fourth pass"). Deploy-time code (the CLI's config, the
// adapters' deploy options) keeps zod.

export type Issue = v.BaseIssue<unknown>;

/** What every runtime parse passes: English messages of windowed's own wording; a pipe stops at its first failed check. */
const PARSE_CONFIG: v.Config<Issue> = { message: defaultMessage, abortPipeEarly: true };

/** `v.safeParse` with windowed's messages. */
export function safeParse<const S extends v.GenericSchema>(schema: S, input: unknown): v.SafeParseResult<S> {
  return v.safeParse(schema, input, PARSE_CONFIG);
}

/**
 * The issue to report: a union's own "matches no branch" is replaced by the issue of the branch
 * that got furthest (the deepest path; an unknown key or a failed check counts as further than a
 * wrong type), its path joined to the union's.
 */
export function firstIssue(issues: readonly [Issue, ...Issue[]]): Issue {
  return innermost(issues[0], []);
}

function innermost(issue: Issue, prefix: readonly v.IssuePathItem[]): Issue {
  const path = [...prefix, ...(issue.path ?? [])];
  if (issue.type === 'union' && issue.issues?.length && !customMessage(issue)) {
    const nested = [...issue.issues].sort((a, b) => depth(b) - depth(a))[0]!;
    return innermost(nested, path);
  }
  return path.length ? { ...issue, path: path as [v.IssuePathItem, ...v.IssuePathItem[]] } : issue;
}

function depth(issue: Issue): number {
  return (issue.path?.length ?? 0) + (isUnknownKey(issue) ? 1 : 0) + (issue.kind === 'schema' ? 0 : 0.5);
}

/** A union given its own message (`v.union([...], 'expected …')`) reports that message. */
function customMessage(issue: Issue): boolean {
  return issue.message !== defaultMessage(issue);
}

/** Where the issue is: `catchUp.maxWindows`, `where.1.value`; empty at the top. */
export function issuePath(issue: Issue): string {
  return issue.path?.map((item) => String(item.key)).join('.') ?? '';
}

/** A strict object's key that is not one of its entries. */
export function isUnknownKey(issue: Issue): boolean {
  return issue.expected === 'never' && (issue.type === 'strict_object' || issue.type === 'strict_tuple');
}

/** The unknown key of an {@link isUnknownKey} issue. */
export function unknownKey(issue: Issue): string {
  return String(issue.input);
}

/**
 * One refused option as options' errors word it: `unknown option "x"`, else `path: message` — with
 * `whole` for the path when the input itself was refused.
 */
export function optionProblem(issue: Issue, whole: string): string {
  return isUnknownKey(issue)
    ? `unknown option ${JSON.stringify(unknownKey(issue))}`
    : `${issuePath(issue) || whole}: ${issue.message}`;
}

/**
 * valibot's own wording is "Invalid type: Expected string but received 123"; windowed's reads
 * "expected string, received number" (a missing key: "required"), after the path the caller names.
 * A value is never echoed, only its type or a length or bound: it may be a password or a key.
 * Schemas give their own message wherever a bare type or bound would not say enough.
 */
function defaultMessage(issue: Issue): string {
  if (isUnknownKey(issue)) return `unknown key "${unknownKey(issue)}"`;
  if (isMissingKey(issue)) return 'required';
  switch (issue.type) {
    case 'min_length':
      return `expected at least ${count(issue.requirement, issue.input)}, received ${issue.received}`;
    case 'max_length':
      return `expected at most ${count(issue.requirement, issue.input)}, received ${issue.received}`;
    case 'integer':
    case 'safe_integer':
      return `expected an integer, received ${issue.input}`;
    case 'min_value':
    case 'max_value':
      return typeof issue.input === 'number'
        ? `expected ${issue.expected}, received ${issue.input}`
        : `expected ${issue.expected}`;
    case 'picklist':
      // valibot writes the options `("a" | "b")`.
      return `expected one of ${issue.expected
        ?.replace(/^\((.*)\)$/, '$1')
        .split(' | ')
        .join(', ')}`;
    case 'literal':
      return `expected ${issue.expected}`;
    default:
      return issue.kind === 'schema'
        ? `expected ${issue.expected}, received ${typeName(issue.input)}`
        : `expected ${issue.expected ?? 'a valid value'}`;
  }
}

function typeName(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'array';
  return typeof input;
}

/** `1 item`, `64 characters`: a length bound in the unit of what was measured. */
function count(requirement: unknown, input: unknown): string {
  const unit = typeof input === 'string' ? 'character' : 'item';
  return `${requirement} ${unit}${requirement === 1 ? '' : 's'}`;
}

function isMissingKey(issue: Issue): boolean {
  const last = issue.path?.[issue.path.length - 1];
  return last?.origin === 'key' && issue.input === undefined && issue.kind === 'schema';
}
