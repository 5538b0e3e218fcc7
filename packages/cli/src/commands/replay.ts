import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TriggerEvent, Window, WindowedJob } from '@windowed/core';
import { Command } from 'commander';
import { type CliContext, loadProject, note, print } from '../context.js';
import { CliError, EXIT, type ExitCode, isWindowedErrorLike } from '../errors.js';
import { formatLocal } from '../ui/format.js';
import { renderTable } from '../ui/table.js';
import { openFailureQueue, type QueueMessage } from './replay-queue.js';
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
    .option('--queue <url>', 'read the records from an SQS queue URL or an MNS queue (mns:<queue> or acs:mns:<region>:<uid>:/queues/<queue>/messages)')
    .option('--max <N>', 'read at most N queue messages')
    .option('--dry-run', 'list the windows without running them')
    .option('-t, --target <name>', TARGET_HELP, 'local')
    .option('--json', 'print the outcome as JSON')
    .action(action<ReplayOptions>(run, replayAction));
}

async function replayAction(ctx: CliContext, options: ReplayOptions, args: string[]): Promise<ExitCode> {
  const file = args[0];
  if (!file && !options.queue) throw new CliError('replay needs a file of failure records (or -) or --queue.', EXIT.usage, 'windowed replay failures.ndjson');
  if (file && options.queue) throw new CliError('replay takes a file or --queue, not both.', EXIT.usage);
  const max = options.max ? Number(options.max) : undefined;
  if (max !== undefined && (!Number.isSafeInteger(max) || max < 1)) throw new CliError(`--max ${options.max} is not a whole number from 1.`, EXIT.usage);

  const items: Array<{ record?: FailedInvocation; problem?: string; message?: QueueMessage }> = [];
  let closeQueue: (() => Promise<void>) | undefined;
  if (file) {
    const text = file === '-' ? readFileSync(0, 'utf8') : readInput(resolve(ctx.cwd, file));
    for (const raw of splitRecords(text)) items.push(parseOne(raw));
  }
  // The config comes after reading the file: `-` must read stdin from the user's folder context.
  const project = await loadProject(ctx, options.target);
  const { job } = project;
  try {
    if (options.queue) {
      const queue = await openFailureQueue(options.queue, project.config.targets, max);
      closeQueue = queue.close;
      for await (const message of queue.messages()) items.push({ ...message, message });
    }
    if (items.length === 0) {
      print(ctx, 'No failure records: nothing to replay.');
      return EXIT.ok;
    }
    const outcome = await replayAll(job, items, options.dryRun === true);
    report(ctx, job, outcome, options);
    for (const p of items.filter((i) => i.problem)) note(ctx, ctx.errColors.yellow(`skipped a record: ${p.problem}`));
    const failed = outcome.filter((o) => o.status === 'failed').length;
    return failed > 0 || items.some((i) => i.problem) ? EXIT.failure : EXIT.ok;
  } finally {
    await closeQueue?.();
    await job.close();
  }
}

function readInput(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, EXIT.usage);
  }
}

interface WindowOutcome {
  window: Window;
  records: FailedInvocation[];
  status: 'succeeded' | 'failed' | 'listed';
  error?: string;
}

/** Each window once, oldest first, however many records name it. */
async function replayAll(
  job: WindowedJob,
  items: Array<{ record?: FailedInvocation; message?: QueueMessage }>,
  dryRun: boolean,
): Promise<WindowOutcome[]> {
  const byWindow = new Map<string, { window: Window; trigger: TriggerEvent; records: FailedInvocation[]; messages: QueueMessage[] }>();
  for (const item of items) {
    if (!item.record) continue;
    const window = job.windowFor(item.record.trigger);
    const entry = byWindow.get(window.key) ?? { window, trigger: item.record.trigger, records: [], messages: [] };
    entry.records.push(item.record);
    if (item.message) entry.messages.push(item.message);
    byWindow.set(window.key, entry);
  }
  const out: WindowOutcome[] = [];
  for (const entry of [...byWindow.values()].sort((a, b) => a.window.start.getTime() - b.window.start.getTime())) {
    if (dryRun) {
      out.push({ window: entry.window, records: entry.records, status: 'listed' });
      continue;
    }
    try {
      await job.run({ ...entry.trigger, id: `replay-${entry.window.key}` });
      for (const m of entry.messages) await m.delete();
      out.push({ window: entry.window, records: entry.records, status: 'succeeded' });
    } catch (error) {
      out.push({
        window: entry.window,
        records: entry.records,
        status: 'failed',
        error: isWindowedErrorLike(error) ? `${error.code}: ${error.message}` : String(error),
      });
    }
  }
  return out;
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
          records: o.records.map((r) => ({ provider: r.provider, condition: r.condition, attempts: r.attempts, error: r.error ?? null })),
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
          o.status === 'succeeded' ? c.green('replayed') : o.status === 'listed' ? 'dry run' : c.red('failed'),
        ];
      }),
      { align: ['left', 'left', 'left', 'left', 'right', 'left', 'left'] },
    ),
  );
  for (const o of outcome.filter((x) => x.status === 'failed')) note(ctx, ctx.errColors.red(`replay of ${o.window.key} failed: ${o.error}`));
}
