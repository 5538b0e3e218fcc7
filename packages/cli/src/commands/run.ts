import { manualTrigger, parseInstant, type RunResult } from '@windowed/core';
import { Command } from 'commander';
import { type CliContext, loadProject, note, print } from '../context.js';
import { EXIT, type ExitCode, isWindowedErrorLike } from '../errors.js';
import { formatLocal, formatWindowIso } from '../ui/format.js';
import { renderTable } from '../ui/table.js';
import { action, type CliRun, TARGET_HELP } from './shared.js';

interface RunOptions {
  at?: string;
  target: string;
  json?: boolean;
}

export function runCommand(run: CliRun): Command {
  return new Command('run')
    .summary('run one scheduled tick now, locally (a manual trigger)')
    .description(
      'Runs the job once, as its schedule would at --at: the window the trigger names, any lateness windows, and missed windows the ledger knows of (catch-up).\n' +
        'Without --at the current time is used as the scheduled time, and printed: a CLI run is the one place a person asks for "now".',
    )
    .option('--at <ISO>', 'the scheduled time of the tick, e.g. 2026-11-27T10:01:00Z (default: now, printed)')
    .option('-t, --target <name>', TARGET_HELP, 'local')
    .option('--json', 'print the run result as JSON')
    .action(action<RunOptions>(run, runAction));
}

async function runAction(ctx: CliContext, options: RunOptions): Promise<ExitCode> {
  const at = options.at ? parseInstant(options.at, '--at') : undefined;
  const project = await loadProject(ctx, options.target);
  const { job } = project;
  const scheduled = at ?? new Date();
  const trigger = manualTrigger(scheduled, { id: `cli-run-${scheduled.toISOString()}` });
  const window = job.windowFor(trigger);
  const tz = job.windowSpec.timeZone;
  if (!at) {
    note(
      ctx,
      ctx.errColors.yellow(
        `No --at given: using the current time ${trigger.scheduledTime} as the scheduled time.`,
      ),
    );
  }
  note(
    ctx,
    `${job.name}: scheduled ${trigger.scheduledTime} -> window ${formatWindowIso(window)} (${formatLocal(window.start, tz)} ${tz})`,
  );
  let result: RunResult | undefined;
  let failure: unknown;
  try {
    result = await job.run(trigger);
  } catch (error) {
    failure = error;
  } finally {
    await job.close();
  }
  if (options.json) {
    print(ctx, JSON.stringify(result ? toJson(result) : { error: errorJson(failure) }, null, 2));
  } else if (result) {
    print(
      ctx,
      renderTable(
        ['window start (UTC)', `local (${tz})`, 'reason', 'status', 'rows'],
        result.windows.map((w) => [
          w.window.start.toISOString(),
          formatLocal(w.window.start, tz),
          w.reason,
          w.status === 'succeeded' ? ctx.colors.green(w.status) : ctx.colors.red(w.status),
          String(w.rows),
        ]),
      ),
    );
    if (result.malformed)
      note(ctx, ctx.errColors.yellow(`${result.malformed} malformed log line(s) skipped.`));
  }
  if (failure) throw failure;
  const failed = result!.windows.filter((w) => w.status === 'failed');
  for (const f of failed)
    note(ctx, ctx.errColors.red(`failed ${f.window.key}: ${f.error?.message ?? 'unknown error'}`));
  return failed.length ? EXIT.failure : EXIT.ok;
}

function toJson(result: RunResult) {
  return {
    job: result.job,
    scheduledTime: result.trigger.scheduledTime,
    window: { start: result.window.start.toISOString(), end: result.window.end.toISOString() },
    windows: result.windows.map((w) => ({
      start: w.window.start.toISOString(),
      end: w.window.end.toISOString(),
      reason: w.reason,
      status: w.status,
      rows: w.rows,
      ...(w.error ? { error: errorJson(w.error) } : {}),
    })),
    malformed: result.malformed,
  };
}

export function errorJson(error: unknown): Record<string, unknown> {
  if (isWindowedErrorLike(error)) return { code: error.code, message: error.message };
  return { message: error instanceof Error ? error.message : String(error) };
}
