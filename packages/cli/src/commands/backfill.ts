import {
  addMalformed as addMalformedCounts,
  type BackfillResult,
  type MalformedReason,
  parseInstant,
  WindowedError,
  type WindowedJob,
  type WindowOutcome,
  windowsInRange,
} from '@windowed/core';
import { Command } from 'commander';
import { type CliContext, loadProject, note, parsePositiveInt, parseRange, print } from '../context.js';
import { CliError, EXIT, type ExitCode } from '../errors.js';
import { ProgressBar } from '../ui/progress.js';
import { remoteBackfill } from './backfill-remote.js';
import { malformedNote } from './run.js';
import { action, type CliRun, TARGET_HELP } from './shared.js';

interface BackfillOptions {
  from?: string;
  to?: string;
  concurrency?: string;
  force?: boolean;
  stale?: boolean;
  target: string;
  json?: boolean;
  remote?: boolean;
  parallel?: string;
  chunk?: string;
}

export function backfillCommand(run: CliRun): Command {
  return new Command('backfill')
    .summary('compute every window in a range (resumable)')
    .description(
      'Computes the windows in [--from, --to), skipping those the ledger says already succeeded (unless --force).\n' +
        'With --stale, recomputes exactly the stale windows (computed under another query, window or source than the current one), in [--from, --to) or everywhere the ledger knows.\n' +
        'Ctrl-C stops cleanly after the windows in flight: nothing is half-written, and running the same command again resumes. A second Ctrl-C exits at once.\n' +
        'With --remote (--target aws|aliyun) the deployed function computes the range: chunks sent as asynchronous invocations, at most --parallel in flight, progress read from the ledger; Ctrl-C stops sending and names the chunks in flight.',
    )
    .option('--from <ISO>', 'start of the range (inclusive), e.g. 2026-11-27T00:00:00Z')
    .option('--to <ISO>', 'end of the range (exclusive)')
    .option('-c, --concurrency <N>', 'batches computed at once (1-16)', '1')
    .option('--force', 're-compute windows that already succeeded')
    .option('--stale', 're-compute only the stale windows (see windowed status)')
    .option('-t, --target <name>', TARGET_HELP, 'local')
    .option('--json', 'print the result as JSON')
    .option('--remote', 'run the chunks on the deployed function (--target aws|aliyun), asynchronously')
    .option(
      '--parallel <N>',
      'with --remote: chunks in flight at once (default 10, capped by the source and sink)',
    )
    .option(
      '--chunk <duration>',
      "with --remote: each invocation's share, e.g. 6h (default: a quarter of the timeout's worth)",
    )
    .action(action<BackfillOptions>(run, backfillAction));
}

async function backfillAction(ctx: CliContext, options: BackfillOptions): Promise<ExitCode> {
  if (options.stale && options.force)
    throw new CliError(
      '--stale and --force exclude each other: --stale recomputes the stale windows, --force every window.',
      EXIT.usage,
    );
  if (!options.stale && (options.from === undefined || options.to === undefined))
    throw new CliError('backfill needs --from and --to (only --stale may leave them out).', EXIT.usage);
  if (options.stale && options.remote)
    throw new CliError(
      '--stale cannot be used with --remote yet.',
      EXIT.usage,
      'run backfill --stale locally',
    );
  if (options.remote) {
    const { from, to } = parseRange({ from: options.from!, to: options.to! });
    return remoteBackfill(ctx, {
      from,
      to,
      target: options.target,
      force: options.force === true,
      ...(options.parallel !== undefined ? { parallel: options.parallel } : {}),
      ...(options.chunk !== undefined ? { chunk: options.chunk } : {}),
      json: options.json === true,
    });
  }
  if (options.parallel !== undefined || options.chunk !== undefined)
    throw new CliError('--parallel and --chunk go with --remote.', EXIT.usage);
  const concurrency = parsePositiveInt(options.concurrency ?? '1', '--concurrency', 16);
  const { job } = await loadProject(ctx, options.target);
  let range: { from: Date; to: Date } | undefined;
  try {
    range = await backfillRange(job, options);
  } catch (error) {
    await job.close();
    throw error;
  }
  if (!range) {
    await job.close();
    print(ctx, `${job.name}: no stale windows.`);
    return EXIT.ok;
  }
  const { from, to } = range;

  const bar = new ProgressBar({ stream: ctx.stderr, colors: ctx.errColors, label: job.name });
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      bar.stop();
      note(ctx, ctx.errColors.yellow('Stopping after the windows in flight… (Ctrl-C again to exit now)'));
      controller.abort(new WindowedError('ABORTED', 'Interrupted (Ctrl-C).'));
    } else {
      note(
        ctx,
        ctx.errColors.red(
          'Exiting now. Windows in flight were not recorded as succeeded; the next backfill re-runs them.',
        ),
      );
      process.exit(EXIT.interrupted);
    }
  };
  process.on('SIGINT', onSigint);
  let result: BackfillResult;
  try {
    result = await backfillInChunks(job, {
      from,
      to,
      concurrency,
      force: options.force === true,
      stale: options.stale === true,
      signal: controller.signal,
      onProgress: (p) => bar.update(p),
    });
  } finally {
    bar.stop();
    process.off('SIGINT', onSigint);
    await job.close();
  }

  if (options.json) {
    print(
      ctx,
      JSON.stringify(
        {
          job: job.name,
          from: from.toISOString(),
          to: to.toISOString(),
          total: result.total,
          computed: result.computed,
          skipped: result.skipped,
          failed: result.failed,
          aborted: result.aborted,
          malformed: result.malformed,
          malformedReasons: result.malformedReasons,
          unplaced: result.unplaced,
          failures: result.windows
            .filter((w) => w.status === 'failed')
            .map((w) => ({ start: w.window.start.toISOString(), error: w.error?.message })),
        },
        null,
        2,
      ),
    );
  } else {
    const c = ctx.colors;
    print(
      ctx,
      `${job.name}: ${result.total} windows in [${from.toISOString()}, ${to.toISOString()}): ` +
        `${c.green(`${result.computed} computed`)}, ${result.skipped} ${options.stale ? 'not stale' : 'already done'}, ` +
        `${result.failed ? c.red(`${result.failed} failed`) : '0 failed'}`,
    );
    const skipped = malformedNote(result);
    if (skipped) note(ctx, ctx.errColors.yellow(skipped));
  }
  const failed = result.windows.filter((w) => w.status === 'failed');
  // One cause failing many windows (a source misconfigured, a broken input) is said once.
  const byMessage = new Map<string, WindowOutcome[]>();
  for (const f of failed) {
    const message = f.error ? `${f.error.code}: ${f.error.message}` : 'unknown error';
    byMessage.set(message, [...(byMessage.get(message) ?? []), f]);
  }
  let shown = 0;
  for (const [message, windows] of byMessage) {
    if (shown++ === 10) {
      note(ctx, `… and more (windowed status lists them all)`);
      break;
    }
    const which =
      windows.length === 1
        ? windows[0]!.window.key
        : `${windows.length} windows from ${windows[0]!.window.key}`;
    note(ctx, ctx.errColors.red(`failed ${which}: ${message}`));
  }
  if (result.aborted) {
    note(ctx, `Interrupted: every window written so far is complete. Run the same command again to resume.`);
    return EXIT.interrupted;
  }
  return failed.length ? EXIT.failure : EXIT.ok;
}

/**
 * The range in chunks of 1440 × `concurrency` windows (a day of minutes each), yielding to the event loop between
 * them. A synchronous driver (better-sqlite3) can otherwise run a whole backfill without the event
 * loop ever turning, and Ctrl-C would only be seen at the end.
 */
async function backfillInChunks(
  job: WindowedJob,
  o: {
    from: Date;
    to: Date;
    concurrency: number;
    force: boolean;
    stale: boolean;
    signal: AbortSignal;
    onProgress(p: { done: number; total: number; failed: number }): void;
  },
): Promise<BackfillResult> {
  const windows = windowsInRange(o.from, o.to, job.windowSpec);
  const total: BackfillResult = {
    total: windows.length,
    computed: 0,
    skipped: 0,
    failed: 0,
    aborted: false,
    malformed: 0,
    malformedReasons: {},
    unplaced: {},
    windows: [],
  };
  const chunk = 1440 * o.concurrency;
  let done = 0;
  for (let i = 0; i < windows.length; i += chunk) {
    await new Promise((resolve) => setImmediate(resolve));
    if (o.signal.aborted) break;
    const part = windows.slice(i, i + chunk);
    const r = await job.backfill({
      from: part[0]!.start,
      to: part[part.length - 1]!.end,
      concurrency: o.concurrency,
      force: o.force,
      stale: o.stale,
      signal: o.signal,
      onProgress: (p) =>
        o.onProgress({ done: done + p.done, total: windows.length, failed: total.failed + p.failed }),
    });
    done += part.length;
    total.computed += r.computed;
    total.skipped += r.skipped;
    total.failed += r.failed;
    total.malformed += r.malformed;
    addMalformedCounts(total.malformedReasons, r.malformedReasons);
    for (const [reason, n] of Object.entries(r.unplaced) as [MalformedReason, number][])
      total.unplaced[reason] = Math.max(total.unplaced[reason] ?? 0, n);
    total.windows.push(...r.windows);
    if (r.aborted) break;
  }
  total.aborted = o.signal.aborted && total.computed + total.skipped + total.failed < windows.length;
  return total;
}

/**
 * `--from`/`--to` as given; with `--stale` alone, the span the ledger summarizes (undefined when it
 * holds no stale window).
 */
async function backfillRange(
  job: WindowedJob,
  options: BackfillOptions,
): Promise<{ from: Date; to: Date } | undefined> {
  if (options.from !== undefined && options.to !== undefined)
    return parseRange({ from: options.from, to: options.to });
  const status = await job.status({
    ...(options.from !== undefined ? { from: parseInstant(options.from, '--from') } : {}),
    ...(options.to !== undefined ? { to: parseInstant(options.to, '--to') } : {}),
  });
  const stale = status.ranges.filter((r) => r.state === 'stale');
  if (status.counts.stale === 0) return undefined;
  if (status.truncated || stale.length === 0) {
    if (!status.from || !status.to) return undefined;
    return { from: status.from, to: status.to };
  }
  return { from: stale[0]!.from, to: stale[stale.length - 1]!.to };
}
