import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TriggerEvent, Window, WindowedJob } from '@windowed/core';
import { Command } from 'commander';
import { type CliContext, loadProject, note, print } from '../context.js';
import { CliError, EXIT, type ExitCode, isWindowedErrorLike } from '../errors.js';
import { formatLocal } from '../ui/format.js';
import { renderTable } from '../ui/table.js';
import { replayChunk, replayedRange } from './replay-backfill.js';
import { drainFailureQueue } from './replay-queue.js';
import { type FailedInvocation, parseOne, splitRecords } from './replay-records.js';
import { action, type CliRun, TARGET_HELP } from './shared.js';

interface ReplayOptions {
  queue?: string;
  max?: string;
  dryRun?: boolean;
  target: string;
  json?: boolean;
}

export function replayCommand(run: CliRun): Command {
  return new Command('replay')
    .summary('re-run the windows named by failure-destination records')
    .description(
      'Reads records that FC or Lambda delivered to the failure destination — from a file (one JSON record, a JSON array, or NDJSON; - for stdin) or straight from the queue (--queue) — and re-runs each window they name once.\n' +
        'Queue messages are deleted only after their window was replayed successfully.',
    )
    .argument('[file]', 'file of failure records, or - for stdin')
    .option(
      '--queue <url>',
      'read the records from an SQS queue URL or an MNS queue (mns:<queue> or acs:mns:<region>:<uid>:/queues/<queue>/messages)',
    )
    .option('--max <N>', 'read at most N queue messages')
    .option('--dry-run', 'list the windows without running them')
    .option('-t, --target <name>', TARGET_HELP, 'local')
    .option('--json', 'print the outcome as JSON')
    .action(action<ReplayOptions>(run, replayAction));
}

async function replayAction(ctx: CliContext, options: ReplayOptions, args: string[]): Promise<ExitCode> {
  const file = args[0];
  if (!file && !options.queue)
    throw new CliError(
      'replay needs a file of failure records (or -) or --queue.',
      EXIT.usage,
      'windowed replay failures.ndjson',
    );
  if (file && options.queue) throw new CliError('replay takes a file or --queue, not both.', EXIT.usage);
  const max = options.max ? Number(options.max) : undefined;
  if (max !== undefined && (!Number.isSafeInteger(max) || max < 1))
    throw new CliError(`--max ${options.max} is not a whole number from 1.`, EXIT.usage);

  const problems: string[] = [];
  const records: FailedInvocation[] = [];
  if (file) {
    const text = file === '-' ? readFileSync(0, 'utf8') : readInput(resolve(ctx.cwd, file));
    for (const raw of splitRecords(text)) {
      const parsed = parseOne(raw);
      if (parsed.record) records.push(parsed.record);
      else problems.push(parsed.problem ?? 'not a failure record');
    }
  }
  const project = await loadProject(ctx, options.target);
  const { job } = project;
  const replayer = new Replayer(job, options.dryRun === true);
  try {
    if (options.queue) {
      if (options.dryRun)
        throw new CliError(
          '--dry-run cannot be used with --queue: reading a queue message hides it from other readers.',
          EXIT.usage,
        );
      const drained = await drainFailureQueue(
        options.queue,
        project.config.targets,
        (r) => replayer.replay(r),
        max,
      );
      problems.push(...drained.invalid);
    } else {
      // Oldest window first, like catch-up.
      records.sort((a, b) => replayedRange(job, a).start.getTime() - replayedRange(job, b).start.getTime());
      for (const record of records) await replayer.replay(record).catch(() => {});
    }
  } finally {
    await job.close();
  }
  const outcome = replayer.outcomes();
  if (outcome.length === 0 && problems.length === 0) {
    print(ctx, 'No failure records: nothing to replay.');
    return EXIT.ok;
  }
  report(ctx, job, outcome, options);
  for (const p of problems)
    note(ctx, ctx.errColors.yellow(`skipped a message that is no failure record: ${p}`));
  const failed = outcome.filter((o) => o.status === 'failed').length;
  return failed > 0 || problems.length > 0 ? EXIT.failure : EXIT.ok;
}

function readInput(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(
      `Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
      EXIT.usage,
    );
  }
}

interface WindowOutcome {
  window: Window;
  records: FailedInvocation[];
  status: 'succeeded' | 'failed' | 'listed';
  error?: string;
}

/** Runs each window once, however many records name it; later records of a replayed window just succeed. */
class Replayer {
  private readonly byWindow = new Map<string, { outcome: WindowOutcome; done: Promise<void> }>();

  constructor(
    private readonly job: WindowedJob,
    private readonly dryRun: boolean,
  ) {}

  replay(record: FailedInvocation): Promise<void> {
    const window = replayedRange(this.job, record);
    const known = this.byWindow.get(window.key);
    if (known) {
      known.outcome.records.push(record);
      return known.done;
    }
    const outcome: WindowOutcome = {
      window,
      records: [record],
      status: this.dryRun ? 'listed' : 'succeeded',
    };
    const done = this.dryRun
      ? Promise.resolve()
      : record.backfill
        ? replayChunk(this.job, record.backfill, outcome)
        : this.run(record.trigger, window, outcome);
    this.byWindow.set(window.key, { outcome, done });
    return done;
  }

  private async run(trigger: TriggerEvent, window: Window, outcome: WindowOutcome): Promise<void> {
    try {
      await this.job.run({ ...trigger, id: `replay-${window.key}` });
    } catch (error) {
      outcome.status = 'failed';
      outcome.error = isWindowedErrorLike(error) ? `${error.code}: ${error.message}` : String(error);
      throw error;
    }
  }

  outcomes(): WindowOutcome[] {
    return [...this.byWindow.values()]
      .map((v) => v.outcome)
      .sort((a, b) => a.window.start.getTime() - b.window.start.getTime());
  }
}
function report(ctx: CliContext, job: WindowedJob, outcome: WindowOutcome[], options: ReplayOptions): void {
  if (options.json) {
    print(
      ctx,
      JSON.stringify(
        outcome.map((o) => ({
          windowStart: o.window.start.toISOString(),
          windowEnd: o.window.end.toISOString(),
          status: o.status,
          ...(o.error ? { error: o.error } : {}),
          records: o.records.map((r) => ({
            provider: r.provider,
            condition: r.condition,
            attempts: r.attempts,
            error: r.error ?? null,
          })),
        })),
        null,
        2,
      ),
    );
    return;
  }
  const tz = job.windowSpec.timeZone;
  const c = ctx.colors;
  print(
    ctx,
    renderTable(
      ['window start (UTC)', `local (${tz})`, 'from', 'condition', 'attempts', 'original error', 'replay'],
      outcome.map((o) => {
        const r = o.records[o.records.length - 1]!;
        return [
          o.window.start.toISOString(),
          formatLocal(o.window.start, tz),
          o.records.length > 1 ? `${r.provider} ×${o.records.length}` : r.provider,
          r.condition,
          String(r.attempts),
          (r.error ?? '').slice(0, 60),
          o.status === 'succeeded'
            ? c.green('replayed')
            : o.status === 'listed'
              ? 'dry run'
              : c.red('failed'),
        ];
      }),
      { align: ['left', 'left', 'left', 'left', 'right', 'left', 'left'] },
    ),
  );
  for (const o of outcome.filter((x) => x.status === 'failed'))
    note(ctx, ctx.errColors.red(`replay of ${o.window.key} failed: ${o.error}`));
}
