import type { Window } from './window/types.js';

/** Stable error codes. Scripts and tests match on these, never on message text. */
export type WindowedErrorCode =
  | 'INVALID_JOB'
  | 'INVALID_TRIGGER_EVENT'
  | 'INVALID_CONFIG'
  | 'INVALID_QUERY'
  | 'INVALID_ARGUMENT'
  | 'SOURCE_FAILED'
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

  /**
   * What `util.inspect` (and `console.log`) shows: the error with its properties and causes, redacted
   * as a whole — a driver's error in the cause chain may hold what windowed never put in a message.
   */
  [Symbol.for('nodejs.util.inspect.custom')](
    _depth: number,
    options: object,
    inspect: (value: unknown, options: object) => string,
  ): string {
    return redact(inspect(this, { ...options, customInspect: false }));
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

const SCHEME = /\b[a-z][a-z0-9+.-]*:\/\//gi;
const SECRET_PARAMS =
  /\b(password|passwd|pwd|secret|token|accessKeySecret|secretAccessKey|securityToken|sessionToken|x-amz-security-token|signature)=([^&\s"']+)/gi;
const SECRET_JSON =
  /("(?:password|secret|accessKeySecret|secretAccessKey|securityToken|sessionToken)"\s*:\s*)"[^"]*"/gi;
const AWS_ACCESS_KEY = /\b(AKIA|ASIA)[A-Z0-9]{16}\b/g;

/**
 * Secrets windowed was configured with (passwords of the URLs it parsed), redacted wherever they appear.
 * Kept on `globalThis`: the CLI and the config it loads may hold two copies of this module.
 */
const SECRETS_KEY = Symbol.for('windowed.knownSecrets');
const shared = globalThis as Record<symbol, Set<string> | undefined>;
shared[SECRETS_KEY] ??= new Set<string>();
const knownSecrets = shared[SECRETS_KEY];
/** Shorter strings are too common to replace wherever they appear; URL redaction still hides them. */
const MIN_KNOWN_SECRET = 4;
const MAX_KNOWN_SECRETS = 256;

/**
 * Remembers a secret (a password from a URL windowed parsed, in each spelling it may take) so that
 * `redact` removes it from any text — a driver's message, an inspected object — not only from URLs.
 */
export function registerSecret(secret: string): void {
  if (secret.length < MIN_KNOWN_SECRET || knownSecrets.has(secret)) return;
  if (knownSecrets.size >= MAX_KNOWN_SECRETS) knownSecrets.delete(knownSecrets.values().next().value!);
  knownSecrets.add(secret);
}

/** Removes credentials from text that may end up in an error message, a ledger row or a log line. */
export function redact(text: string): string {
  let out = redactUrlCredentials(text);
  for (const secret of knownSecrets) if (out.includes(secret)) out = out.split(secret).join('***');
  return out
    .replace(SECRET_PARAMS, (_m, key: string) => `${key}=***`)
    .replace(SECRET_JSON, (_m, key: string) => `${key}"***"`)
    .replace(AWS_ACCESS_KEY, (m) => `${m.slice(0, 4)}****************`);
}

/**
 * `scheme://user:password@host` → `scheme://user:***@host`, for passwords that were never URL-encoded
 * too (`pw/with/slash`, `p@ss`, spaces, `#`): the user info runs to the last `@` of the URL's stretch of
 * text (up to a line end, a quote or the next URL) that follows no space — else to the last `@` at all.
 * A password with a space, followed by an e-mail address on the same line, takes more than the
 * password with it: too much is hidden rather than too little.
 */
function redactUrlCredentials(text: string): string {
  if (!text.includes('://')) return text;
  const starts = [...text.matchAll(SCHEME)].map((m) => ({ at: m.index, end: m.index + m[0].length }));
  let out = '';
  let copied = 0;
  starts.forEach(({ end }, i) => {
    if (end < copied) return;
    const limit = Math.min(starts[i + 1]?.at ?? text.length, stretchEnd(text, end));
    const stretch = text.slice(end, limit);
    // A user name holds no `/`, `?`, `#` or space: a `:` after one is not the password's.
    const colon = /^[^/?#\s@]*:/.exec(stretch)?.[0].length ?? 0;
    const at = credentialsEnd(stretch);
    if (at < 0 || colon === 0 || colon > at) return;
    out += `${text.slice(copied, end + colon)}***`;
    copied = end + at;
  });
  return out + text.slice(copied);
}

/** Where the text that can belong to a URL starting at `from` ends: a line end or a quote. */
function stretchEnd(text: string, from: number): number {
  const match = /[\r\n"'`<>]/.exec(text.slice(from));
  return match ? from + match.index : text.length;
}

/** The `@` that ends the user info in `stretch` (the text after `scheme://`), or -1. */
function credentialsEnd(stretch: string): number {
  let last = -1;
  let lastWithoutSpace = -1;
  for (let i = stretch.indexOf('@'); i >= 0; i = stretch.indexOf('@', i + 1)) {
    last = i;
    if (!/\s/.test(stretch.slice(0, i))) lastWithoutSpace = i;
  }
  return lastWithoutSpace >= 0 ? lastWithoutSpace : last;
}

/** The message of any thrown value, redacted: what the ledger's `last_error` stores. */
export function describeError(error: unknown): string {
  if (error instanceof WindowedError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return redact(`${error.name}: ${error.message}`);
  return redact(String(error));
}
