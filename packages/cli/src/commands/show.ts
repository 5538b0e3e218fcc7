import { type DeclarativeQuery, isWindowedError, type StoredRow } from '@windowed/core';
import { Command } from 'commander';
import { type CliContext, loadProject, parsePositiveInt, print } from '../context.js';
import { CliError, EXIT, type ExitCode } from '../errors.js';
import { localLabeller } from '../ui/format.js';
import { sparkline } from '../ui/sparkline.js';
import { formatNumber, renderTable } from '../ui/table.js';
import { action, type CliRun, TARGET_HELP } from './shared.js';
import {
  dimensionsOf,
  type Group,
  groupLabel,
  groupOf,
  inGroup,
  isAdditive,
  metricsOf,
  parseGroup,
  seriesByWindow,
} from './show-series.js';

interface ShowOptions {
  last: string;
  rows?: string;
  target: string;
  json?: boolean;
  group?: string[];
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
    .option(
      '--group <value...>',
      'only this group: its value (a job grouped by one field), else field=value for each field',
    )
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
  const dims = dimensionsOf(job.query, stored);
  const group = parseGroup(options.group, dims);
  const metrics = metricsOf(job.query, stored, dims);
  const span = [...stored].sort((a, b) => a.windowStart.getTime() - b.windowStart.getTime());
  const oldestFirst = group ? span.filter((r) => inGroup(r, group)) : span;

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
  if (oldestFirst.length === 0) {
    print(
      ctx,
      `${job.name}: no rows of group ${groupLabel(group!)} in the last ${last} window(s) of ${sinkDescription}.`,
    );
    return EXIT.ok;
  }
  const windowCount = new Set(oldestFirst.map((r) => r.windowStart.getTime())).size;
  const shown = oldestFirst.filter((r) => r.windowStart.getTime() >= newestStarts(oldestFirst, rowsWanted));
  print(
    ctx,
    ctx.colors.bold(
      `${job.name}: the last ${Math.min(rowsWanted, windowCount)} of ${windowCount} window(s) read (${tz})${group ? `, group ${groupLabel(group)}` : ''}`,
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
  const lines = sparklineRows(oldestFirst, dims, group, metrics, job.query);
  const series = seriesByWindow([], job.windowSpec, [], span);
  const width = Math.min(series.windows, Math.max(20, ((ctx.stdout.columns ?? 100) as number) - 40), 96);
  const labelWidth = Math.max(...lines.rows.map((l) => l.label.length));
  for (const line of lines.rows) {
    const values = seriesByWindow(line.rows, job.windowSpec, [line.metric], span).values.get(line.metric)!;
    const present = values.filter((v): v is number => v !== null);
    const range = present.length
      ? `min ${formatNumber(Math.min(...present))}  max ${formatNumber(Math.max(...present))}`
      : 'no values';
    print(ctx, `${line.label.padEnd(labelWidth)}  ${ctx.colors.cyan(sparkline(values, width))}  ${range}`);
  }
  const first = span[0]!.windowStart;
  const end = span[span.length - 1]!.windowEnd;
  const gaps = seriesByWindow(oldestFirst, job.windowSpec, [], span).gaps;
  print(
    ctx,
    ctx.colors.dim(
      `${' '.repeat(labelWidth)}  ${label(first)} → ${label(end)}, ${series.windows} window(s)${gaps ? `, ${gaps} without rows` : ''}`,
    ),
  );
  if (lines.note) print(ctx, ctx.colors.dim(lines.note));
  return EXIT.ok;
}

/** Groups drawn one sparkline each, at most: the rest are named in the note. */
const MAX_GROUP_LINES = 8;

/**
 * The sparklines to draw: one per metric for an ungrouped job or a chosen group; otherwise counts and
 * sums totalled over the groups, and each other metric per group (a distinct count, a min or a max of
 * several groups is not their sum).
 */
function sparklineRows(
  rows: StoredRow[],
  dims: string[],
  group: Group | undefined,
  metrics: string[],
  query: DeclarativeQuery | undefined,
): { rows: Array<{ label: string; metric: string; rows: StoredRow[] }>; note?: string } {
  if (dims.length === 0 || group) return { rows: metrics.map((m) => ({ label: m, metric: m, rows })) };
  const byGroup = new Map<string, { group: Group; rows: StoredRow[] }>();
  for (const r of rows) {
    const g = groupOf(r, dims);
    const key = JSON.stringify(g);
    const entry = byGroup.get(key) ?? { group: g, rows: [] };
    entry.rows.push(r);
    byGroup.set(key, entry);
  }
  const groups = [...byGroup.values()].sort(
    (a, b) => b.rows.length - a.rows.length || groupLabel(a.group).localeCompare(groupLabel(b.group)),
  );
  const out: Array<{ label: string; metric: string; rows: StoredRow[] }> = [];
  const perGroup = metrics.filter((m) => !isAdditive(query, m));
  for (const m of metrics) {
    if (isAdditive(query, m)) out.push({ label: `${m} (all groups)`, metric: m, rows });
    else
      for (const g of groups.slice(0, MAX_GROUP_LINES))
        out.push({ label: `${m} ${groupLabel(g.group)}`, metric: m, rows: g.rows });
  }
  if (perGroup.length === 0) return { rows: out };
  const more = groups.length - MAX_GROUP_LINES;
  return {
    rows: out,
    note: `${perGroup.join(', ')} shown per group: ${query ? 'distinct counts, minimums and maximums' : "a functional query's values"} do not add up across groups${more > 0 ? `; ${more} more group(s) not drawn` : ''}. --group ${dims.length === 1 ? '<value>' : 'field=value'} shows one group.`,
  };
}

function newestStarts(oldestFirst: StoredRow[], n: number): number {
  const starts = [...new Set(oldestFirst.map((r) => r.windowStart.getTime()))];
  return starts[Math.max(0, starts.length - n)] ?? 0;
}
