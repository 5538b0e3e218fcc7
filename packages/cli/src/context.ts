import { dirname } from 'node:path';
import type { Logger, WindowedJob } from '@windowed/core';
import * as core from '@windowed/core';
import {
  findConfigFile,
  loadConfig,
  type ResolvedConfig,
  TARGET_NAMES,
  type TargetName,
  type TargetResources,
} from './config.js';
import { anchorResourceVariables } from './env-paths.js';
import { CliError, EXIT } from './errors.js';
import { type Colors, colorEnabled, createColors } from './ui/color.js';

export interface Output {
  write(text: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

/** What every command gets: where it was started, where to print, how loud to be. */
export interface CliContext {
  /** The folder the user ran the command in: file arguments resolve from here. */
  cwd: string;
  stdout: Output;
  stderr: Output;
  colors: Colors;
  errColors: Colors;
  verbose: boolean;
  env: NodeJS.ProcessEnv;
  /** The options that come before the command: `--config`, `--verbose`, `--no-color`. */
  configPath?: string;
}

export function createContext(options: {
  cwd?: string;
  stdout?: Output;
  stderr?: Output;
  env?: NodeJS.ProcessEnv;
  color?: boolean;
  verbose?: boolean;
  configPath?: string;
}): CliContext {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const env = options.env ?? process.env;
  return {
    cwd: options.cwd ?? process.cwd(),
    stdout,
    stderr,
    env,
    colors: createColors(colorEnabled(stdout, env, options.color)),
    errColors: createColors(colorEnabled(stderr, env, options.color)),
    verbose: options.verbose ?? false,
    ...(options.configPath ? { configPath: options.configPath } : {}),
  };
}

export function print(ctx: CliContext, text = ''): void {
  ctx.stdout.write(`${text}\n`);
}

export function note(ctx: CliContext, text: string): void {
  ctx.stderr.write(`${text}\n`);
}

/** Module instances a config or handler file shares with the CLI (one @windowed/core in the process). */
export async function sharedModules(): Promise<Record<string, unknown>> {
  const modules: Record<string, unknown> = { '@windowed/core': core };
  const load = async (specifier: string, loader: () => Promise<unknown>) => {
    try {
      modules[specifier] = await loader();
    } catch {
      // Not installed: a config importing it fails with the loader's own "cannot find module".
    }
  };
  await load('@windowed/cli', () => import('./index.js'));
  await load('@windowed/adapter-aliyun', () => import('@windowed/adapter-aliyun'));
  await load('@windowed/adapter-aws', () => import('@windowed/adapter-aws'));
  return modules;
}

export interface Project {
  config: ResolvedConfig;
  target: TargetName;
  resources: TargetResources;
  /** The job bound to the target's resources, logging through the CLI. */
  job: WindowedJob;
  modules: Record<string, unknown>;
}

let lastJob: WindowedJob | undefined;

/** The job the last `loadProject` bound: what a failure report may need to ask where it writes. */
export function currentJob(): WindowedJob | undefined {
  return lastJob;
}

let loaded: { path: string; config: ResolvedConfig; modules: Record<string, unknown> } | undefined;

/**
 * Loads the config and binds the job to a target. The process moves into the config's folder so
 * relative paths in it (`./logs`, `sqlite:.windowed/x.db`) mean the same from anywhere; relative
 * paths in WINDOWED_SOURCE/SINK/STATE were typed here, and are made absolute against `ctx.cwd` first.
 */
export async function loadProject(ctx: CliContext, target: string = 'local'): Promise<Project> {
  if (!(TARGET_NAMES as readonly string[]).includes(target)) {
    throw new CliError(
      `Unknown target "${target}".`,
      EXIT.usage,
      `expected one of ${TARGET_NAMES.join(', ')}`,
    );
  }
  const path = findConfigFile(ctx.cwd, ctx.configPath);
  anchorResourceVariables(process.env, ctx.cwd);
  process.chdir(dirname(path));
  if (!loaded || loaded.path !== path) {
    const modules = await sharedModules();
    const config = await loadConfig(path, { modules, defineJob: core.defineWindowedJob });
    loaded = { path, config, modules };
  }
  const { config, modules } = loaded;
  const name = target as TargetName;
  const resources = pickResources(config.targets[name]);
  if (name !== 'local' && !config.targets[name]) {
    throw new CliError(
      `The config has no "${name}" target.`,
      EXIT.usage,
      `add targets.${name} to ${config.path}`,
    );
  }
  const job = config.job.with({ ...resources, logger: cliLogger(ctx) });
  lastJob = job;
  return { config, target: name, resources, job, modules };
}

export function pickResources(target: TargetResources | undefined): TargetResources {
  const out: TargetResources = {};
  if (target?.source !== undefined) out.source = target.source;
  if (target?.sink !== undefined) out.sink = target.sink;
  if (target?.state !== undefined) out.state = target.state;
  return out;
}

/** Job log lines for a person: warnings always, the rest with --verbose. */
export function cliLogger(ctx: CliContext): Logger {
  const line =
    (level: string, color: (s: string) => string) => (message: string, fields?: Record<string, unknown>) => {
      const extra = fields && ctx.verbose ? ` ${core.redact(JSON.stringify(fields))}` : '';
      ctx.stderr.write(`${color(level)}: ${core.redact(message)}${extra}\n`);
    };
  const quiet = () => {};
  return {
    debug: ctx.verbose ? line('debug', ctx.errColors.dim) : quiet,
    info: ctx.verbose ? line('info', ctx.errColors.dim) : quiet,
    warn: line('warning', ctx.errColors.yellow),
    // The command itself reports what failed; the runner's own error line adds detail for --verbose.
    error: ctx.verbose ? line('error', ctx.errColors.red) : quiet,
  };
}

export function parsePositiveInt(value: string, option: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new CliError(
      `${option} ${JSON.stringify(value)} is not a whole number from 1 to ${max}.`,
      EXIT.usage,
    );
  }
  return n;
}

/** `--from` and `--to` as instants, the first before the second. */
export function parseRange(options: { from: string; to: string }): { from: Date; to: Date } {
  const from = core.parseInstant(options.from, '--from');
  const to = core.parseInstant(options.to, '--to');
  if (from >= to)
    throw new CliError(
      `--from (${from.toISOString()}) must be before --to (${to.toISOString()}).`,
      EXIT.usage,
    );
  return { from, to };
}
