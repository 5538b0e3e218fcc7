import {
  describeError,
  nominalSizeMs,
  parseInstant,
  redact,
  WindowedError,
  type WindowedJob,
  windowContaining,
  windowsInRange,
} from '@windowed/core';
import type {
  RerunAnswer,
  SeriesAnswer,
  StatusAnswer,
  WindowAnswer,
  WindowsAnswer,
} from '@windowed/dashboard/contract';
import { z } from 'zod';
import { formatLocal, formatOffset } from '../ui/format.js';
import { readOverview, readRows, readStateRuns, readWindow } from './data.js';
import { buildGrid, problemRanges } from './grid.js';
import { buildSeries, inferColumns } from './series.js';

/** The most windows one click re-runs; a longer range is `windowed backfill --force`'s job. */
export const MAX_RERUN_WINDOWS = 10_080;
/** The longest range one request reads, in windows (as core's `windowsInRange`). */
export const MAX_RANGE_WINDOWS = 1_000_000;
const DAY_MS = 86_400_000;

export interface ApiResponse {
  status: number;
  body: unknown;
}

const rangeQuery = z.strictObject({ from: z.string().optional(), to: z.string().optional() });
const atQuery = z.strictObject({ at: z.string() });
const rerunBody = z.strictObject({ from: z.string(), to: z.string() });

/** The JSON API under /api the page uses (documented in the CLI README). */
export class DashboardApi {
  private rerunning = false;

  constructor(
    private readonly job: WindowedJob,
    private readonly readOnly: boolean,
  ) {}

  async handle(method: string, url: URL, body?: unknown): Promise<ApiResponse> {
    try {
      const query = Object.fromEntries(url.searchParams);
      const route = `${method} ${url.pathname}`;
      switch (route) {
        case 'GET /api/status':
          return ok(await this.status());
        case 'GET /api/windows':
          return ok(await this.windows(parse(rangeQuery, query, 'query')));
        case 'GET /api/series':
          return ok(await this.series(parse(rangeQuery, query, 'query')));
        case 'GET /api/window':
          return ok(await this.window(parse(atQuery, query, 'query')));
        case 'POST /api/rerun':
          return await this.rerun(body);
        default:
          return fail(
            404,
            'NOT_FOUND',
            `No ${route}: the API has GET /api/status, /api/windows, /api/series, /api/window and POST /api/rerun.`,
          );
      }
    } catch (error) {
      if (error instanceof WindowedError) return fail(400, error.code, error.message);
      return fail(500, 'INTERNAL', redact(describeError(error)));
    }
  }

  private async status(): Promise<StatusAnswer> {
    const spec = this.job.windowSpec;
    const overview = await readOverview(this.job);
    const end = overview.latestEnd;
    const spanMs = Math.min(366 * DAY_MS, Math.max(DAY_MS, nominalSizeMs(spec.size) * 1440));
    return {
      job: this.job.name,
      timeZone: spec.timeZone,
      windowSize: spec.size.label,
      delayMs: spec.delayMs,
      metrics: this.metrics(),
      groupBy: this.job.query?.groupBy ?? [],
      readOnly: this.readOnly,
      ...overview,
      latestEnd: overview.latestEnd?.toISOString() ?? null,
      lastSucceeded: overview.lastSucceeded?.toISOString() ?? null,
      defaultRange: end
        ? {
            from: windowContaining(new Date(end.getTime() - spanMs), spec).start.toISOString(),
            to: end.toISOString(),
          }
        : null,
    };
  }

  private async windows(q: z.infer<typeof rangeQuery>): Promise<WindowsAnswer> {
    const { from, to } = await this.range(q);
    const runs = await readStateRuns(this.job, from, to);
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      grid: buildGrid(runs, this.job.windowSpec),
      problems: problemRanges(runs),
    };
  }

  private async series(q: z.infer<typeof rangeQuery>): Promise<SeriesAnswer> {
    const { from, to } = await this.range(q);
    const starts = windowsInRange(from, to, this.job.windowSpec).map((w) => w.start.getTime());
    const rows = await readRows(this.job, from, to);
    const { metrics, groupBy } = this.job.query
      ? { metrics: this.metrics(), groupBy: this.job.query.groupBy ?? [] }
      : inferColumns(rows);
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      ...buildSeries(rows, starts, metrics, groupBy),
    };
  }

  private async window(q: z.infer<typeof atQuery>): Promise<WindowAnswer> {
    const at = parseInstant(q.at, 'at');
    const w = windowContaining(at, this.job.windowSpec);
    const record = await readWindow(this.job, w);
    const rows = await readRows(this.job, w.start, w.end);
    const tz = this.job.windowSpec.timeZone;
    const local = (d: Date) => `${formatLocal(d, tz, true)} ${formatOffset(d, tz)}`;
    return {
      start: w.start.toISOString(),
      end: w.end.toISOString(),
      startLocal: local(w.start),
      endLocal: local(w.end),
      state: record.state,
      attempts: record.attempts,
      lastError: record.lastError,
      updatedAt: record.updatedAt?.toISOString() ?? null,
      computedAt: record.computedAt?.toISOString() ?? null,
      rows: rows.slice(0, 50).map((r) => r.values),
      moreRows: Math.max(0, rows.length - 50),
    };
  }

  /** Re-runs the windows of a range through `job.backfill` with `force`, as `windowed backfill --force` does. */
  private async rerun(body: unknown): Promise<ApiResponse> {
    if (this.readOnly)
      return fail(403, 'READ_ONLY', 'The dashboard runs with --read-only: it re-runs nothing.');
    if (this.rerunning) return fail(409, 'BUSY', 'A re-run is in progress; try again when it ends.');
    const { from, to } = await this.range(parse(rerunBody, body, 'body'));
    const count = windowsInRange(from, to, this.job.windowSpec).length;
    if (count > MAX_RERUN_WINDOWS)
      return fail(
        400,
        'INVALID_ARGUMENT',
        `The range holds ${count} windows; the dashboard re-runs at most ${MAX_RERUN_WINDOWS} at once. Use \`windowed backfill --force --from ${from.toISOString()} --to ${to.toISOString()}\`.`,
      );
    this.rerunning = true;
    try {
      const result = await this.job.backfill({ from, to, force: true });
      return ok<RerunAnswer>({
        from: from.toISOString(),
        to: to.toISOString(),
        total: result.total,
        computed: result.computed,
        failed: result.failed,
        failures: result.windows
          .filter((w) => w.status === 'failed')
          .slice(0, 20)
          .map((w) => ({ start: w.window.start.toISOString(), error: w.error?.message ?? null })),
      });
    } finally {
      this.rerunning = false;
    }
  }

  /** `from`/`to` parsed as the CLI parses instants, widened to whole windows; the default is the status's. */
  private async range(q: {
    from?: string | undefined;
    to?: string | undefined;
  }): Promise<{ from: Date; to: Date }> {
    let fromText = q.from;
    let toText = q.to;
    if (fromText === undefined || toText === undefined) {
      const { defaultRange } = await this.status();
      if (!defaultRange)
        throw new WindowedError(
          'INVALID_ARGUMENT',
          'The ledger has no windows yet, so there is no default range: pass from and to, or run `windowed backfill` first.',
        );
      fromText ??= defaultRange.from;
      toText ??= defaultRange.to;
    }
    const spec = this.job.windowSpec;
    const from = windowContaining(parseInstant(fromText, 'from'), spec).start;
    const toInstant = parseInstant(toText, 'to');
    const last = windowContaining(new Date(toInstant.getTime() - 1), spec);
    const to = last.start.getTime() < toInstant.getTime() ? last.end : toInstant;
    if (from >= to)
      throw new WindowedError(
        'INVALID_ARGUMENT',
        `from (${from.toISOString()}) must be before to (${to.toISOString()}).`,
      );
    // Refused before anything is read: the ledger and the sink are read window by window today.
    if ((to.getTime() - from.getTime()) / nominalSizeMs(spec.size) > MAX_RANGE_WINDOWS)
      throw new WindowedError(
        'INVALID_ARGUMENT',
        `${from.toISOString()} to ${to.toISOString()} holds more than ${MAX_RANGE_WINDOWS} ${spec.size.label} windows; choose a shorter range.`,
      );
    return { from, to };
  }

  private metrics(): string[] {
    return this.job.query ? Object.keys(this.job.query.metrics) : [];
  }
}

function parse<S extends z.ZodType>(schema: S, input: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const what =
    issue.code === 'unrecognized_keys'
      ? `unknown parameter${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`
      : `${issue.path.join('.') || where}: ${issue.message}`;
  throw new WindowedError('INVALID_ARGUMENT', `Invalid ${where}: ${what}.`);
}

function ok<T>(body: T): ApiResponse {
  return { status: 200, body };
}

function fail(status: number, code: string, message: string): ApiResponse {
  return { status, body: { error: { code, message } } };
}
