import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';

const here = dirname(fileURLToPath(import.meta.url));
/** Under the repository's node_modules, so a bundle's external imports (better-sqlite3) resolve. */
const CODE_ROOT = resolve(here, '../../../node_modules/.cache/windowed-loopback-functions');

export interface FunctionOutcome {
  ok: boolean;
  result?: unknown;
  error?: { errorType: string; errorMessage: string };
}

/** One attempt a loopback ran, in order: what tests assert retries with. */
export interface FunctionAttempt {
  functionName: string;
  requestId: string;
  /** `Event` / `RequestResponse` (Lambda), `Async` / `Sync` (FC). */
  invocationType: string;
  attempt: number;
  ok: boolean;
  error?: string;
}

export function attemptOf(
  base: Omit<FunctionAttempt, 'ok' | 'error'>,
  outcome: FunctionOutcome,
): FunctionAttempt {
  return {
    ...base,
    ok: outcome.ok,
    ...(outcome.error ? { error: `${outcome.error.errorType}: ${outcome.error.errorMessage}` } : {}),
  };
}

/**
 * An asynchronous invocation's attempts: the first, then up to `retries` more after
 * `delay(n)` ms each. Resolves with the last attempt's error, or undefined once one succeeded.
 */
export async function withRetries(
  retries: number,
  delay: (n: number) => number,
  attempt: (n: number) => Promise<FunctionOutcome>,
): Promise<FunctionOutcome['error'] | undefined> {
  let last: FunctionOutcome['error'];
  for (let n = 1; n <= retries + 1; n++) {
    if (n > 1) await new Promise((r) => setTimeout(r, delay(n - 1)));
    const outcome = await attempt(n);
    if (outcome.ok) return undefined;
    last = outcome.error ?? { errorType: 'Error', errorMessage: 'unknown' };
  }
  return last;
}

export interface RunFunctionOptions {
  /**
   * `lambda`: the handler gets the parsed event and a context with `getRemainingTimeInMillis`.
   * `fc`: the handler gets the event as a Buffer and FC's context; a three-argument handler
   * answers through its callback (FC 2.0), another through its promise (FC 3.0).
   */
  style: 'lambda' | 'fc';
  /** The deployment package (a zip). */
  code: Uint8Array;
  /** `<file>.<export>`. */
  handler: string;
  timeoutMs: number;
  payload: string;
  /** The context's plain fields. */
  context: Record<string, unknown>;
  /** The function's whole environment. */
  env: Record<string, string>;
}

/**
 * Runs a deployment package's handler once, in a fresh Node.js process (a cold start every time),
 * killed at the timeout. The outcome is the handler's result or its error as the runtimes report
 * it (`errorType`, `errorMessage`).
 */
export async function runFunctionCode(o: RunFunctionOptions): Promise<FunctionOutcome> {
  const dir = codeDir(o.code);
  const dot = o.handler.lastIndexOf('.');
  const child = spawn(
    process.execPath,
    [
      join(dir, BOOTSTRAP),
      o.style,
      join(dir, o.handler.slice(0, dot)),
      o.handler.slice(dot + 1),
      String(o.timeoutMs),
      JSON.stringify(o.context),
    ],
    { cwd: dir, env: { PATH: process.env.PATH ?? '', TZ: 'UTC', ...o.env }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdin.end(o.payload);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, o.timeoutMs);
  await new Promise<void>((r) => child.on('close', () => r()));
  clearTimeout(timer);
  if (timedOut)
    return {
      ok: false,
      error: {
        errorType: o.style === 'lambda' ? 'Sandbox.Timedout' : 'FunctionTimeout',
        errorMessage: `Task timed out after ${(o.timeoutMs / 1000).toFixed(2)} seconds`,
      },
    };
  const line = stdout.split('\n').findLast((l) => l.startsWith(MARK));
  if (!line)
    return {
      ok: false,
      error: { errorType: 'Runtime.ExitError', errorMessage: `The runtime exited: ${stderr.slice(-500)}` },
    };
  return JSON.parse(line.slice(MARK.length)) as FunctionOutcome;
}

/** The package unzipped once per code hash, with the bootstrap beside it. */
function codeDir(code: Uint8Array): string {
  const dir = join(CODE_ROOT, createHash('sha256').update(code).digest('hex').slice(0, 16));
  if (!existsSync(join(dir, BOOTSTRAP))) {
    mkdirSync(dir, { recursive: true });
    const files = unzipSync(code);
    for (const [name, bytes] of Object.entries(files)) {
      if (name.endsWith('/')) continue;
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), bytes);
    }
    // A `.js` file is CommonJS in both runtimes unless the package says otherwise (the repository's
    // own package.json, above this folder, says "module").
    if (!files['package.json']) writeFileSync(join(dir, 'package.json'), '{"type":"commonjs"}\n');
    writeFileSync(join(dir, BOOTSTRAP), BOOTSTRAP_SOURCE);
  }
  return dir;
}

const MARK = '__LOOPBACK_RESULT__';
const BOOTSTRAP = '__loopback_bootstrap.mjs';
/** argv: style, module file, export, timeout ms, context JSON; stdin: the event; the outcome is the last marked stdout line. */
const BOOTSTRAP_SOURCE = `
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const [style, file, exportName, timeoutMs, contextJson] = process.argv.slice(2);
const deadline = Date.now() + Number(timeoutMs);
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const raw = Buffer.concat(chunks);
const out = (o) => process.stdout.write('\\n${MARK}' + JSON.stringify(o) + '\\n', () => process.exit(0));
const fail = (error) => out({ ok: false, error: { errorType: error?.name ?? 'Error', errorMessage: String(error?.message ?? error) } });
try {
  const path = ['.mjs', '.js', '.cjs'].map((ext) => file + ext).find((p) => existsSync(p));
  if (!path) throw Object.assign(new Error('Cannot find module ' + file), { name: 'Runtime.ImportModuleError' });
  const mod = await import(pathToFileURL(path).href);
  const handler = mod[exportName] ?? mod.default?.[exportName];
  if (typeof handler !== 'function') throw Object.assign(new Error(file + '.' + exportName + ' is undefined or not exported'), { name: 'Runtime.HandlerNotFound' });
  const context = JSON.parse(contextJson);
  if (style === 'lambda') {
    context.getRemainingTimeInMillis = () => Math.max(0, deadline - Date.now());
    context.callbackWaitsForEmptyEventLoop = true;
    const result = await handler(JSON.parse(raw.toString('utf8') || 'null'), context);
    out({ ok: true, result: result === undefined ? null : result });
  } else if (handler.length >= 3) {
    handler(raw, context, (error, result) => (error ? fail(error) : out({ ok: true, result: result ?? null })));
  } else {
    const result = await handler(raw, context);
    out({ ok: true, result: result === undefined ? null : result });
  }
} catch (error) {
  fail(error);
}
`;
