import type { JobStatus, LedgerEntry } from '@windowed/core';
import { Command } from 'commander';
import { type CliContext, loadProject, print } from '../context.js';
import { EXIT, type ExitCode } from '../errors.js';
import { coalesce, formatLocal } from '../ui/format.js';
import { renderTable } from '../ui/table.js';
import { action, type CliRun, TARGET_HELP } from './shared.js';

interface StatusOptions {
  target: string;
  json?: boolean;
  from?: string;
  to?: string;
}

export function statusCommand(run: CliRun): Command {
  return new Command('status')
    .summary('what the ledger knows: last success, gaps, failed windows')
    .description(
      'Reads the run ledger (windowed_runs): the last succeeded window, gaps (windows before it that never succeeded), failed windows with their attempts and error, and windows still running.\n' +
        'Exit code 1 when there are failed windows or gaps, so a monitor can run it.',
    )
    .option('-t, --target <name>', TARGET_HELP, 'local')
    .option('--json', 'print the status as JSON')
    .action(action<StatusOptions>(run, statusAction));
}

async function statusAction(ctx: CliContext, options: StatusOptions): Promise<ExitCode> {
  const { job } = await loadProject(ctx, options.target);
  let status: JobStatus;
  try {
    status = await job.status();
  } finally {
    await job.close();
  }
  const tz = job.windowSpec.timeZone;
  if (options.json) {
    print(ctx, JSON.stringify(statusJson(status), null, 2));
  } else {
    const c = ctx.colors;
    print(ctx, `${c.bold(`job ${status.job}`)}  (${job.windowSpec.size.label} windows, ${tz})`);
    if (!status.ledger) {
      print(
        ctx,
        c.yellow(
          'No run ledger: the sink keeps none and no state URL is set, so there is nothing to report.',
        ),
      );
      return EXIT.ok;
    }
    const last = status.lastSucceeded;
    print(
      ctx,
      last
        ? `last succeeded  ${last.windowStart.toISOString()}  (${formatLocal(last.windowStart, tz)} ${tz}), computed ${last.updatedAt.toISOString()}`
        : 'last succeeded  none yet',
    );
    const ranges = coalesce(status.gaps);
    print(
      ctx,
      `gaps            ${status.gaps.length === 0 ? c.green('none') : c.red(`${status.gaps.length} window(s) in ${ranges.length} range(s)`)}`,
    );
    for (const r of ranges.slice(0, 20))
      print(ctx, `  [${r.start.toISOString()}, ${r.end.toISOString()})  ${r.count} window(s)`);
    if (ranges.length > 20) print(ctx, `  … ${ranges.length - 20} more range(s) (--json lists all)`);
    print(
      ctx,
      `failed          ${status.failed.length === 0 ? c.green('none') : c.red(String(status.failed.length))}`,
    );
    if (status.failed.length) print(ctx, entryTable(status.failed.slice(-50), tz));
    if (status.running.length) {
      print(
        ctx,
        `running         ${status.running.length} (a running row older than the function timeout is retried by catch-up)`,
      );
      print(ctx, entryTable(status.running.slice(-20), tz));
    }
  }
  return status.failed.length > 0 || status.gaps.length > 0 ? EXIT.failure : EXIT.ok;
}

function entryTable(entries: LedgerEntry[], tz: string): string {
  return renderTable(
    ['window start (UTC)', `local (${tz})`, 'status', 'attempts', 'updated', 'error'],
    entries.map((e) => [
      e.windowStart.toISOString(),
      formatLocal(e.windowStart, tz),
      e.status,
      String(e.attempts),
      e.updatedAt.toISOString(),
      (e.lastError ?? '').split('\n')[0]!.slice(0, 120),
    ]),
    { align: ['left', 'left', 'left', 'right', 'left', 'left'] },
  );
}

function entryJson(e: LedgerEntry) {
  return {
    windowStart: e.windowStart.toISOString(),
    windowEnd: e.windowEnd.toISOString(),
    status: e.status,
    attempts: e.attempts,
    lastError: e.lastError,
    triggerId: e.triggerId,
    updatedAt: e.updatedAt.toISOString(),
  };
}

function statusJson(s: JobStatus) {
  return {
    job: s.job,
    ledger: s.ledger,
    lastSucceeded: s.lastSucceeded ? entryJson(s.lastSucceeded) : null,
    gaps: s.gaps.map((w) => ({ start: w.start.toISOString(), end: w.end.toISOString() })),
    failed: s.failed.map(entryJson),
    running: s.running.map(entryJson),
  };
}
