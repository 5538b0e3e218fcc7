import { redact } from './errors.js';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LEVELS;

/**
 * One JSON line per entry on stdout/stderr — what FC's and Lambda's log collectors index.
 * Level from `WINDOWED_LOG_LEVEL` (default `info`). Every line passes through `redact`.
 */
export function createJsonLogger(level: LogLevel = envLevel(), write = defaultWrite): Logger {
  const at = (lvl: Exclude<LogLevel, 'silent'>) => (message: string, fields?: Record<string, unknown>) => {
    if (LEVELS[lvl] < LEVELS[level]) return;
    write(lvl, redact(JSON.stringify({ level: lvl, msg: message, ...fields })));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function envLevel(): LogLevel {
  const value = process.env.WINDOWED_LOG_LEVEL?.toLowerCase();
  return value && value in LEVELS ? (value as LogLevel) : 'info';
}

function defaultWrite(level: string, line: string): void {
  if (level === 'error' || level === 'warn') process.stderr.write(`${line}\n`);
  else process.stdout.write(`${line}\n`);
}
