import { isWindowedError, type StoredRow, windowsInRange } from '@windowed/core';
import { Command } from 'commander';
import { type CliContext, loadProject, parsePositiveInt, print } from '../context.js';
import { CliError, EXIT, type ExitCode } from '../errors.js';
import { localLabeller } from '../ui/format.js';
import { sparkline } from '../ui/sparkline.js';
import { formatNumber, renderTable } from '../ui/table.js';
import { action, type CliRun, TARGET_HELP } from './shared.js';

interface ShowOptions {
  last: string;
  rows?: string;
  target: string;
  json?: boolean;
}

export function showCommand(run: CliRun): Command {
  return new Command('show')
    .summary('recent windows and their metrics: a table and a sparkline')
    .description(
      'Reads the newest --last windows from the sink, prints the most recent of them as a table (--rows, default 20) and one sparkline per metric over all of them (gaps show as blanks).',
    )
    .option('-n, --last <N>', 'windows to read (the sparkline spans them all)', '20')
    .option('--rows <N>', 'table rows to print (default: --last, at most 20)')
    .option('-t, --target <name>', TARGET_HELP, 'local')
    .option('--json', 'print the rows as JSON')
    .action(action<ShowOptions>(run, showAction));
}

async function showAction(ctx: CliContext, options: ShowOptions): Promise<ExitCode> {
  const last = parsePositiveInt(options.last, '--last', 1_000_000);
  const rowsWanted = options.rows ? parsePositiveInt(options.rows, '--rows', 1_000_000) : Math.min(last, 20);
  const project = await loadProject(ctx, options.target);
  // Reads only: creates nothing, works with a database user that can only SELECT.
  const job = project.job.with({ readOnly: true });
  let stored: StoredRow[];
  let sinkDescription: string;
  try {
    sinkDescription = (await job.describe()).sink;
    stored = await job.results({ limit: last }).catch((error: unknown) => {
      if (isWindowedError(error, 'INVALID_CONFIG')) {
        throw new CliError(
          error.message,
          EXIT.usage,
          'point the target at a SQL sink (sqlite:, mysql://, postgres://)',
        );
      }
      throw error;
    });
  } finally {
    await job.close();
  }
  const oldestFirst = [...stored].sort((a, b) => a.windowStart.getTime() - b.windowStart.getTime());
  const dims = job.query?.groupBy ?? [];
  const metrics = job.query
    ? Object.keys(job.query.metrics)
    : [...new Set(stored.flatMap((r) => Object.keys(r.values)))].filter((k) => !dims.includes(k));

  if (options.json) {
    print(
      ctx,
      JSON.stringify(
        oldestFirst.map((r) => ({
          windowStart: r.windowStart.toISOString(),
          windowEnd: r.windowEnd.toISOString(),
          ...r.values,
          computedAt: r.computedAt?.toISOString() ?? null,
        })),
        null,
        2,
      ),
    );
    return EXIT.ok;
  }
  const tz = job.windowSpec.timeZone;
  const label = localLabeller(tz);
  if (stored.length === 0) {
    print(
      ctx,
      `${job.name}: no windows stored yet in ${sinkDescription}. Run \`windowed backfill\` or \`windowed run\` first.`,
    );
    return EXIT.ok;
  }
  const windowCount = new Set(stored.map((r) => r.windowStart.getTime())).size;
  const shown = oldestFirst.filter((r) => r.windowStart.getTime() >= newestStarts(oldestFirst, rowsWanted));
  print(
    ctx,
    ctx.colors.bold(
      `${job.name}: the last ${Math.min(rowsWanted, windowCount)} of ${windowCount} window(s) read (${tz})`,
    ),
  );
  print(
    ctx,
    renderTable(
      [`window (${tz})`, ...dims, ...metrics],
      shown.map((r) => [
        label(r.windowStart),
        ...dims.map((d) => String(r.values[d] ?? '-')),
        ...metrics.map((m) => formatNumber(r.values[m])),
      ]),
    ),
  );
  print(ctx);
  const series = seriesByWindow(oldestFirst, job.windowSpec, metrics);
  const width = Math.min(series.windows, Math.max(20, ((ctx.stdout.columns ?? 100) as number) - 40), 96);
  const labelWidth = Math.max(...metrics.map((m) => m.length));
  for (const m of metrics) {
    const values = series.values.get(m)!;
    const present = values.filter((v): v is number => v !== null);
    const range = present.length
      ? `min ${formatNumber(Math.min(...present))}  max ${formatNumber(Math.max(...present))}`
      : 'no values';
    print(ctx, `${m.padEnd(labelWidth)}  ${ctx.colors.cyan(sparkline(values, width))}  ${range}`);
  }
  const first = oldestFirst[0]!.windowStart;
  const end = oldestFirst[oldestFirst.length - 1]!.windowEnd;
  print(
    ctx,
    ctx.colors.dim(
      `${' '.repeat(labelWidth)}  ${label(first)} → ${label(end)}, ${series.windows} window(s)${series.gaps ? `, ${series.gaps} without rows` : ''}`,
    ),
  );
  return EXIT.ok;
}

function newestStarts(oldestFirst: StoredRow[], n: number): number {
  const starts = [...new Set(oldestFirst.map((r) => r.windowStart.getTime()))];
  return starts[Math.max(0, starts.length - n)] ?? 0;
}

/** One value per window in the span (groups summed), null where a window has no rows. */
function seriesByWindow(rows: StoredRow[], spec: Parameters<typeof windowsInRange>[2], metrics: string[]) {
  const byStart = new Map<number, StoredRow[]>();
  for (const r of rows) {
    const list = byStart.get(r.windowStart.getTime()) ?? [];
    list.push(r);
    byStart.set(r.windowStart.getTime(), list);
  }
  const windows = windowsInRange(rows[0]!.windowStart, rows[rows.length - 1]!.windowEnd, spec);
  const values = new Map(metrics.map((m) => [m, [] as Array<number | null>]));
  let gaps = 0;
  for (const w of windows) {
    const here = byStart.get(w.start.getTime());
    if (!here) gaps++;
    for (const m of metrics) {
      const nums = (here ?? []).map((r) => r.values[m]).filter((v): v is number => typeof v === 'number');
      values.get(m)!.push(nums.length ? nums.reduce((a, b) => a + b, 0) : null);
    }
  }
  return { windows: windows.length, values, gaps };
}
