import { readFileSync } from 'node:fs';
import { redact } from '@windowed/core';

/**
 * Exit codes scripts can rely on:
 * 0 ok · 1 a job or window failed · 2 usage or configuration error · 130 interrupted (Ctrl-C).
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one line plus a hint, and exits with `exitCode`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.usage,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A WindowedError seen structurally: the config may have loaded another copy of @windowed/core. */
export interface WindowedErrorLike {
  name: 'WindowedError';
  code: string;
  message: string;
  window?: { start: Date; end: Date };
}

export function isWindowedErrorLike(error: unknown): error is WindowedErrorLike {
  return (
    error instanceof Error &&
    error.name === 'WindowedError' &&
    typeof (error as { code?: unknown }).code === 'string'
  );
}

const USAGE_CODES = new Set([
  'INVALID_JOB',
  'INVALID_CONFIG',
  'INVALID_QUERY',
  'INVALID_ARGUMENT',
  'INVALID_TRIGGER_EVENT',
  'MISSING_DEPENDENCY',
]);

const HINTS: Record<string, string> = {
  INVALID_JOB: 'fix the job definition (defineWindowedJob) named in the message',
  INVALID_CONFIG: 'fix windowed.config.ts (or pass --config <file>); `windowed --help` lists the options',
  INVALID_QUERY: "fix the job's query",
  INVALID_ARGUMENT: 'check the command line; add --help for the options',
  INVALID_TRIGGER_EVENT: 'pass times as ISO-8601 with a zone, e.g. 2026-11-27T10:01:00Z',
  MISSING_DEPENDENCY: 'install the package named in the message',
  SOURCE_FAILED: 'check that the source is reachable and readable; `windowed status` lists failed windows',
  MALFORMED_INPUT: 'fix the input or the source options (timeField, timeUnit), or raise maxMalformedRatio',
  SINK_FAILED: 'check that the sink database is reachable and writable',
  LEDGER_FAILED: 'check that the state (ledger) database is reachable and writable',
  DEADLINE_EXCEEDED: 'raise the function timeout or make the query cheaper',
  DEPLOY_FAILED: 'check the credentials and the cloud resources named in the message',
  ABORTED: 'run the same command again to resume',
};

export interface Reported {
  exitCode: ExitCode;
  message: string;
  hint?: string;
}

/** Turns anything thrown into one line, a hint and an exit code. */
export function describeFailure(error: unknown): Reported {
  if (error instanceof CliError)
    return { exitCode: error.exitCode, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  if (isWindowedErrorLike(error)) {
    const exitCode =
      error.code === 'ABORTED' ? EXIT.interrupted : USAGE_CODES.has(error.code) ? EXIT.usage : EXIT.failure;
    const hint =
      error.code === 'INVALID_CONFIG' && /needs (AWS )?credentials/.test(error.message)
        ? "set the variables the message names in this shell's environment, then run the command again"
        : error.code === 'SOURCE_FAILED' && /does not exist/.test(error.message)
          ? missingInputHint()
          : HINTS[error.code];
    return { exitCode, message: `${error.code}: ${firstLine(error.message)}`, ...(hint ? { hint } : {}) };
  }
  // Anything else came from a driver, an SDK or the user's config: redacted like windowed's own messages.
  const message = redact(
    error instanceof Error
      ? `${error.name === 'Error' ? '' : `${error.name}: `}${firstLine(error.message)}`
      : String(error),
  );
  return { exitCode: EXIT.failure, message, hint: 'run again with --verbose for details' };
}

/**
 * A file source's input is missing: say what makes it. The CLI runs in the config's folder; a project
 * whose package.json has a `generate-logs` script (the pv-uv example) makes sample logs with it.
 */
function missingInputHint(): string {
  const generic = "create it, or point the source at your logs (the target's source, or WINDOWED_SOURCE)";
  try {
    const scripts = (
      JSON.parse(readFileSync('package.json', 'utf8')) as { scripts?: Record<string, unknown> }
    ).scripts;
    if (typeof scripts?.['generate-logs'] === 'string')
      return `no logs yet: \`npm run generate-logs\` writes a day of sample logs here; or ${generic}`;
  } catch {
    // no package.json here: nothing more to say
  }
  return generic;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}
