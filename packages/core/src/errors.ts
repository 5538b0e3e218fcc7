import type { Window } from './window/types.js';

/** Stable error codes. Scripts and tests match on these, never on message text. */
export type WindowedErrorCode =
  | 'INVALID_JOB'
  | 'INVALID_TRIGGER_EVENT'
  | 'INVALID_CONFIG'
  | 'INVALID_QUERY'
  | 'INVALID_ARGUMENT'
  | 'SOURCE_FAILED'
  | 'MALFORMED_INPUT'
  | 'SINK_FAILED'
  | 'LEDGER_FAILED'
  | 'DEADLINE_EXCEEDED'
  | 'ABORTED'
  | 'DEPLOY_FAILED'
  | 'MISSING_DEPENDENCY';

export interface WindowedErrorOptions {
  cause?: unknown;
  window?: Window;
}

/**
 * The one error type windowed throws. `code` is stable; `message` says what was expected and what
 * to do; `window` names the window concerned, where there is one. Messages are redacted: a password
 * in a URL or an access key never reaches a log line through this class.
 */
export class WindowedError extends Error {
  override readonly name = 'WindowedError';
  readonly code: WindowedErrorCode;
  readonly window?: Window;

  constructor(code: WindowedErrorCode, message: string, options: WindowedErrorOptions = {}) {
    super(redact(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.window) this.window = options.window;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.window
        ? { window: { start: this.window.start.toISOString(), end: this.window.end.toISOString() } }
        : {}),
    };
  }
}

export function isWindowedError(error: unknown, code?: WindowedErrorCode): error is WindowedError {
  return error instanceof WindowedError && (code === undefined || error.code === code);
}

const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^/\s:@]+)(?::([^/\s@]*))?@/gi;
const SECRET_PARAMS =
  /\b(password|passwd|pwd|secret|token|accessKeySecret|secretAccessKey|securityToken|sessionToken|x-amz-security-token|signature)=([^&\s"']+)/gi;
const SECRET_JSON =
  /("(?:password|secret|accessKeySecret|secretAccessKey|securityToken|sessionToken)"\s*:\s*)"[^"]*"/gi;
const AWS_ACCESS_KEY = /\b(AKIA|ASIA)[A-Z0-9]{16}\b/g;

/** Removes credentials from text that may end up in an error message, a ledger row or a log line. */
export function redact(text: string): string {
  return text
    .replace(URL_CREDENTIALS, (_m, scheme: string, user: string, pass?: string) =>
      pass === undefined ? `${scheme}${user}@` : `${scheme}${user}:***@`,
    )
    .replace(SECRET_PARAMS, (_m, key: string) => `${key}=***`)
    .replace(SECRET_JSON, (_m, key: string) => `${key}"***"`)
    .replace(AWS_ACCESS_KEY, (m) => `${m.slice(0, 4)}****************`);
}

/** The message of any thrown value, redacted: what the ledger's `last_error` stores. */
export function describeError(error: unknown): string {
  if (error instanceof WindowedError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return redact(`${error.name}: ${error.message}`);
  return redact(String(error));
}
