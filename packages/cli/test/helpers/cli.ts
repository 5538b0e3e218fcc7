import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AWS_LOOPBACK_CREDENTIALS } from '@windowed/testing';

const here = dirname(fileURLToPath(import.meta.url));
/** The built executable: `npm test` in this package runs tsup first. */
export const BIN = resolve(here, '../../dist/bin.js');
export const PROJECT = resolve(here, '../fixtures/project');
export const RECORDS = resolve(here, '../fixtures/records');

export interface CliOutput {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string;
  /** Called with stderr as it grows; return true to send SIGINT (once). */
  interruptWhen?: (stderr: string) => boolean;
  /** Kill the process (SIGKILL) if it has not exited on its own by then. */
  killAfterMs?: number;
}

/** Runs the built `windowed` in a child process, as a user's shell would (stdout/stderr are pipes, not a TTY). */
export function windowed(args: string[], options: SpawnOptions = {}): Promise<CliOutput> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  // The test runner may force colour; a user's pipe has none.
  delete env.FORCE_COLOR;
  for (const [k, v] of Object.entries(options.env ?? {})) if (v === undefined) delete env[k];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? PROJECT,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!interrupted && options.interruptWhen?.(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    const killer = options.killAfterMs
      ? setTimeout(() => child.kill('SIGKILL'), options.killAfterMs)
      : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolvePromise({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** An environment without cloud credentials (the variables are removed from the child's environment). */
export const NO_CREDENTIALS = {
  ALIBABA_CLOUD_ACCESS_KEY_ID: undefined,
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: undefined,
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  AWS_PROFILE: undefined,
};

export const LOG_START = Date.parse('2026-11-27T10:00:00Z');
export const LOG_MINUTES = 180;

/** Minute m holds (m % 7) + 1 requests from users u0..u2: pv = (m % 7) + 1, uv = min(pv, 3). */
export function expectedMetrics(windowStart: Date | string): { pv: number; uv: number } {
  const m = Math.round((new Date(windowStart).getTime() - LOG_START) / 60_000);
  if (m < 0 || m >= LOG_MINUTES) return { pv: 0, uv: 0 };
  const pv = (m % 7) + 1;
  return { pv, uv: Math.min(pv, 3) };
}

/** Writes the e2e logs (NDJSON, slightly out of order, one malformed line) and returns the folder. */
export function writeLogs(): string {
  const dir = mkdtempSync(join(tmpdir(), 'windowed-e2e-logs-'));
  const lines: string[] = [];
  for (let m = 0; m < LOG_MINUTES; m++) {
    const n = (m % 7) + 1;
    for (let i = 0; i < n; i++) {
      const time = new Date(LOG_START + m * 60_000 + i * 5_000).toISOString();
      lines.push(JSON.stringify({ time, user_id: `u${(m + i) % 3}`, path: '/', status: 200 }));
    }
    if (m % 10 === 9) lines.splice(lines.length - 2, 0, lines.pop()!); // out of order
  }
  lines.splice(100, 0, '{"time": "2026-11-27T10:1'); // truncated line
  writeFileSync(join(dir, 'access.ndjson'), `${lines.join('\n')}\n`);
  return dir;
}

export function hasAnsi(text: string): boolean {
  return text.includes('\u001b[');
}

/** An output stream for `runCli` in the test's own process (not a TTY, 120 columns) and what it received. */
export function capture() {
  let text = '';
  return {
    stream: {
      write(chunk: string) {
        text += chunk;
        return true;
      },
      isTTY: false,
      columns: 120,
    },
    text: () => text,
  };
}

/** The environment of a CLI child talking to the AWS loopback at `endpoint` (no profile, no session). */
export function awsLoopbackEnv(endpoint: string): Record<string, string | undefined> {
  return {
    AWS_ACCESS_KEY_ID: AWS_LOOPBACK_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: AWS_LOOPBACK_CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_REGION: 'us-east-1',
    WINDOWED_AWS_ENDPOINT: endpoint,
  };
}
