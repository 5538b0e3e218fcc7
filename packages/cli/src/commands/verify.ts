import type { VerifyResult, WindowDrift, WindowedJob } from '@windowed/core';
import { Command } from 'commander';
import { type CliContext, loadProject, note, parsePositiveInt, parseRange, print } from '../context.js';
import { EXIT, type ExitCode } from '../errors.js';
import { coalesce, localLabeller } from '../ui/format.js';
import { action, type CliRun, TARGET_HELP } from './shared.js';

interface VerifyOptions {
  from: string;
  to: string;
  sample?: string;
  fix?: boolean;
  target: string;
  json?: boolean;
}

export function verifyCommand(run: CliRun): Command {
  return new Command('verify')
    .summary("recompute windows from the source and compare them with the sink's rows")
    .description(
      'Recomputes the windows in [--from, --to) from the source without writing, and compares them with the rows the sink holds: values, missing and extra groups, windows missing from the sink. ' +
        'Prints each drifted window with both values; exits 1 if any drifted (or could not be recomputed), 0 if none. ' +
        'Reads only the source and the sink: a database user that may only SELECT is enough.\n' +
        '--fix rewrites the drifted windows as `backfill --force` does (this needs write access).',
    )
    .requiredOption('--from <ISO>', 'start of the range (inclusive), e.g. 2026-11-27T00:00:00Z')
    .requiredOption('--to <ISO>', 'end of the range (exclusive)')
    .option('--sample <N>', 'check only N windows, evenly spread over the range')
    .option('--fix', 'rewrite the drifted windows (a forced backfill of each)')
    .option('-t, --target <name>', TARGET_HELP, 'local')
    .option('--json', 'print the result as JSON')
    .action(action<VerifyOptions>(run, verifyAction));
}

async function verifyAction(ctx: CliContext, options: VerifyOptions): Promise<ExitCode> {
  const { from, to } = parseRange(options);
  const sample = options.sample ? parsePositiveInt(options.sample, '--sample') : undefined;
  const { job } = await loadProject(ctx, options.target);
  let result: VerifyResult;
  let fixed: FixOutcome | undefined;
  try {
    result = await job.verify({ from, to, ...(sample ? { sample } : {}) });
    if (options.fix && result.drifted.length > 0) fixed = await fix(job, result.drifted);
  } finally {
    await job.close();
  }
  if (options.json) print(ctx, JSON.stringify(toJson(result, fixed), null, 2));
  else printReport(ctx, job, result, fixed);
  return result.drifted.length > 0 || result.failed.length > 0 ? EXIT.failure : EXIT.ok;
}

interface FixOutcome {
  rewritten: number;
  failed: Array<{ start: Date; error: string | undefined }>;
}

/** The drifted windows rewritten through the job's normal path: a forced backfill of each run of them. */
async function fix(job: WindowedJob, drifted: readonly WindowDrift[]): Promise<FixOutcome> {
  const outcome: FixOutcome = { rewritten: 0, failed: [] };
  for (const range of coalesce(drifted.map((d) => d.window))) {
    const result = await job.backfill({ from: range.start, to: range.end, force: true });
    outcome.rewritten += result.computed;
    for (const w of result.windows)
      if (w.status === 'failed') outcome.failed.push({ start: w.window.start, error: w.error?.message });
  }
  return outcome;
}

function toJson(result: VerifyResult, fixed: FixOutcome | undefined) {
  return {
    job: result.job,
    from: result.from.toISOString(),
    to: result.to.toISOString(),
    total: result.total,
    checked: result.checked,
    drifted: result.drifted.map((d) => ({
      start: d.window.start.toISOString(),
      end: d.window.end.toISOString(),
      missing: d.missing,
      differences: d.differences,
    })),
    failed: result.failed.map((f) => ({ start: f.window.start.toISOString(), error: f.error.message })),
    ...(fixed
      ? {
          fixed: {
            rewritten: fixed.rewritten,
            failed: fixed.failed.map((f) => ({ start: f.start.toISOString(), error: f.error })),
          },
        }
      : {}),
  };
}

function printReport(ctx: CliContext, job: WindowedJob, result: VerifyResult, fixed: FixOutcome | undefined) {
  const c = ctx.colors;
  const tz = job.windowSpec.timeZone;
  const label = localLabeller(tz);
  const span = `[${result.from.toISOString()}, ${result.to.toISOString()})`;
  const checked =
    result.checked === result.total && result.failed.length === 0
      ? `${result.total} window(s)`
      : `${result.checked} of ${result.total} window(s)`;
  for (const drift of result.drifted) {
    print(
      ctx,
      `${c.bold(label(drift.window.start))} (${tz}, ${drift.window.key})${drift.missing ? `: ${c.red('missing from the sink')}` : ''}`,
    );
    for (const d of drift.differences) print(ctx, `  ${describeDifference(d)}`);
  }
  for (const f of result.failed)
    print(ctx, `${c.bold(label(f.window.start))} (${tz}): ${c.red('not recomputed')}: ${f.error.message}`);
  const verdict =
    result.drifted.length === 0
      ? c.green('the sink agrees with the source')
      : c.red(`${result.drifted.length} drifted`);
  print(
    ctx,
    `${job.name}: ${checked} in ${span} checked: ${verdict}${result.failed.length ? `, ${c.red(`${result.failed.length} could not be recomputed`)}` : ''}.`,
  );
  if (fixed) {
    print(
      ctx,
      `${c.green(`rewrote ${fixed.rewritten} window(s)`)}${fixed.failed.length ? `, ${c.red(`${fixed.failed.length} failed`)}` : ''}; run verify again to confirm.`,
    );
    for (const f of fixed.failed) note(ctx, `${label(f.start)}: ${f.error ?? 'failed'}`);
  } else if (result.drifted.length > 0) {
    note(ctx, ctx.errColors.dim('hint: --fix rewrites the drifted windows (as backfill --force does).'));
  }
}

function describeDifference(d: WindowDrift['differences'][number]): string {
  const group = Object.entries(d.group)
    .map(([k, v]) => `${k}=${v === null ? 'null' : JSON.stringify(v)}`)
    .join(' ');
  const where = group ? `${group}: ` : '';
  if (!d.stored) return `${where}missing from the sink; source gives ${values(d.expected!, d.metrics)}`;
  if (!d.expected)
    return `${where}in the sink only (source gives no such group); sink has ${values(d.stored, d.metrics)}`;
  return (
    where +
    d.metrics
      .map(
        (m) =>
          `${m}: source ${formatValue(d.expected![m])}, sink ${m in d.stored! ? formatValue(d.stored![m]) : '(no column)'}`,
      )
      .join('; ')
  );
}

function values(row: Record<string, string | number | null>, metrics: readonly string[]): string {
  return metrics.map((m) => `${m} ${m in row ? formatValue(row[m]) : '(no column)'}`).join(', ');
}

/** Exactly, unrounded: two values that differ must print differently. */
function formatValue(value: string | number | null | undefined): string {
  return value === null || value === undefined ? 'null' : String(value);
}
