import type { Command } from 'commander';
import { type CliContext, createContext, type Output } from '../context.js';
import type { ExitCode } from '../errors.js';

export interface CliIo {
  cwd?: string;
  stdout?: Output;
  stderr?: Output;
  env?: NodeJS.ProcessEnv;
}

/** Shared by the commands of one invocation: the exit code the action chose. */
export interface CliRun {
  io: CliIo;
  exitCode: ExitCode;
}

type Handler<O> = (ctx: CliContext, options: O, args: string[]) => Promise<ExitCode>;

/**
 * Wraps a command's action: builds the context from the global options (`--config`,
 * `--verbose`, `--no-color`) and records the exit code it returns.
 */
export function action<O>(run: CliRun, handler: Handler<O>) {
  return async (...params: unknown[]) => {
    const command = params[params.length - 1] as Command;
    const options = command.optsWithGlobals() as O & { config?: string; verbose?: boolean; color?: boolean };
    const ctx = createContext({
      ...run.io,
      verbose: options.verbose === true,
      ...(options.color === false ? { color: false } : {}),
      ...(options.config ? { configPath: options.config } : {}),
    });
    run.exitCode = await handler(ctx, options, command.args);
  };
}

export const TARGET_HELP = 'config target whose source, sink and state to use: local, aliyun or aws';
