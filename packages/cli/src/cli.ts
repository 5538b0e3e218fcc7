import { redact } from '@windowed/core';
import { Command, CommanderError, Option } from 'commander';
import { backfillCommand } from './commands/backfill.js';
import { deployCommand, planCommand } from './commands/deploy.js';
import { doctorCommand } from './commands/doctor.js';
import { exportCommand } from './commands/export.js';
import { policyCommand } from './commands/policy.js';
import { replayCommand } from './commands/replay.js';
import { runCommand } from './commands/run.js';
import type { CliIo, CliRun } from './commands/shared.js';
import { showCommand } from './commands/show.js';
import { simulateCommand } from './commands/simulate.js';
import { statusCommand } from './commands/status.js';
import { uiCommand } from './commands/ui.js';
import { verifyCommand } from './commands/verify.js';
import { createContext, currentJob } from './context.js';
import { describeFailure, EXIT } from './errors.js';
import { asSinkFailure } from './sink-failure.js';
import { VERSION } from './version.js';

const EXIT_CODES_HELP = `
Exit codes:
  0    ok
  1    a job or window failed (details on stderr; \`windowed status\` lists failed windows)
  2    usage or configuration error
  130  interrupted (Ctrl-C); a rerun of backfill resumes

Environment:
  WINDOWED_SOURCE, WINDOWED_SINK, WINDOWED_STATE   override the target's source, sink and state
  NO_COLOR                                         no colour (also off when output is not a terminal)`;

export function createProgram(run: CliRun): Command {
  const stdout = run.io.stdout ?? process.stdout;
  const stderr = run.io.stderr ?? process.stderr;
  const program = new Command('windowed')
    .description(
      'Scheduled, time-windowed aggregation jobs on Alibaba Cloud Function Compute and AWS Lambda.',
    )
    .version(VERSION, '-V, --version')
    .option(
      '--config <file>',
      'config file (default: windowed.config.{ts,mts,js,mjs,cjs,json} in the current folder)',
    )
    .option('--verbose', 'log job details and print stack traces')
    .addOption(new Option('--no-color', 'no colour in the output'))
    .addHelpText('after', EXIT_CODES_HELP)
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => void stdout.write(s),
      writeErr: (s) => void stderr.write(s),
    });
  for (const command of [
    runCommand(run),
    backfillCommand(run),
    statusCommand(run),
    showCommand(run),
    verifyCommand(run),
    replayCommand(run),
    planCommand(run),
    deployCommand(run),
    policyCommand(run),
    doctorCommand(run),
    exportCommand(run),
    simulateCommand(run),
    uiCommand(run),
  ]) {
    command.addHelpText('after', EXIT_CODES_HELP);
    program.addCommand(command);
  }
  // Every command reports usage errors the same way: a line, a hint, exit code 2.
  const configure = (c: Command) => {
    c.exitOverride();
    c.configureOutput({
      writeOut: (s) => void stdout.write(s),
      writeErr: (s) => void stderr.write(s),
      outputError: (s, write) =>
        write(
          `${s.trimEnd()}\n${`hint: see \`windowed ${c.name() === 'windowed' ? '' : `${c.name()} `}--help\``}\n`,
        ),
    });
    for (const sub of c.commands) configure(sub);
  };
  configure(program);
  return program;
}

/**
 * Runs the CLI on `argv` (without `node` and the script) and resolves with the exit code.
 * Never calls `process.exit` itself, except on a second Ctrl-C during a backfill.
 */
export async function runCli(argv: string[], io: CliIo = {}): Promise<number> {
  const run: CliRun = { io, exitCode: EXIT.ok };
  const program = createProgram(run);
  try {
    await program.parseAsync(argv, { from: 'user' });
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT.usage;
    }
    return run.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return EXIT.ok;
      return EXIT.usage;
    }
    const verbose = argv.includes('--verbose');
    const ctx = createContext({ ...io, verbose, ...(argv.includes('--no-color') ? { color: false } : {}) });
    const failure = describeFailure(await asSinkFailure(error, currentJob()));
    ctx.stderr.write(`${ctx.errColors.red('error')}: ${failure.message}\n`);
    if (failure.hint) ctx.stderr.write(`${ctx.errColors.dim('hint')}: ${failure.hint}\n`);
    if (verbose && error instanceof Error && error.stack) {
      // Causes come from drivers and SDKs: what they say passes through the same redaction.
      ctx.stderr.write(`${redact(error.stack)}\n`);
      let cause = (error as { cause?: unknown }).cause;
      while (cause instanceof Error) {
        ctx.stderr.write(`caused by: ${redact(cause.stack ?? cause.message)}\n`);
        cause = (cause as { cause?: unknown }).cause;
      }
    }
    return failure.exitCode;
  }
}
