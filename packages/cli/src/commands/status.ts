import {
  type JobSummary,
  parseInstant,
  type SummaryRange,
  WINDOW_STATES,
  type WindowedJob,
  type WindowRecord,
} from '@windowed/core';
import { Command } from 'commander';
import { type CliContext, loadProject, print } from '../context.js';
import { EXIT, type ExitCode } from '../errors.js';
import { formatLocal } from '../ui/format.js';
import { renderTable } from '../ui/table.js';
import { action, type CliRun, TARGET_HELP } from './shared.js';

interface StatusOptions {
  target: string;
  json?: boolean;
  from?: string;
  to?: string;
}

/** Ranges printed in text; `--json` gives them all (up to the summary's limit). */
const SHOWN_RANGES = 20;
/** Failed windows printed with their attempts and error. */
const SHOWN_FAILURES = 10;

export function statusCommand(run: CliRun): Command {
  return new Command('status')
    .summary('what the ledger knows: counts and ranges of succeeded, stale, failed, running, missing windows')
    .description(
      "Summarizes the run ledger (windowed_runs) in the database, for the sink the job writes to: how many windows succeeded, are stale (computed under another query, window or source), failed, are running, or are missing between the first and the last recorded window (from the job's `start` when set) — as ranges, never window by window.\n" +
        'Reads only: works with a database user that can only SELECT and creates nothing.\n' +
        'Exit code 1 when windows failed or are missing, so a monitor can run it.',
    )
    .option('-t, --target <name>', TARGET_HELP, 'local')
    .option('--from <ISO>', 'only windows starting at or after this instant')
    .option('--to <ISO>', 'only windows starting before this instant')
    .option('--json', 'print the summary as JSON (ranges, not windows)')
    .action(action<StatusOptions>(run, statusAction));
}

async function statusAction(ctx: CliContext, options: StatusOptions): Promise<ExitCode> {
  const range = {
    ...(options.from !== undefined ? { from: parseInstant(options.from, '--from') } : {}),
    ...(options.to !== undefined ? { to: parseInstant(options.to, '--to') } : {}),
  };
  const { job: loaded } = await loadProject(ctx, options.target);
  const job = loaded.with({ readOnly: true });
  let status: JobSummary;
  let failures: WindowRecord[] = [];
  try {
    status = await job.status(range);
    if (!options.json) failures = await latestFailures(job, status);
  } finally {
    await Promise.all([job.close(), loaded.close()]);
  }
  const tz = job.windowSpec.timeZone;
  if (options.json) {
    print(ctx, JSON.stringify(statusJson(status), null, 2));
  } else {
    const c = ctx.colors;
    print(ctx, `${c.bold(`job ${status.job}`)}  (${job.windowSpec.size.label} windows, ${tz})`);
    print(ctx, `sink            ${status.sink}`);
    if (!status.ledger) {
      print(ctx, c.yellow(status.note ?? 'No run ledger yet.'));
      return EXIT.ok;
    }
    if (status.from && status.to)
      print(
        ctx,
        `span            [${status.from.toISOString()}, ${status.to.toISOString()})${status.start ? '  (from the job start)' : ''}`,
      );
    const last = status.lastSucceeded;
    print(
      ctx,
      last
        ? `last succeeded  ${last.start.toISOString()}  (${formatLocal(last.start, tz)} ${tz}), computed ${last.computedAt.toISOString()}`
        : 'last succeeded  none yet',
    );
    const { counts } = status;
    const paint = (state: (typeof WINDOW_STATES)[number], n: number) =>
      n === 0 ? String(n) : state === 'succeeded' ? c.green(String(n)) : c.red(String(n));
    print(ctx, WINDOW_STATES.map((s) => `${s} ${paint(s, counts[s])}`).join('  '));
    const problems = status.ranges.filter((r) => r.state !== 'succeeded');
    if (problems.length) print(ctx, rangeTable(problems.slice(0, SHOWN_RANGES), tz));
    if (problems.length > SHOWN_RANGES)
      print(ctx, `… ${problems.length - SHOWN_RANGES} more range(s) (--json lists them)`);
    if (status.truncated) print(ctx, c.yellow('Ranges truncated; the counts are complete.'));
    if (counts.stale > 0)
      print(ctx, 'Stale windows keep their rows; `windowed backfill --stale` recomputes them.');
    if (failures.length) {
      print(ctx, `latest failed windows`);
      print(ctx, failureTable(failures, tz));
    }
  }
  return status.counts.failed > 0 || status.counts.missing > 0 ? EXIT.failure : EXIT.ok;
}

/** The newest failed windows (at most {@link SHOWN_FAILURES}), read one by one from the newest failed ranges. */
async function latestFailures(job: WindowedJob, status: JobSummary): Promise<WindowRecord[]> {
  const out: WindowRecord[] = [];
  for (const r of status.ranges.filter((x) => x.state === 'failed').reverse()) {
    const k = Math.min(r.windows, SHOWN_FAILURES - out.length);
    const size = Math.ceil((r.to.getTime() - r.from.getTime()) / r.windows);
    const from = k === r.windows ? r.from : new Date(r.to.getTime() - size * k);
    const windows = await job.windows({ from, to: r.to });
    out.unshift(...windows.filter((w) => w.state === 'failed').slice(-k));
    if (out.length >= SHOWN_FAILURES) break;
  }
  return out;
}

function failureTable(windows: readonly WindowRecord[], tz: string): string {
  return renderTable(
    ['window start (UTC)', `local (${tz})`, 'attempts', 'failed at', 'error'],
    windows.map((w) => [
      w.start.toISOString(),
      formatLocal(w.start, tz),
      String(w.attempts),
      w.failedAt?.toISOString() ?? '',
      (w.lastError ?? '').split('\n')[0]!.slice(0, 120),
    ]),
    { align: ['left', 'left', 'right', 'left', 'left'] },
  );
}

function rangeTable(ranges: readonly SummaryRange[], tz: string): string {
  return renderTable(
    ['state', 'from (UTC)', 'to (UTC)', `from (${tz})`, 'windows'],
    ranges.map((r) => [
      r.state,
      r.from.toISOString(),
      r.to.toISOString(),
      formatLocal(r.from, tz),
      String(r.windows),
    ]),
    { align: ['left', 'left', 'left', 'left', 'right'] },
  );
}

function statusJson(s: JobSummary) {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    job: s.job,
    sink: s.sink,
    ledger: s.ledger,
    ...(s.note ? { note: s.note } : {}),
    start: iso(s.start),
    from: iso(s.from),
    to: iso(s.to),
    counts: s.counts,
    ranges: s.ranges.map((r) => ({
      state: r.state,
      from: r.from.toISOString(),
      to: r.to.toISOString(),
      windows: r.windows,
    })),
    truncated: s.truncated,
    lastSucceeded: s.lastSucceeded
      ? {
          start: s.lastSucceeded.start.toISOString(),
          end: s.lastSucceeded.end.toISOString(),
          computedAt: s.lastSucceeded.computedAt.toISOString(),
        }
      : null,
    fingerprint: s.fingerprint,
  };
}
