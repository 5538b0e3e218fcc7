import {
  describeMalformed,
  type MalformedSummary,
  manualTrigger,
  parseInstant,
  type RunResult,
  runResultJson,
  type StoredRow,
  type WindowedJob,
} from '@windowed/core';
import { Command } from 'commander';
import { type CliContext, loadProject, note, print } from '../context.js';
import { EXIT, type ExitCode, isWindowedErrorLike } from '../errors.js';
import { formatLocal, formatWindowIso } from '../ui/format.js';
import { formatNumber, renderTable } from '../ui/table.js';
import { action, type CliRun, TARGET_HELP } from './shared.js';
import { dimensionsOf, metricsOf } from './show-series.js';

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
  let values: StoredRow[] | undefined;
  try {
    result = await job.run(trigger);
    values = await scheduledValues(job, result);
  } catch (error) {
    failure = error;
  } finally {
    await job.close();
  }
  if (options.json) {
    print(
      ctx,
      JSON.stringify(
        result
          ? { ...toJson(result), ...(values ? { values: values.map((r) => r.values) } : {}) }
          : { error: errorJson(failure) },
        null,
        2,
      ),
    );
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
    if (values) printValues(ctx, job, values);
    const skipped = malformedNote(result);
    if (skipped) note(ctx, ctx.errColors.yellow(skipped));
  }
  if (failure) throw failure;
  const failed = result!.windows.filter((w) => w.status === 'failed');
  for (const f of failed)
    note(ctx, ctx.errColors.red(`failed ${f.window.key}: ${f.error?.message ?? 'unknown error'}`));
  return failed.length ? EXIT.failure : EXIT.ok;
}

/**
 * The scheduled window's rows as the sink now holds them — what the run computed and wrote — when it
 * succeeded and the sink keeps rows to read back (a stdout sink printed them already).
 */
async function scheduledValues(job: WindowedJob, result: RunResult): Promise<StoredRow[] | undefined> {
  const scheduled = result.windows.find((w) => w.window.key === result.window.key);
  if (scheduled?.status !== 'succeeded') return undefined;
  try {
    return await job.results({ from: result.window.start, to: result.window.end });
  } catch (error) {
    if (isWindowedErrorLike(error) && error.code === 'INVALID_CONFIG') return undefined;
    throw error;
  }
}

function printValues(ctx: CliContext, job: WindowedJob, rows: StoredRow[]): void {
  if (rows.length === 0) {
    print(ctx, ctx.colors.dim('The scheduled window has no rows (no group had data).'));
    return;
  }
  const dims = dimensionsOf(job.query, rows);
  const metrics = metricsOf(job.query, rows, dims);
  print(ctx);
  print(ctx, ctx.colors.bold('values of the scheduled window'));
  print(
    ctx,
    renderTable(
      [...dims, ...metrics],
      rows.map((r) => [
        ...dims.map((d) => String(r.values[d] ?? '-')),
        ...metrics.map((m) => formatNumber(r.values[m])),
      ]),
    ),
  );
}

function toJson(result: RunResult) {
  const json = runResultJson(result);
  return {
    ...json,
    windows: json.windows.map((w, i) => {
      const error = result.windows[i]?.error;
      return error ? { ...w, error: errorJson(error) } : w;
    }),
    malformed: result.malformed,
    malformedReasons: result.malformedReasons,
    unplaced: result.unplaced,
  };
}

/**
 * Why lines were skipped, counting only the lines of the run's windows; lines without a usable time
 * belong to no window and are named apart, as a property of the files read.
 */
export function malformedNote(result: MalformedSummary): string | undefined {
  const parts: string[] = [];
  if (result.malformed > 0)
    parts.push(
      `${result.malformed} malformed log line(s) in these windows skipped (${describeMalformed(result.malformedReasons)})`,
    );
  const unplaced = describeMalformed(result.unplaced);
  if (unplaced) parts.push(`the files read also have lines without a usable time, skipped: ${unplaced}`);
  return parts.length > 0 ? `${parts.join('; ')}.` : undefined;
}

export function errorJson(error: unknown): Record<string, unknown> {
  if (isWindowedErrorLike(error)) return { code: error.code, message: error.message };
  return { message: error instanceof Error ? error.message : String(error) };
}
